import Foundation

/// libFuzzer target `csv`: `FuzzEntries.csv` on each input; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzEntries.check(FuzzEntries.csv(FuzzEntries.bytes(start, count)))
    return 0
}
