import Recurrent
import Testing

/// Checks a refusal from `MemoryBudget.require`: `message` is `needing` (what needs the memory
/// and how much, ending in "of memory; ") followed by what there is. Without a ulimit that is
/// exactly "this machine has" and the physical memory; under one (`ulimit`: this process's, or
/// true for a command run under `ulimit -v`), the address space the process may still use, which
/// depends on what it holds at that moment, so only its form is checked.
func expectMemoryRefusal(_ message: String?, needing: String, ulimit: Bool = MemoryBudget.processLimitBytes != nil,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let message = message ?? "(no refusal)"
    #expect(needing.hasSuffix(" of memory; "), "\(needing)", sourceLocation: sourceLocation)
    #expect(message.hasPrefix(needing), "\(message)", sourceLocation: sourceLocation)
    let have = message.dropFirst(needing.count)
    if !ulimit {
        #expect(have == "this machine has \(MemoryBudget.describe(MemoryBudget.physicalBytes))", "\(message)", sourceLocation: sourceLocation)
    } else {
        #expect(have.wholeMatch(of: /this process may use [0-9.]+ (bytes|[KMGTPE]B) more \(its ulimit\)/) != nil, "\(message)",
                sourceLocation: sourceLocation)
    }
}
