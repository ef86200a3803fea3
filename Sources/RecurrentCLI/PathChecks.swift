import Foundation
import Recurrent

/// The file URL of a path the user gave, made absolute here from the working directory when
/// it is relative: Foundation refuses a relative file URL whose absolute path reaches 1024
/// bytes ("The specified URL type isn't supported"), and an absolute one it takes.
func fileURL(_ path: String) -> URL {
    guard !path.hasPrefix("/") else { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: workingDirectory(), isDirectory: true).appendingPathComponent(path)
}

/// The working directory, however deep: `getcwd(nil, 0)` sizes its own buffer, where
/// FileManager's gives "" past PATH_MAX (and a relative path then passed the length check).
func workingDirectory() -> String {
    guard let directory = getcwd(nil, 0) else { return FileManager.default.currentDirectoryPath }
    defer { free(directory) }
    return String(cString: directory)
}

/// Throws unless every path names a readable file.
func checkReadable(_ paths: String...) throws {
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RecurrentError(.io, "\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw RecurrentError(.io, "\(path): is a directory, not a file") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw RecurrentError(.io, "\(path): not readable") }
    }
}

/// Throws unless every output can be written, before long work starts: each named by an
/// option (`what`), not empty, not a directory, in a directory that exists and can be written
/// (a device or pipe, `/dev/null` or a FIFO, is written in place, so it must be writable
/// itself), no two the same file, and none of them one of the `inputs` the command reads.
/// Temporary files that interrupted writes to an output left beside it are removed.
func checkWritable(_ outputs: [(what: String, path: String)], inputs: [(what: String, path: String?)] = []) throws {
    for (index, (what, path)) in outputs.enumerated() {
        guard !path.isEmpty else { throw RecurrentError(.io, "\(what): the path is empty") }
        try checkLength(what, path)
        if let earlier = outputs[..<index].first(where: { sameFile($0.path, path) }) {
            throw RecurrentError(.io, "\(earlier.what) and \(what) name the same file, \(path)")
        }
        if let input = inputs.first(where: { $0.path.map { sameFile($0, path) } ?? false }) {
            throw RecurrentError(.io, "\(what) \(path) would overwrite the input \(input.what)")
        }
        if FileAccess.isSpecialFile(path) {
            guard FileManager.default.isWritableFile(atPath: path) else { throw RecurrentError(.io, "\(path): not writable") }
            continue
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RecurrentError(.io, "\(path): is a directory; \(what) names a file")
        }
        let directory = fileURL(path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RecurrentError(.io, "\(path): the directory \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw RecurrentError(.io, "\(path): the directory \(directory) is not writable")
        }
        // What an earlier write to this output left when its process was killed midway.
        FileAccess.removeInterruptedWrites(of: fileURL(path))
    }
}

/// Throws unless the path, made absolute, fits the system's limits: at most PATH_MAX - 1
/// bytes in all, with the temporary files a write goes through beside it (`.NAME.partial-UUID`,
/// twice over for outputs written together, each name cut to 255 bytes), and NAME_MAX bytes a
/// name (the file would fail to open after the work).
func checkLength(_ what: String, _ path: String) throws {
    let absolute = fileURL(path).path, names = absolute.split(separator: "/")
    let name = names.last?.utf8.count ?? 0
    let needed = absolute.utf8.count - name + min(Int(NAME_MAX), name + 2 * ".partial-.".utf8.count + 2 * 36)
    guard max(needed, absolute.utf8.count) < Int(PATH_MAX) else {
        throw RecurrentError(.io, "\(what): the path is \(absolute.utf8.count) bytes long (from the working directory), and the "
            + "temporary files written beside it \(needed): over the system's limit of \(Int(PATH_MAX) - 1)")
    }
    if let name = names.first(where: { $0.utf8.count > Int(NAME_MAX) }) {
        throw RecurrentError(.io, "\(what): the name \(name.prefix(24))... is \(name.utf8.count) bytes long, "
            + "over the system's limit of \(Int(NAME_MAX))")
    }
}

/// Whether two paths name one file (relative paths and symbolic links resolved, a dangling
/// link to the file it would create, as a write through it does).
func sameFile(_ a: String, _ b: String) -> Bool {
    func resolved(_ path: String) -> String { FileAccess.linkTarget(of: fileURL(path).standardizedFileURL).path }
    return resolved(a) == resolved(b)
}

/// Creates `path` as a directory if it is not one (with its parents), and throws unless it
/// can be written: a checkpoint directory, checked before training starts.
func prepareDirectory(_ path: String) throws {
    guard !path.isEmpty else { throw RecurrentError(.io, "--checkpoint: the path is empty") }
    try checkLength("--checkpoint", path + "/checkpoint.safetensors")
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw RecurrentError(.io, "\(path): is a file, not a directory") }
    } else {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RecurrentError(.io, "\(path): cannot create the directory")
        }
    }
    guard FileManager.default.isWritableFile(atPath: path) else { throw RecurrentError(.io, "\(path): the directory is not writable") }
}
