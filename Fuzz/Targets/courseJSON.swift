import Foundation

/// libFuzzer target `courseJSON`: `FuzzEntries.courseJSON` on each input; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzEntries.check(FuzzEntries.courseJSON(FuzzEntries.bytes(start, count)))
    return 0
}
