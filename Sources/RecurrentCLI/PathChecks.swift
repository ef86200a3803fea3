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
