import Foundation

/// Runs the built `recurrent` executable and captures its output.
enum CLI {
    struct Result {
        var status: Int32
        /// Whether a signal ended the process (`status` is then the signal's number).
        var signaled = false
        var stdout: String
        var stderr: String
        /// The message of a one-line error ("Error: message\n" and nothing else on standard error).
        var errorMessage: String? { CLI.errorMessage(stderr) }
    }

    /// The message of standard error `text` when it is one error line, "Error: message\n".
    static func errorMessage(_ text: String) -> String? {
        text.wholeMatch(of: /Error: (.*)\n/).map { String($0.1) }
    }

    /// The directory holding the built products (the test bundle's directory).
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        fatalError("couldn't find the products directory")
        #else
        return Bundle.main.bundleURL
        #endif
    }

    /// Runs `recurrent` with `arguments`; its standard output and error are captured, or go to
    /// the files `standardOutput` and `standardError` name (the capture is then empty).
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    standardOutput: String? = nil, standardError: String? = nil) throws -> Result {
        try launch(productsDirectory.appendingPathComponent("recurrent"), arguments, in: directory, environment: environment,
                   standardOutput: standardOutput, standardError: standardError)
    }

    /// Runs `sh -c script` with `$0` the built `recurrent`: for what an argument list cannot
    /// say (a limit set with `ulimit`, bytes that are not UTF-8: `"$0" inspect "$(printf 'm\\377')"`).
    static func shell(_ script: String, in directory: URL? = nil) throws -> Result {
        try launch(URL(fileURLWithPath: "/bin/sh"), ["-c", script, productsDirectory.appendingPathComponent("recurrent").path],
                   in: directory)
    }

    private static func launch(_ executable: URL, _ arguments: [String], in directory: URL?, environment: [String: String] = [:],
                               standardOutput: String? = nil, standardError: String? = nil) throws -> Result {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        // The pipe, or the named file (the pipe's writing end then closed, so reading it ends).
        func connect(_ path: String?, _ pipe: Pipe) throws -> Any {
            guard let path else { return pipe }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
            try pipe.fileHandleForWriting.close()
            return handle
        }
        process.standardOutput = try connect(standardOutput, out)
        process.standardError = try connect(standardError, err)
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory inside `temporaryRoot`, so that it goes when the test
    /// process exits even where a test does not remove it itself.
    static func temporaryDirectory() throws -> URL {
        let url = temporaryRoot.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// One directory per test process holding every `temporaryDirectory()`, removed at exit
    /// (a run left 1,780 directories in /tmp before). A lazy static: created once, thread-safe.
    static let temporaryRoot: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("recurrent-tests-\(getpid())-\(UUID().uuidString)")
        atexit { try? FileManager.default.removeItem(at: CLI.temporaryRoot) }
        return url
    }()
}
