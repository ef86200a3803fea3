import Foundation

/// libFuzzer target `fileToNetwork`: `FuzzEntries.fileToNetwork` on each input; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzEntries.check(FuzzEntries.fileToNetwork(FuzzEntries.bytes(start, count)))
    return 0
}
