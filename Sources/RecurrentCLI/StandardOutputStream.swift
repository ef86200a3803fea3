// Only the C library here: read through Foundation, `stdout` is a mutable global that Swift 6
// refuses; imported `@preconcurrency`, it is read as the C library means it (its streams lock).
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Whether a write to the C library's standard output stream has failed (its error flag).
func standardOutputStreamFailed() -> Bool {
    ferror(stdout) != 0
}
