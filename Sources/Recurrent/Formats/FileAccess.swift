import Foundation

/// Reading and writing whole files with errors that name the path.
public enum FileAccess {
    /// The file's bytes, memory-mapped so that large files are not copied into memory.
    /// - Throws: `RecurrentError` (`.io`) naming the path when the file cannot be read.
    static func readMapped(_ url: URL) throws -> Data {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RecurrentError.io("\(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw RecurrentError.io("\(path): is a directory, not a file")
        }
        // A device, pipe or socket cannot be mapped, and Foundation's message for it speaks of
        // permissions; `stat` follows a symbolic link, as `fileExists` did.
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & mode_t(S_IFMT) != mode_t(S_IFREG) {
            throw RecurrentError.io("\(path): is not a regular file (a device, pipe or socket)")
        }
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw RecurrentError.io("\(path): cannot read (\(error.localizedDescription))")
        }
    }

    /// Writes `data` to a temporary file in the destination's directory (`.NAME.partial-UUID`),
    /// flushes it to the disk, then renames it over the destination, so readers never see a
    /// half-written file. A write that fails removes its temporary file; one interrupted by the
    /// process ending leaves it for `removeInterruptedWrites(of:)`. A symbolic link is followed
    /// (the file it names is replaced; the link stays), and a destination that is a device or a
    /// pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: a rename would replace the
    /// device itself with a file.
    /// - Throws: `RecurrentError` (`.io`) naming the path when the file cannot be written.
    static func writeAtomically(_ data: Data, to destination: URL) throws {
        let url = destination.resolvingSymlinksInPath()
        if isSpecialFile(url.path) { return try writeInPlace(data, to: url) }
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RecurrentError.io("\(url.path): cannot write, directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(temporaryPrefix(of: url) + UUID().uuidString)
        do {
            try data.write(to: temporary)
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, url.path) == 0 else {
                throw RecurrentError.io("\(url.path): cannot write (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? RecurrentError { throw error }
            throw RecurrentError.io("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }

    /// Whether `path` exists and is neither a regular file nor a directory (following links).
    public static func isSpecialFile(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let type = status.st_mode & mode_t(S_IFMT)
        return type != mode_t(S_IFREG) && type != mode_t(S_IFDIR)
    }

    /// Writes `data` into an existing device or pipe, as `cp` would.
    private static func writeInPlace(_ data: Data, to url: URL) throws {
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
        } catch {
            throw RecurrentError.io("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }

    /// The name every temporary file of a write to `url` starts with.
    static func temporaryPrefix(of url: URL) -> String { "." + url.lastPathComponent + ".partial-" }

    /// Removes the temporary files that writes to `url` left when their process ended midway.
    /// - Returns: how many were removed.
    @discardableResult
    static func removeInterruptedWrites(of url: URL) -> Int {
        let directory = url.deletingLastPathComponent()
        let prefix = temporaryPrefix(of: url)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.reduce(0) { count, name in
            (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) == nil ? count : count + 1
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The little-endian unsigned integer of type `T` at `offset`; the caller checks the bounds.
    func littleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// The product of `shape`, or nil when a dimension is negative or the running product
/// overflows `Int` (the library computes element counts with a plain running product).
func checkedElementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        count = product
    }
    return count
}
