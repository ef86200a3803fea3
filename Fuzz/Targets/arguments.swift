import ArgumentParser
import Foundation

/// libFuzzer target `arguments`, compiled together with the CLI's sources (its `@main` renamed):
/// parses the argument list `FuzzEntries.argumentList` makes from each input with
/// `RecurrentCommand.parseAsRoot`, which also runs every parsed command's `validate()`. Nothing
/// is run. A refusal must come with a message (help, usage or error) unless it is a plain exit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let arguments = FuzzEntries.argumentList(FuzzEntries.bytes(start, count))
    do {
        _ = try RecurrentCommand.parseAsRoot(arguments)
    } catch {
        let message = RecurrentCommand.fullMessage(for: error)
        if message.isEmpty && RecurrentCommand.exitCode(for: error) != .success {
            fatalError("no message for a failing exit: \(arguments)")
        }
    }
    return 0
}
