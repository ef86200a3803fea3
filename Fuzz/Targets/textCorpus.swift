import Foundation

/// libFuzzer target `textCorpus`: `FuzzEntries.textCorpus` on each input; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzEntries.check(FuzzEntries.textCorpus(FuzzEntries.bytes(start, count)))
    return 0
}
