import Foundation
import Synchronization

/// Standard output flushed as the commands go (progress lines, benchmark rows), with the first
/// failure kept for the end: a flush that fails drops its bytes, so a later one may find
/// nothing left to fail on, and the run would end with exit 0 and a cut-off result.
enum StandardOutput {
    /// The `errno` of the first failed flush; 0 while none has failed.
    private static let firstFailure = Atomic<Int32>(0)

    /// Writes out what the streams hold, keeping a failure.
    static func flush() {
        errno = 0
        guard fflush(nil) != 0 else { return }
        _ = firstFailure.compareExchange(expected: 0, desired: errno == 0 ? EIO : errno, ordering: .relaxed)
    }

    /// Whether a flush has failed (the bytes since are lost too: a long run may stop).
    static var hasFailed: Bool { firstFailure.load(ordering: .relaxed) != 0 }

    /// Why standard output lost bytes, after a last flush; nil when nothing was lost.
    static func failure() -> String? {
        flush()
        let code = firstFailure.load(ordering: .relaxed)
        return code == 0 ? nil : String(cString: strerror(code))
    }
}

/// Standard error, written without trapping: `FileHandle.write(_: Data)` traps when the write
/// fails (a full disk, a closed descriptor), and then there is nowhere left to say so.
enum StandardError {
    static func write(_ text: String) {
        _ = try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}
