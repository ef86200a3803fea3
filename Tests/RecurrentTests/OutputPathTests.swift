import Foundation
import Testing
@testable import Recurrent
@testable import RecurrentCLI

/// Where commands write, checked before any work: an output is a file (not a directory, not
/// empty), no two outputs are one file, and no output replaces a file the command reads.
@Suite("Output paths")
struct OutputPathTests {
    /// Runs `recurrent`, expecting a failure whose one line is `Error: <message>` and no work
    /// done (nothing on standard output).
    func expectRefusal(_ arguments: [String], _ message: String, in directory: URL? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CLI.run(arguments, in: directory)
        #expect(result.status == 1, sourceLocation: sourceLocation)
        #expect(result.stderr == "Error: \(message)\n", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "work was done before the refusal: \(result.stdout)", sourceLocation: sourceLocation)
    }

    @Test("A directory or an empty path as an output is refused before training or the experiment starts")
    func directoryOrEmptyOutputRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try expectRefusal(["train", "--steps", "2", "--output", dir.path], "\(dir.path): is a directory; --output names a file")
        let empty = try CLI.run(["train", "--steps", "2", "--output", ""], in: dir)
        #expect(empty.status == 64 && empty.stdout.isEmpty && empty.errorMessage == "argument 5 (after --output) is empty; give a value or leave it out")
        // An empty module name is the module at the root of a file; after "--", an empty operand is left to the command.
        #expect(RecurrentCommand.emptyArgument(in: ["predict", "--prefix", "", "--head", "", "--embedding", ""]) == nil)
        #expect(RecurrentCommand.emptyArgument(in: ["plot", "--", ""]) == nil)
        #expect(RecurrentCommand.emptyArgument(in: ["", "--prefix", ""])! == (1, nil))
        try expectRefusal(["experiment", "gradients", "--length", "5", "--svg", dir.path],
                          "\(dir.path): is a directory; --svg names a file")
        // A directory where the loss curve would go.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("m.loss.jsonl"), withIntermediateDirectories: false)
        try expectRefusal(["train", "--steps", "2", "--output", "m.safetensors"],
                          "\(dir.appendingPathComponent("m.loss.jsonl").path): is a directory; --output's loss curve names a file", in: dir)
    }

    @Test("A loss curve named like the training text would replace it: refused, and the text is untouched")
    func curveOverInputRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = String(repeating: "to be or not to be\n", count: 20)
        try text.write(to: dir.appendingPathComponent("tt.loss.jsonl"), atomically: true, encoding: .utf8)
        try expectRefusal(["train", "--text", "tt.loss.jsonl", "--steps", "2", "--seq-len", "8", "--output", "tt.safetensors"],
                          "--output's loss curve \(dir.appendingPathComponent("tt.loss.jsonl").path) would overwrite the input --text", in: dir)
        #expect(try String(contentsOf: dir.appendingPathComponent("tt.loss.jsonl"), encoding: .utf8) == text)
    }

    @Test("predict: --output and --state-output naming one file, or an output over the model, are refused")
    func predictOutputsDistinct() throws {
        let f = try TorchCase("lstm_stacked_bidirectional")
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = f.url("model.safetensors").path, input = f.url("input.npy").path
        try expectRefusal(["predict", "--model", model, "--input", input, "--output", "y.npy", "--state-output", "./y.npy"],
                          "--output and --state-output name the same file, ./y.npy", in: dir)
        // A dangling link to the other output names it too (the write would create it through the link).
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("s.st").path, withDestinationPath: "y.npy")
        try expectRefusal(["predict", "--model", model, "--input", input, "--output", "y.npy", "--state-output", "s.st"],
                          "--output and --state-output name the same file, s.st", in: dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("s.st"))
        // The model is copied in: a refusal must leave it as it was.
        try FileManager.default.copyItem(atPath: model, toPath: dir.appendingPathComponent("m.safetensors").path)
        try expectRefusal(["predict", "--model", "m.safetensors", "--input", input, "--output", "y.npy", "--state-output", "m.safetensors"],
                          "--state-output m.safetensors would overwrite the input --model", in: dir)
        #expect(FileManager.default.contentsEqual(atPath: model, andPath: dir.appendingPathComponent("m.safetensors").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
    }

    @Test("Fine-tuning a forecaster keeps its columns and scaling; data of other columns is refused")
    func forecasterKeepsColumns() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func csv(_ name: String, _ header: String, _ row: (Int) -> String) throws {
            try (header + "\n" + (0..<40).map(row).joined(separator: "\n")).write(
                to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try csv("s.csv", "a,b") { "\($0 % 7),\(($0 * 3) % 5)" }
        try csv("t.csv", "a,b,c") { "\(100 + $0),\($0 * $0),\($0 % 2)" }
        let small = ["--steps", "2", "--hidden", "4", "--seq-len", "4", "--quiet"]
        var result = try CLI.run(["train", "--csv", "s.csv", "--output", "f.safetensors"] + small, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["train", "--model", "f.safetensors", "--csv", "t.csv", "--columns", "a,b", "--output", "g.safetensors",
                              "--steps", "2", "--seq-len", "4", "--quiet"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let f = try SequenceModel<Float>.load(from: dir.appendingPathComponent("f.safetensors"))
        let g = try SequenceModel<Float>.load(from: dir.appendingPathComponent("g.safetensors"))
        #expect(g.series == f.series && f.series?.columns == ["a", "b"])
        result = try CLI.run(["train", "--model", "f.safetensors", "--csv", "t.csv", "--columns", "a,c", "--steps", "2", "--seq-len", "4"], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(dir.appendingPathComponent("t.csv").path): the model forecasts the columns a, b, but the data has a, c\n")
    }

    @Test("An invalid value for an option of fixed values lists them all on the error's line")
    func valueListOnOneLine() throws {
        let result = try CLI.run(["train", "--cell", "foo"])
        #expect(result.status == 64)
        #expect(result.stderr == "Error: The value 'foo' is invalid for '--cell <cell>'. Please provide one of the following: "
            + CellKind.allCases.map(\.rawValue).joined(separator: ", ") + "\n")
    }

    @Test("Refused before training: --output over the checkpoint, a cosine schedule without a length, validation with nothing held out, a forecaster on arrays")
    func runsThatCouldNotDoWhatTheySay() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try expectRefusal(["train", "--steps", "2", "--checkpoint", "ck", "--output", "ck/checkpoint.safetensors"],
                          "--output ck/checkpoint.safetensors would overwrite the input --checkpoint's file", in: dir)
        try String(repeating: "to be or not to be\n", count: 40).write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        try expectRefusal(["train", "--text", "t.txt", "--seq-len", "8", "--schedule", "cosine", "--max-time", "1"],
                          "--schedule cosine anneals over the run's length: give --steps or --epochs", in: dir)
        let x = (0..<160).map { Float($0 % 7) * 0.1 }
        try NPY.write(Tensor<Float>(shape: [5, 16, 2], scalars: x), to: dir.appendingPathComponent("x.npy"))
        try NPY.write(Tensor<Float>(shape: [5, 16, 1], scalars: Array(x.prefix(80))), to: dir.appendingPathComponent("y.npy"))
        let arrays = ["train", "--input", "x.npy", "--target", "y.npy", "--steps", "2"]
        let heldOut = try CLI.run(arrays + ["--validation-split", "0.01", "--validate-every", "1"], in: dir)
        #expect(heldOut.status == 1 && heldOut.stderr == "Error: --validate-every: no data is held out (arrays \(dir.path)/x.npy → "
                + "\(dir.path)/y.npy: 16 sequences of 5 steps of 2 inputs, 1 value at every step; 16 train, 0 held out)\n", "\(heldOut.stderr)")
        try (["a,b"] + (0..<30).map { "\($0 % 5),\($0 % 3)" }).joined(separator: "\n").write(
            to: dir.appendingPathComponent("s.csv"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["train", "--csv", "s.csv", "--seq-len", "4", "--steps", "2", "--output", "f.safetensors"], in: dir).status == 0)
        try expectRefusal(arrays + ["--model", "f.safetensors"],
                          "the model is a forecaster of the columns a, b, scaled as it learned them: train it further with --csv", in: dir)
    }

    @Test("A result that cannot reach standard output (a full disk) is an error, not a cut-off result with exit 0")
    func fullStandardOutput() throws {
        let full = try CLI.run(["trace", "--preset", "homework-lstm"], standardOutput: "/dev/full")
        #expect(full.status == 1 && full.stderr == "Error: standard output: cannot write (No space left on device)\n", "\(full.stderr)")
        // bench flushes each row as it goes: a failed flush is remembered for the end.
        let bench = try CLI.run(["bench", "--config", "1,2,2,2,1", "--repeats", "1", "--threads", "1"], standardOutput: "/dev/full")
        #expect(bench.status == 1 && bench.stderr == "Error: standard output: cannot write (No space left on device)\n", "\(bench.stderr)")
        // With standard error unwritable too, the failure is an exit status, not a trap.
        let mute = try CLI.run(["inspect", "/nonexistent.safetensors"], standardOutput: "/dev/full", standardError: "/dev/full")
        #expect(mute.status == 1 && !mute.signaled)
        // Over stdio's buffer (4 KB) one print fails inside itself; nothing is left for the last flush.
        for format in ["svg", "html"] {
            let large = try CLI.run(["trace", "--format", format], standardOutput: "/dev/full")
            #expect(large.status == 1 && large.stderr == "Error: standard output: cannot write (No space left on device)\n",
                    "\(format): \(large.stderr)")
        }
        let null = try CLI.run(["trace", "--preset", "homework-lstm"], standardOutput: "/dev/null")
        #expect(null.status == 0 && null.stderr.isEmpty)
        // --help and --version too: exit 0 only when the text was written.
        for request in [["--help"], ["train", "--help"], ["--version"]] {
            let lost = try CLI.run(request, standardOutput: "/dev/full")
            #expect(lost.status == 1 && lost.stderr == "Error: standard output: cannot write (No space left on device)\n",
                    "\(request): \(lost.stderr)")
            let shown = try CLI.run(request)
            #expect(shown.status == 0 && shown.stdout.contains(request == ["--version"] ? "0.1.0" : "USAGE: recurrent"), "\(shown.stdout)")
        }
    }

    @Test("--output /dev/stdout (however spelled) writes through the descriptor: what the shell's file held before and after it stays",
          arguments: ["/dev/stdout", "/dev//stdout", "/dev/./stdout", "/dev/fd/../fd/1", "/proc/thread-self/fd/1", "/proc/self/fd/1"])
    func outputThroughStandardOutput(_ alias: String) throws {
        let dir = try CLI.temporaryDirectory(), f = try TorchCase("lstm_basic")
        let result = try CLI.shell("""
            echo old > out.bin
            { echo first; "$0" predict --model '\(f.url("model.safetensors").path)' --input '\(f.url("input.npy").path)' \\
              --output \(alias); echo last; } >> out.bin
            """, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        // Renamed over, the file was the .npy alone; now the lines around it stay, in order.
        let bytes = try Data(contentsOf: dir.appendingPathComponent("out.bin"))
        #expect(bytes.starts(with: Data("old\nfirst\n".utf8) + Data([0x93]) + Data("NUMPY".utf8)))
        #expect(bytes.suffix(5) == Data("last\n".utf8))
        let npy = bytes.dropFirst("old\nfirst\n".utf8.count).dropLast("last\n".utf8.count)
        try Data(npy).write(to: dir.appendingPathComponent("y.npy"))
        #expect(try NPY.read(dir.appendingPathComponent("y.npy"), as: Float.self).maxAbsoluteDifference(try f.npy("output.npy")) <= 1e-5)
    }

    @Test("Over a file-size limit (ulimit -f) a write is an error naming the file, not SIGXFSZ, and leaves no temporary")
    func fileSizeLimit() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.shell("ulimit -f 8; exec \"$0\" train --task parity --length 4 --hidden 64 --steps 1 --quiet --output m.safetensors",
                                   in: dir)
        #expect(!result.signaled && result.status == 1, "\(result.status) \(result.stderr)")
        #expect(result.stderr == "Error: \(dir.path)/m.safetensors: cannot write (File too large)\n", "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    @Test("An argument whose bytes are not UTF-8 is refused: Swift would read it with U+FFFD and name another file")
    func argumentNotUTF8() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A file named with U+FFFD itself is what the repaired argument would read.
        try Data("precious".utf8).write(to: dir.appendingPathComponent("m\u{FFFD}.safetensors"))
        let result = try CLI.shell(#"exec "$0" inspect "$(printf 'm\377.safetensors')""#, in: dir)
        #expect(result.status == 64 && result.stderr == "Error: argument 2, 'm\u{FFFD}.safetensors', is not valid UTF-8 "
            + "(a name in another encoding?): it would name another file; rename it\n", "\(result.stderr)")
    }

    @Test("A long file name that the system takes is written (its temporary name fits too); one it cannot take is refused first")
    func longNames() throws {
        let dir = try CLI.temporaryDirectory()
        let fits = dir.appendingPathComponent(String(repeating: "m", count: 243) + ".safetensors")
        let run = ["train", "--task", "parity", "--length", "4", "--hidden", "2", "--steps", "1", "--quiet"]
        let written = try CLI.run(run + ["--output", fits.path])
        #expect(written.status == 0 && FileManager.default.fileExists(atPath: fits.path), "\(written.stderr)")
        let tooLong = dir.appendingPathComponent(String(repeating: "m", count: 244) + ".safetensors")
        let refused = try CLI.run(run + ["--output", tooLong.path])
        #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused.stderr)")
        #expect(refused.errorMessage == "--output: the name \(String(repeating: "m", count: 24))... is 256 bytes long, over the system's limit of 255")
        // The length counted is the working directory's, a slash, 4200 bytes of d/ and the checkpoint's own name.
        let deep = try CLI.run(run + ["--checkpoint", String(repeating: "d/", count: 2100)], in: dir)
        let length = dir.path.utf8.count + 4224
        #expect(deep.status == 1 && deep.errorMessage == "--checkpoint: the path is \(length) bytes long (from the working directory), "
            + "and the temporary files written beside it \(length + 92): over the system's limit of 4095", "\(deep.stderr)")
    }

    @Test("Temporary files that killed writes left beside an output are removed by the next run that writes it")
    func interruptedWritesOfOutputsRemoved() throws {
        let dir = try CLI.temporaryDirectory()
        let left = [".m.safetensors.partial-1234", "..m.safetensors.partial-1234.partial-5678", ".m.loss.svg.partial-9"]
        for name in left + [".other.partial-1", "keep.txt"] { try Data([1]).write(to: dir.appendingPathComponent(name)) }
        let result = try CLI.run(["train", "--task", "parity", "--length", "4", "--hidden", "2", "--steps", "1", "--quiet",
                                  "--output", dir.appendingPathComponent("m.safetensors").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            == [".other.partial-1", "keep.txt", "m.loss.jsonl", "m.loss.svg", "m.safetensors"])
    }

    @Test("Two outputs that are one file through a link in a directory are refused, even before the file exists")
    func sameFileThroughDirectoryLink() throws {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("d").path, withDestinationPath: ".")
        let f = try TorchCase("lstm_stacked_bidirectional")
        let result = try CLI.run(["predict", "--model", f.url("model.safetensors").path, "--input", f.url("input.npy").path,
                                  "--output", "d/o", "--state-output", "o"], in: dir)
        #expect(result.status == 1 && result.stderr == "Error: --output and --state-output name the same file, o\n", "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["d"])
    }

    @Test("Relative paths work from a working directory deeper than Foundation's 1024-byte relative URLs")
    func deepWorkingDirectory() throws {
        var deep = try CLI.temporaryDirectory()
        for _ in 0..<5 { deep.appendPathComponent(String(repeating: "d", count: 250)) }
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        let result = try CLI.run(["train", "--task", "parity", "--length", "4", "--hidden", "2", "--steps", "1", "--quiet",
                                  "--output", "m.safetensors"], in: deep)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: deep.appendingPathComponent("m.safetensors").path))
    }

    @Test("From a working directory deeper than PATH_MAX, a relative output is refused before training")
    func workingDirectoryPastPathMax() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recurrent = CLI.productsDirectory.appendingPathComponent("recurrent").path
        let process = Process(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")  // dash's cd gives up past PATH_MAX
        // 17 directories of 250 bytes: past 4096 bytes, reached one `cd` at a time.
        process.arguments = ["-c", "cd \"$1\" && for i in $(seq 17); do mkdir \"$2\" && cd \"$2\" || exit 9; done; "
                             + "exec \"$0\" train --task parity --length 4 --hidden 2 --steps 1 --quiet --output m.safetensors",
                             recurrent, dir.path, String(repeating: "d", count: 250)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // The path: the directory, 17 × "/" + 250 bytes, "/m.safetensors"; its temporaries' names
        // (".m.safetensors.partial-UUID", twice over) are 92 bytes longer than "m.safetensors".
        let length = dir.path.utf8.count + 17 * 251 + "/m.safetensors".utf8.count
        #expect(process.terminationStatus == 1 && stderr == "Error: --output: the path is \(length) bytes long (from the working "
                + "directory), and the temporary files written beside it \(length + 92): over the system's limit of 4095\n", "\(stderr)")
    }

    @Test("A path holding a line break is shown escaped, and the message stays whole on its one line")
    func lineBreakInPath() throws {
        let result = try CLI.run(["inspect", "/nonexistent/no\nsuch.safetensors"])
        #expect(result.status == 1 && result.stderr == "Error: /nonexistent/no\\nsuch.safetensors: no such file\n", "\(result.stderr)")
    }

    @Test("A device or pipe as --output gets the model alone: no loss curve beside it (beside /dev/null it would land in /dev)")
    func deviceOutputHasNoCurve() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pipe = dir.appendingPathComponent("model.fifo")
        #expect(mkfifo(pipe.path, 0o600) == 0)
        let command = try TrainCommand.parse(["--output", pipe.path])
        #expect(command.outputs.map(\.path) == [pipe.path])
        let file = try TrainCommand.parse(["--output", dir.appendingPathComponent("m.safetensors").path])
        #expect(file.outputs.map(\.what) == ["--output", "--output's loss curve", "--output's loss picture"])
    }

    @Test("Under a process memory limit (ulimit -v), what would pass the machine's memory but not the limit is refused")
    func processLimitRespected() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let binary = CLI.productsDirectory.appendingPathComponent("recurrent").path
        process.arguments = ["-c", "ulimit -v 4000000; exec \"$0\" bench --config 1,20000000,1,1,1 --repeats 1", binary]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        // A fifth of the 100,000,000 steps whose 58.5 GB `TrainCommandTests` pins.
        expectMemoryRefusal(CLI.errorMessage(text), needing: "benchmarking LSTM(1, 1) on 1 sequences of 20000000 steps would need 11.7 GB of memory; ",
                            ulimit: true)
    }
}
