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
            throw RecurrentError.io("\(path): cannot read (\(reason(error)))")
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
        let url = linkTarget(of: destination)
        if isSpecialFile(url.path) { return try writeInPlace(data, to: url) }
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RecurrentError.io("\(url.path): cannot write, directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(temporaryPrefix(of: url) + UUID().uuidString)
        do {
            try writeNew(data, at: temporary.path, naming: url.path)
            guard rename(temporary.path, url.path) == 0 else {
                throw RecurrentError.io("\(url.path): cannot write (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? RecurrentError { throw error }
            throw RecurrentError.io("\(url.path): cannot write (\(reason(error)))")
        }
    }

    /// Writes several files as one: each `write` writes its file under a temporary name beside
    /// it, and only when every one has succeeded are they all renamed into place, so that a
    /// failure (a full disk) leaves every destination as it was, not some new and some old. A
    /// destination that is a device or a pipe is written in place, at its turn. A Ctrl-C during
    /// the renames acts after the last (`TerminalSignals.deferred`).
    /// - Throws: the first writer's error, naming its destination; the temporaries are removed.
    public static func writeTogether(_ writes: [(destination: URL, write: (URL) throws -> Void)]) throws {
        var staged: [(temporary: URL, destination: URL)] = []
        do {
            for (destination, write) in writes {
                let url = linkTarget(of: destination)
                if isSpecialFile(url.path) {
                    try write(url)
                    continue
                }
                let temporary = url.deletingLastPathComponent().appendingPathComponent(temporaryPrefix(of: url) + UUID().uuidString)
                staged.append((temporary, url))
                do {
                    try write(temporary)
                } catch var error as RecurrentError {
                    error.message = error.message.replacingOccurrences(of: temporary.path, with: url.path)
                    throw error
                }
            }
            // A signal now (a second Ctrl-C) acts after the last rename, not between two.
            try TerminalSignals.deferred {
                for (temporary, destination) in staged {
                    guard rename(temporary.path, destination.path) == 0 else {
                        throw RecurrentError.io("\(destination.path): cannot write (\(String(cString: strerror(errno))))")
                    }
                }
            }
        } catch {
            for (temporary, _) in staged { try? FileManager.default.removeItem(at: temporary) }
            throw error
        }
    }

    /// Creates the file at `path` (it must not exist) holding `data`, flushed to the disk.
    /// Written with the system's calls, so that a failure keeps its reason (Foundation reports
    /// a full file-size limit as "NSCocoaErrorDomain error 512").
    /// - Throws: `RecurrentError` (`.io`) naming `name` (the destination the file is for), with
    ///   the system's words for what failed.
    static func writeNew(_ data: Data, at path: String, naming name: String) throws {
        func failure() -> RecurrentError { .io("\(name): cannot write (\(String(cString: strerror(errno))))") }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        guard writeAll(data, to: descriptor), fsync(descriptor) == 0 else { throw failure() }
    }

    /// Writes all of `data` to an open descriptor; false (with `errno` set) when a write fails.
    private static func writeAll(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                // Invariant: done < bytes.count, so the base address exists and the range is inside the buffer.
                let written = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                done += written
            }
            return true
        }
    }

    /// The descriptor a path names by alias (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`,
    /// however spelled: `/dev//stdout`, `/dev/fd/../fd/1`, `/proc/thread-self/fd/1`), or nil.
    /// Such a path leads, through `/proc`, to whatever the descriptor has open: a file renamed
    /// over there would replace the whole file a shell redirected (`>> log`), losing what was
    /// written before; opened again, it would write from its start. So it is written through
    /// the descriptor itself. Links are followed one at a time (at most 40, as the kernel
    /// does), each step's directory by its physical path, until one is a descriptor's entry.
    static func descriptor(aliasedBy path: String) -> Int32? {
        var current = URL(fileURLWithPath: path)
        for _ in 0..<40 {
            // The directory as written too: under another PID namespace's /proc, /proc/self
            // resolves to a number that is not getpid().
            if let number = Int32(current.lastPathComponent), number >= 0,
               isOwnDescriptorDirectory(physicalDirectory(of: current).path)
                || isOwnDescriptorDirectory(current.deletingLastPathComponent().standardizedFileURL.path) {
                return number
            }
            var status = stat()
            guard lstat(current.path, &status) == 0, status.st_mode & mode_t(S_IFMT) == mode_t(S_IFLNK),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else { return nil }
            current = target.hasPrefix("/") ? URL(fileURLWithPath: target)
                : physicalDirectory(of: current).appendingPathComponent(target)
        }
        return nil
    }

    /// Whether `directory` lists this process's descriptors: `/proc/P/fd` or
    /// `/proc/P/task/T/fd`, P this process (`self`, `thread-self` or its number).
    private static func isOwnDescriptorDirectory(_ directory: String) -> Bool {
        let parts = directory.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3, parts[0] == "proc", parts.last == "fd",
              ["self", "thread-self", "\(getpid())"].contains(String(parts[1])) else { return false }
        return parts.count == 3 || (parts.count == 5 && parts[2] == "task" && Int(parts[3]) != nil)
    }

    /// Why a Foundation file operation failed: the system's own words for its `errno` when it
    /// kept one ("File too large"), where its own description may be only "NSCocoaErrorDomain
    /// error 512".
    static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix = underlying, posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        if (error as NSError).domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32((error as NSError).code))) }
        return error.localizedDescription
    }

    /// The file a write to `url` replaces: `url`, or where its symbolic links lead, even when
    /// the last link dangles (the file it names is then created; the link stays), in its
    /// directory's physical path (links and `..` in the directories resolved as the kernel
    /// resolves them), so that two names of one file compare equal. At most 40 links are
    /// followed, as the kernel does.
    public static func linkTarget(of url: URL) -> URL {
        // A device or pipe is written in place through its name (`/dev/stdout` leads by way of
        // /proc to `pipe:[...]`, no path at all).
        if isSpecialFile(url.path) { return url }
        var current = url
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current.path, &status) == 0, status.st_mode & mode_t(S_IFMT) == mode_t(S_IFLNK),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else { break }
            current = target.hasPrefix("/") ? URL(fileURLWithPath: target)
                : physicalDirectory(of: current).appendingPathComponent(target)
        }
        return physicalDirectory(of: current).appendingPathComponent(current.lastPathComponent)
    }

    /// The directory holding `url`, by `realpath` (as written when it does not exist).
    private static func physicalDirectory(of url: URL) -> URL {
        let directory = url.deletingLastPathComponent()
        guard let resolved = realpath(directory.path, nil) else { return directory.standardizedFileURL }
        defer { free(resolved) }
        return URL(fileURLWithPath: String(cString: resolved), isDirectory: true)
    }

    /// Whether `path` exists and is neither a regular file nor a directory (following links),
    /// or names a descriptor (`/dev/stdout`): what is written in place, not renamed over.
    public static func isSpecialFile(_ path: String) -> Bool {
        if descriptor(aliasedBy: path) != nil { return true }
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let type = status.st_mode & mode_t(S_IFMT)
        return type != mode_t(S_IFREG) && type != mode_t(S_IFDIR)
    }

    /// Writes `data` into an existing device or pipe, as `cp` would, or through the descriptor
    /// a path aliases (after what standard output holds, so the order stays).
    private static func writeInPlace(_ data: Data, to url: URL) throws {
        if let descriptor = descriptor(aliasedBy: url.path) {
            fflush(nil)
            guard writeAll(data, to: descriptor) else {
                throw RecurrentError.io("\(url.path): cannot write (\(String(cString: strerror(errno))))")
            }
            return
        }
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
        } catch {
            throw RecurrentError.io("\(url.path): cannot write (\(reason(error)))")
        }
    }

    /// The name every temporary file of a write to `url` starts with: `.NAME.partial-`, the
    /// name cut (at a character) so that the prefix and a UUID fit in a file name's 255 bytes.
    static func temporaryPrefix(of url: URL) -> String {
        "." + cutForTemporary(Substring(url.lastPathComponent)) + ".partial-"
    }

    /// The start of `name` that fits in a temporary name: 255 bytes less `.`, `.partial-` and a UUID.
    private static func cutForTemporary(_ name: Substring) -> Substring {
        var name = name
        while name.utf8.count > 255 - ".".utf8.count - ".partial-".utf8.count - 36 { name.removeLast() }
        return name
    }

    /// Removes the temporary files that writes to `url` left when their process ended midway:
    /// `.NAME.partial-*`, and `..NAME.partial-*` (a write into the temporary of `writeTogether`).
    /// - Returns: how many were removed.
    @discardableResult
    public static func removeInterruptedWrites(of url: URL) -> Int {
        let directory = url.deletingLastPathComponent()
        let prefix = temporaryPrefix(of: url)
        // A write into a temporary (`writeTogether`) has its own, named after the first one cut.
        let nested = "." + cutForTemporary(Substring(prefix))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) || $0.hasPrefix(nested) }.reduce(0) { count, name in
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
