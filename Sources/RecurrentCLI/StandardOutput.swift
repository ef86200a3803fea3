import Foundation
import Synchronization

/// Standard output flushed as the commands go (progress lines, benchmark rows), with the first
/// failure kept for the end: a flush that fails drops its bytes, so a later one may find
/// nothing left to fail on, and the run would end with exit 0 and a cut-off result.
enum StandardOutput {
    /// The `errno` of the first failed flush; 0 while none has failed.
    private static let firstFailure = Atomic<Int32>(0)

    /// Writes out what the streams hold, keeping a failure: of this flush, or of an earlier
    /// write that failed inside a large `print` (the stream's error flag is then set, but
    /// nothing is left to flush, so `fflush` succeeds: output over 4 KB was lost with exit 0).
    static func flush() {
        let earlier = errno   // the errno of a failed `fwrite`, when `print` was the last call
        errno = 0
        if fflush(nil) != 0 {
            _ = firstFailure.compareExchange(expected: 0, desired: errno == 0 ? EIO : errno, ordering: .relaxed)
        } else if standardOutputStreamFailed() {
            _ = firstFailure.compareExchange(expected: 0, desired: earlier == 0 ? EIO : earlier, ordering: .relaxed)
        }
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
