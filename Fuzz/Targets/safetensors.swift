import Foundation

/// libFuzzer target `safetensors`: `FuzzEntries.safetensors` on each input; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzEntries.check(FuzzEntries.safetensors(FuzzEntries.bytes(start, count)))
    return 0
}
