import Foundation
import Recurrent

/// Throws unless every path names a readable file.
func checkReadable(_ paths: String...) throws {
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw RecurrentError(.io, "\(path): no such file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else { throw RecurrentError(.io, "\(path): not readable") }
    }
}

/// Throws unless each path's directory exists and can be written (before long work starts).
func checkWritable(_ paths: [String]) throws {
    for path in paths {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RecurrentError(.io, "\(path): the directory \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw RecurrentError(.io, "\(path): the directory \(directory) is not writable")
        }
    }
}

/// Creates `path` as a directory if it is not one (with its parents), and throws unless it
/// can be written: a checkpoint directory, checked before training starts.
func prepareDirectory(_ path: String) throws {
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
