import Foundation

/// libFuzzer target `npy`: `FuzzEntries.npy` on each input; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzEntries.check(FuzzEntries.npy(FuzzEntries.bytes(start, count)))
    return 0
}
