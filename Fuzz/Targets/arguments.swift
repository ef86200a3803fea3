import Foundation

/// libFuzzer target `arguments`, compiled together with the CLI's sources (its `@main` renamed)
/// and `FuzzCommands`: each input becomes an argument list (`FuzzEntries.argumentList`), parsed
/// with `RecurrentCommand.parseAsRoot` (every parsed command's `validate()` runs); a command
/// whose work is small then runs in this process, in a fresh directory of small real files.
/// A failing exit needs a message; a refusal while running must be a one-line
/// `RecurrentError` or `ValidationError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    _ = standardOutputSilenced
    let outcome = FuzzCommands.arguments(FuzzEntries.bytes(start, count), run: FuzzCommands.runInProcess)
    if case .violated(let why) = outcome { fatalError("fuzz property violated: \(why)") }
    return 0
}

/// The commands' printing goes to /dev/null (libFuzzer reports on standard error).
let standardOutputSilenced: Void = {
    let null = open("/dev/null", O_WRONLY)
    if null >= 0 { dup2(null, STDOUT_FILENO) }
}()
