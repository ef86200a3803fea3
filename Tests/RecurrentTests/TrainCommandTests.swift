import Foundation
import Testing
@testable import Recurrent

/// `recurrent train` and `recurrent generate`, run as a user runs them.
@Suite("recurrent train and generate")
struct TrainCommandTests {
    @Test("With no arguments it trains an LSTM on parity and reports 100% on fresh sequences")
    func defaultRun() throws {
        let result = try CLI.run(["train"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("accuracy 100.00% (20480 of 20480 predictions)"))
        #expect(result.stdout.contains("\nvalidation loss: "))
    }

    @Test("Fine-tuning a PyTorch LSTM: one SGD step on MSE equals torch.optim.SGD to 1e-5 and keeps its tensor names")
    func fineTune() throws {
        let f = TorchCase.root.appendingPathComponent("finetune")
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("M2.safetensors")
        let result = try CLI.run(["train", "--model", f.appendingPathComponent("model.safetensors").path,
                                  "--input", f.appendingPathComponent("input.npy").path,
                                  "--target", f.appendingPathComponent("target.npy").path,
                                  "--loss", "mse", "--optimizer", "sgd", "--lr", "0.5", "--batch-size", "5", "--epochs", "1",
                                  "--output", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try SafetensorsFile<Float>.read(out), expected = try SafetensorsFile<Float>.read(f.appendingPathComponent("expected.safetensors"))
        #expect(Set(ours.names) == Set(expected.names))
        for name in expected.names {
            #expect(try #require(ours[name]).maxAbsoluteDifference(try #require(expected[name])) <= 1e-5, "\(name)")
        }
        let curve = try String(contentsOf: dir.appendingPathComponent("M2.loss.jsonl"), encoding: .utf8)
        #expect(curve.split(separator: "\n").count == 1 && curve.hasPrefix("{\"loss\":"))
    }

    @Test("A text model trains, reports its validation loss, and generates reproducible text from its vocabulary")
    func textAndGenerate() throws {
        let dir = try CLI.temporaryDirectory()
        let text = dir.appendingPathComponent("t.txt"), model = dir.appendingPathComponent("m.safetensors")
        try String(repeating: "to be or not to be, that is the question. ", count: 30).write(to: text, atomically: true, encoding: .utf8)
        let train = try CLI.run(["train", "--text", text.path, "--hidden", "16", "--seq-len", "8", "--batch-size", "4",
                                 "--steps", "40", "--validate-every", "20", "--output", model.path])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("step 20  validation loss "))
        let line = try #require(train.stdout.split(separator: "\n").first { $0.hasPrefix("validation loss: ") })
        #expect(Double(line.dropFirst("validation loss: ".count)) != nil)
        let a = try CLI.run(["generate", "--model", model.path, "--prime", "to be", "--length", "30", "--seed", "3"])
        let b = try CLI.run(["generate", "--model", model.path, "--prime", "to be", "--length", "30", "--seed", "3"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let sample = a.stdout.dropLast()
        #expect(sample.hasPrefix("to be") && sample.unicodeScalars.count == 35)
        #expect(Set(sample).isSubset(of: Set("to be or not to be, that is the question. ")))
        let bad = try CLI.run(["generate", "--model", model.path, "--prime", "xyz"])
        #expect(bad.status == 1 && bad.stderr.contains("is not in the model's vocabulary") && bad.stdout.isEmpty)
        // An invisible character (a byte-order mark pasted with the prime) is named by its code.
        let characters = Set("to be or not to be, that is the question. ".unicodeScalars).count
        let bom = try CLI.run(["generate", "--model", model.path, "--prime", "to\u{FEFF}"])
        #expect(bom.status == 1 && bom.stderr == "Error: the prime's character \"\u{FEFF}\" (U+FEFF) at position 2 "
            + "is not in the model's vocabulary (\(characters) characters)\n", "\(bom.stderr)")
        let noPrime = try CLI.run(["generate", "--model", model.path, "--length", "5"])
        #expect(noPrime.status == 1 && noPrime.stderr == "Error: the model's text had no line breaks, so the default --prime (a newline) "
            + "is not in its vocabulary; give --prime with characters of its text\n")
        let negative = try CLI.run(["generate", "--model", model.path, "--prime", "to", "--length", "-5"])
        #expect(negative.status == 64 && negative.stderr == "Error: --length must be 0 or more, got -5\n")
        #expect(negative.stdout.isEmpty)   // the prime is printed once generation has begun
        let none = try CLI.run(["generate", "--model", model.path, "--prime", "to", "--length", "0"])
        #expect(none.status == 0 && none.stdout == "to\n")
        // A lost standard output ends a long run at once, with its reason.
        let full = try CLI.shell("timeout 60 \"$0\" generate --model '\(model.path)' --prime to --length 100000000 > /dev/full; echo \"status $?\"")
        #expect(full.stdout == "status 1\n" && full.stderr == "Error: standard output: cannot write (No space left on device)\n",
                "\(full.stdout) \(full.stderr)")
        let hot = try CLI.run(["generate", "--model", model.path, "--prime", "to", "--temperature", "inf"])
        #expect(hot.status != 0 && hot.stderr.contains("--temperature must be 0 or a finite positive number, got inf"), "\(hot.stderr)")
        // Characters are printed as they are drawn: a run of 10^8 stopped by SIGTERM (sh's background
        // jobs ignore SIGINT) once 40 bytes are out has shown the short run's text, needing no memory.
        // The test runner launches with the signals blocked; recurrent lets them in (else: 137, SIGKILL).
        let interrupted = try CLI.shell("""
            "$0" generate --model '\(model.path)' --prime 'to be' --length 100000000 --seed 3 > out.txt & pid=$!
            for i in $(seq 600); do [ $(wc -c < out.txt) -ge 40 ] && break; sleep 0.05; done
            kill -TERM $pid; for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
            kill -KILL $pid 2>/dev/null; wait $pid; echo "status $?"; head -c 35 out.txt
            """, in: dir)
        #expect(interrupted.stdout == "status 143\n" + String(sample), "\(interrupted.stdout) \(interrupted.stderr)")
    }

    @Test("A CSV time series trains one-step-ahead forecasting to near its noise floor")
    func csvForecasting() throws {
        let dir = try CLI.temporaryDirectory()
        let csv = dir.appendingPathComponent("series.csv")
        var g = SeededGenerator(seed: 1)
        var rows = ["time,temp,load"]
        for t in 0..<1200 {
            rows.append("\(t),\(sin(Double(t) / 10) + 0.05 * g.normal()),\(2 * cos(Double(t) / 25) + 1)")
        }
        try rows.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        let result = try CLI.run(["train", "--csv", csv.path, "--columns", "temp,load", "--epochs", "150", "--lr", "0.01"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("validation loss: ") })
        let loss = try #require(Double(line.dropFirst("validation loss: ".count)))
        #expect(loss < 0.05)
    }

    @Test("--columns reads its list as a CSV line: a name holding a comma is picked in quotes; an open quote is a usage error")
    func columnsQuoted() throws {
        let dir = try CLI.temporaryDirectory()
        let csv = dir.appendingPathComponent("s.csv")
        let rows = ["t,\"price, usd\",load"] + (0..<40).map { "\($0),\(Double($0 % 5) * 2),\($0 % 3)" }
        try rows.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        let run = ["train", "--csv", csv.path, "--seq-len", "4", "--validation-split", "0", "--steps", "1", "--quiet", "--output", dir.appendingPathComponent("m.safetensors").path]
        let picked = try CLI.run(run + ["--columns", "\"price, usd\", load"])
        #expect(picked.status == 0, "\(picked.stderr)")
        let scaling = try #require(SequenceModel<Float>.load(from: dir.appendingPathComponent("m.safetensors")).series)
        #expect(scaling.columns == ["price, usd", "load"] && scaling.means[0] == 4)
        let open = try CLI.run(run + ["--columns", "\"price, usd"])
        #expect(open.status == 64 && open.stderr.hasPrefix("Error: --columns: a quote is not closed"), "\(open.stderr)")
    }

    @Test("A forecaster trained further on a CSV with more columns reads its own, by name (the README's example was refused)")
    func forecasterReadsItsOwnColumns() throws {
        let dir = try CLI.temporaryDirectory()
        let rows = ["hour,temp,load"] + (0..<60).map { "\($0),\(10 + $0 % 7),\(3 + $0 % 3)" }
        try rows.joined(separator: "\n").write(to: dir.appendingPathComponent("series.csv"), atomically: true, encoding: .utf8)
        try ("load,x,temp\n" + (0..<60).map { "\(3 + $0 % 3),\($0),\(10 + $0 % 5)" }.joined(separator: "\n"))
            .write(to: dir.appendingPathComponent("more.csv"), atomically: true, encoding: .utf8)
        let first = try CLI.run(["train", "--csv", "series.csv", "--columns", "temp,load", "--hidden", "4", "--seq-len", "4",
                                 "--epochs", "1", "--quiet", "--output", "f.safetensors"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let further = try CLI.run(["train", "--model", "f.safetensors", "--csv", "more.csv", "--seq-len", "4", "--epochs", "1",
                                   "--quiet", "--output", "f2.safetensors"], in: dir)
        #expect(further.status == 0 && further.stdout.contains("2 columns (temp, load)"), "\(further.stdout) \(further.stderr)")
        #expect(try SequenceModel<Float>.load(from: dir.appendingPathComponent("f2.safetensors")).series?.columns == ["temp", "load"])
    }

    @Test("--seed with a loaded model and data read in order is refused: it would change nothing (the files were byte-identical)")
    func unusedSeedRefused() throws {
        let dir = try CLI.temporaryDirectory()
        try String(repeating: "abcdefghij", count: 40).write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        let text = ["train", "--text", "t.txt", "--seq-len", "8", "--batch-size", "2", "--steps", "1", "--quiet"]
        #expect(try CLI.run(text + ["--hidden", "4", "--output", "m.safetensors"], in: dir).status == 0)
        let streams = try CLI.run(text + ["--model", "m.safetensors", "--sampling", "streams", "--seed", "3"], in: dir)
        #expect(streams.status == 1 && streams.stderr.hasPrefix("Error: --seed changes nothing here: the model is loaded (--model) and text "),
                "\(streams.stderr)")
        #expect(try CLI.run(text + ["--model", "m.safetensors", "--seed", "3"], in: dir).status == 0)   // windows are drawn from it
    }

    @Test("--clip inf turns clipping off and checkpoints (JSON has no infinity: the first checkpoint failed), and the run resumes")
    func clipInfinityCheckpoints() throws {
        let dir = try CLI.temporaryDirectory()
        let run = ["train", "--task", "parity", "--length", "4", "--hidden", "4", "--clip", "inf", "--checkpoint", dir.path,
                   "--checkpoint-every", "1"]
        let first = try CLI.run(run + ["--steps", "2"])
        #expect(first.status == 0 && !first.stdout.contains(", clip "), "\(first.stderr)")
        let resumed = try CLI.run(run + ["--steps", "3"])
        #expect(resumed.status == 0 && resumed.stdout.contains("at step 2\n") && resumed.stdout.contains("trained 3 steps"),
                "\(resumed.stdout) \(resumed.stderr)")
    }

    @Test("--max-time stops training and still ends with the validation loss")
    func maxTime() throws {
        let dir = try CLI.temporaryDirectory()
        let text = dir.appendingPathComponent("t.txt")
        try String(repeating: "abcdefghij", count: 200).write(to: text, atomically: true, encoding: .utf8)
        let result = try CLI.run(["train", "--text", text.path, "--hidden", "8", "--seq-len", "8", "--batch-size", "2", "--max-time", "0.5"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("(time limit)"))
        #expect(result.stdout.contains("\nvalidation loss: "))
    }

    @Test("Killing training mid-run never leaves a broken checkpoint, and the run resumes from it")
    func crashSafeCheckpoints() throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["train", "--task", "parity", "--hidden", "64", "--steps", "100000", "--checkpoint", dir.path,
                         "--checkpoint-every", "1", "--quiet"]
        var lastStep = 0
        for attempt in 0..<5 {
            let process = Process()
            process.executableURL = CLI.productsDirectory.appendingPathComponent("recurrent")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 0.4 + 0.13 * Double(attempt))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let url = dir.appendingPathComponent("checkpoint.safetensors")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let file = try SafetensorsFile<Float>.read(url)
            #expect(file.names.contains("rnn.weight_ih_l0") && file.names.contains("optimizer.exp_avg"))
            let resumed = try #require(try Trainer<Float>.resume(
                from: dir, data: try ParityTask(length: 20),
                options: TrainingOptions(batchSize: 32, steps: 100000, optimizer: .init(kind: .adam, learningRate: 0.01), clipNorm: 1)))
            #expect(resumed.step >= lastStep)
            lastStep = resumed.step
        }
        #expect(lastStep > 0)
        // Writes cut short by the kills left no temporary files: resuming removed them.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".partial-") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test("Ctrl-C ends training after its step and saves the model, its curve and a checkpoint at that step; exit 130")
    func interruptSavesTheRun() throws {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors"), checkpoint = dir.appendingPathComponent("ck")
        let process = Process()
        process.executableURL = CLI.productsDirectory.appendingPathComponent("recurrent")
        process.arguments = ["train", "--task", "parity", "--hidden", "64", "--steps", "100000", "--checkpoint", checkpoint.path,
                             "--checkpoint-every", "1", "--quiet", "--output", model.path]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        // Training is under way once the first checkpoint is there.
        let saved = checkpoint.appendingPathComponent("checkpoint.safetensors")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: saved.path) { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGINT)
        // Never a hung suite: a run the signal did not stop is killed after a minute (and fails below).
        let pid = process.processIdentifier, watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        defer { watchdog.cancel() }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("interrupted: saving what was trained"), "\(stderr)")
        let steps = try #require(stdout.firstMatch(of: /trained (\d+) steps in [0-9.]+ s \(interrupted\)/).flatMap { Int($0.1) }, "\(stdout)")
        #expect(steps >= 1 && steps < 100000)
        let resumed = try #require(try Trainer<Float>.resume(
            from: checkpoint, data: try ParityTask(length: 20),
            options: TrainingOptions(batchSize: 32, steps: 100000, optimizer: .init(kind: .adam, learningRate: 0.01), clipNorm: 1)))
        #expect(resumed.step == steps)
        #expect(try SequenceModel<Float>.load(from: model).parameters == resumed.model.parameters)
        let curve = try String(contentsOf: dir.appendingPathComponent("m.loss.jsonl"), encoding: .utf8)
        #expect(curve.split(separator: "\n").count == steps)
    }

    @Test("An interrupt the parent ignores (nohup, trap '' INT) stays ignored; SIGTERM still stops and saves, exit 143")
    func ignoredInterruptStaysIgnored() throws {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors")
        let process = try startTraining(shell: "trap '' INT; exec \"$0\" train --quiet --output m.safetensors", in: dir)
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(process.isRunning, "SIGINT stopped a run whose parent ignores it")
        kill(process.processIdentifier, SIGTERM)
        waitAtMostAMinute(process)
        #expect(process.terminationReason == .exit && process.terminationStatus == 143)
        #expect(FileManager.default.fileExists(atPath: model.path))
    }

    @Test("An interrupted run whose standard output was lost (a full disk) exits 1 and says so, not 130")
    func interruptedRunWithLostOutput() throws {
        let dir = try CLI.temporaryDirectory()
        let process = try startTraining(shell: "exec \"$0\" train --output m.safetensors > /dev/full 2> err.txt", in: dir)
        kill(process.processIdentifier, SIGINT)
        waitAtMostAMinute(process)
        let stderr = try String(contentsOf: dir.appendingPathComponent("err.txt"), encoding: .utf8)
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
        #expect(stderr.hasSuffix("Error: standard output: cannot write (No space left on device)\n"), "\(stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.safetensors").path))
    }

    /// Starts `sh -c SCRIPT` in `dir` (`$0` is the built `recurrent`; `ARGS` train parity with a checkpoint in `ck`
    /// every step for 100000 steps) and returns once its first checkpoint is there: training is under way.
    func startTraining(shell script: String, in dir: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.currentDirectoryURL = dir
        process.arguments = ["-c", script + " --task parity --steps 100000 --checkpoint ck --checkpoint-every 1",
                             CLI.productsDirectory.appendingPathComponent("recurrent").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let saved = dir.appendingPathComponent("ck/checkpoint.safetensors")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: saved.path) { Thread.sleep(forTimeInterval: 0.05) }
        return process
    }

    /// Waits for the process; one still running after a minute is killed (and fails its test), never a hung suite.
    func waitAtMostAMinute(_ process: Process) {
        let pid = process.processIdentifier, watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        defer { watchdog.cancel() }
        process.waitUntilExit()
    }

    static let badOptions: [([String], Int32, String)] = [
        (["train", "--text", "/nonexistent/t.txt"], 1, "/nonexistent/t.txt: no such file"),
        (["train", "--input", "x.npy"], 64, "--input and --target go together"),
        (["train", "--task", "parity", "--text", "t.txt"], 64, "give one source of data: --task, --text, --csv or --input/--target"),
        (["train", "--lr", "-1"], 64, "--lr must be a finite number >= 0, got -1.0"),
        (["train", "--task", "parity", "--cell", "transformer"], 64,
         "The value 'transformer' is invalid for '--cell <cell>'. Please provide one of the following: rnn, gated, lstm, gru, peephole, cifg"),
        (["train", "--validate-every", "0"], 64, "--validate-every must be at least 1, got 0"),
        (["train", "--sampling", "windows"], 64, "--sampling is for --text only"),
        (["train", "--text", "t.txt", "--sampling", "shuffled"], 64,
         "The value 'shuffled' is invalid for '--sampling <sampling>'. Please provide one of 'streams' and 'windows'."),
        (["train", "--batch-size", "1000000000"], 1,
         "1000000000 training and 1024 held-out sequences of 20 steps (parity: 20 random bits; at every step, is the current run of ones odd (+1), even (-1) or none (0)? 3 classes) would need 596.0 GB of memory; "),
        (["train", "--output", "/nonexistent/dir/m.safetensors"], 1, "/nonexistent/dir/m.safetensors: the directory /nonexistent/dir does not exist"),
        (["train", "--checkpoint", "/dev/null"], 1, "/dev/null: is a file, not a directory"),
        (["bench", "--config", "1,100000000,512,512,1"], 1,
         "benchmarking LSTM(512, 512) on 1 sequences of 100000000 steps would need 2.7 TB of memory; "),
        // Small widths, long: the batch-1 row blocks pad each step's gates to 128 columns.
        (["bench", "--config", "1,100000000,1,1,1", "--inference-only"], 1,
         "benchmarking LSTM(1, 1) on 1 sequences of 100000000 steps would need 58.5 GB of memory; "),
        (["experiment", "gradients", "--length", "100000000"], 1,
         "the gradient norms over 100000000 steps of 32 units would need 95.4 GB of memory; "),
        (["train", "--task", "copy", "--length", "100000000"], 1,
         "32 training and 1024 held-out sequences of 100000010 steps (copy: remember 5 of 8 symbols over 100000000 steps and repeat them after the go-marker (100000010 steps, 9 classes at every step)) would need 16.9 TB of memory; "),
        (["train", "--task", "adding", "--length", "9223372036854775807"], 64,
         "--length: adding task: length 9223372036854775807 must be at most 1099511627776"),
        (["train", "--task", "parity", "--length", "9223372036854775807"], 64,
         "--length: parity task: length 9223372036854775807 must be at most 1099511627776"),
        (["train", "--length", "0"], 64, "--length: parity task: length 0 must be at least 1"),
        (["train", "--task", "adding", "--length", "4"], 64, "--length: adding task: length 4 must be at least 20 (X1 is one of the first ten pairs)"),
        (["experiment", "adding", "--length", "9223372036854775807"], 64,
         "--length: adding task: length 9223372036854775807 must be at most 1099511627776"),
        (["experiment", "adding", "--length", "100000000"], 1,
         "32 training and 2048 held-out sequences of 110000000 steps (adding (Hochreiter & Schmidhuber 1997, exp. 4): 100000000–110000000 (value, marker) pairs; at the end, 0.5 + (sum of the two marked values) / 4) would need 10.0 TB of memory; "),
        (["train", "--task", "parity", "--classes", "3"], 64, "--classes is for --loss ce (class-index targets)"),
        (["bench", "--repeats", "0"], 64, "--repeats must be in 1...10000, got 0"),
        (["train", "--seed", "-1"], 64, "The value '-1' is invalid for '--seed <seed>'"),
        (["bench", "--repeats", "9223372036854775807"], 64, "--repeats must be in 1...10000, got 9223372036854775807"),
        (["bench", "--config", "1,,1,1,1,1"], 64, "--config takes five positive whole numbers B,T,X,H,L, got '1,,1,1,1,1'"),
        // Counted before they were checked, a negative layer count trapped (found by the arguments fuzzer).
        (["train", "--layers", "-1"], 64, "--layers must be in 1...4096, got -1"),
        (["train", "--layers", "1000000000"], 64, "--layers must be in 1...4096, got 1000000000"),
        // A value that starts with '-' is the option's value (was: "Missing value for '--config'").
        (["bench", "--config", "-1,5,2,4,1"], 64, "--config takes five positive whole numbers B,T,X,H,L, got '-1,5,2,4,1'"),
        (["experiment", "adding", "--length", "5"], 64, "--length must be at least 20 (X1 is one of the first ten pairs), got 5"),
        (["experiment", "gradients", "--sequences", "9223372036854775807"], 64, "--sequences must be in 1...10000, got 9223372036854775807"),
        (["bench", "--threads", "0"], 64, "--threads must be in 1...\(KernelSettings.maximumThreadCount) (the cores this process may use), got 0"),
        (["bench", "--threads", "65"], 64, "--threads must be in 1...\(KernelSettings.maximumThreadCount) (the cores this process may use), got 65"),
        // More threads than cores: refused (batch-1 work would wait at every step for a descheduled thread).
        (["bench", "--threads", "\(KernelSettings.maximumThreadCount + 1)"], 64,
         "--threads must be in 1...\(KernelSettings.maximumThreadCount) (the cores this process may use), got \(KernelSettings.maximumThreadCount + 1)"),
        (["train", "--threads", "100000000000"], 64, "--threads must be in 1...\(KernelSettings.maximumThreadCount) (the cores this process may use), got 100000000000"),
        // Options the run would not use: refused, not ignored.
        (["train", "--optimizer", "adam", "--momentum", "0.9"], 64, "--momentum is for --optimizer sgd; adam has no such setting"),
        (["train", "--nesterov"], 64, "--nesterov is for --optimizer sgd; adam has no such setting"),
        (["train", "--gamma", "0.1"], 64, "--gamma is for --schedule step"),
        (["train", "--schedule", "cosine", "--step-size", "5"], 64, "--step-size is for --schedule step"),
        (["train", "--min-lr", "0.1"], 64, "--min-lr is for --schedule cosine"),
        (["train", "--shuffle"], 64, "--shuffle is for --input/--target arrays"),
        (["train", "--task", "adding", "--loss", "ce"], 64, "--loss is for --input/--target arrays"),
        (["train", "--columns", "a"], 64, "--columns is for --csv"),
        (["train", "--seq-len", "3"], 64, "--seq-len is for --text and --csv"),
        (["train", "--text", "t.txt", "--length", "5"], 64, "--length is for --task"),
        (["train", "--validation-split", "0.2"], 64, "--validation-split is for --text, --csv and arrays; a task draws its own held-out sequences"),
        (["train", "--input", "x.npy", "--target", "y.npy", "--validate-every", "5"], 64,
         "--validate-every needs held-out data; the validation split is 0"),
        (["train", "--checkpoint-every", "0"], 64, "--checkpoint-every must be at least 1, got 0"),
        (["train", "--checkpoint-every", "5"], 64, "--checkpoint-every is for --checkpoint DIR"),
        (["train", "--prefix", "rnn"], 64, "--prefix is for --model (the module to train inside a larger file)"),
        (["train", "--forget-bias", "nan"], 64, "--forget-bias must be a finite number, got nan"),
        (["train", "--forget-bias", "1e39"], 64, "--forget-bias 1e+39 is beyond single precision's range (±3.4e38), the weights' precision"),
        (["train", "--lr", "1e-46"], 64, "--lr 1e-46 is 0 in single precision, the weights' precision (the smallest is 1.4e-45)"),
        (["train", "--schedule", "cosine", "--min-lr", "1e308"], 64,
         "--min-lr 1e+308 is beyond single precision's range (±3.4e38), the weights' precision"),
        (["train", "--clip", "1e39"], 64,
         "--clip 1e+39 is beyond single precision's range (±3.4e38), the weights' precision (--clip inf turns clipping off)"),
        (["experiment", "adding", "--cells", "gru", "gru"], 64, "--cells names gru twice"),
        (["train", "--steps", "5", "--epochs", "1"], 64, "give --steps or --epochs, not both"),
        (["train", "--text", "t.txt", "--bidirectional"], 64,
         "--bidirectional: a model that reads the sequence backwards sees the next character or row it is to predict"),
        (["train", "--embedding", "4"], 64, "--embedding is for --text (a model of token ids)"),
        (["bench", "--kernels", "--json"], 64, "--json is for the networks' benchmark, not --kernels"),
        (["bench", "--kernels", "--cell", "gru"], 64, "--cell is for the networks' benchmark, not --kernels"),
        // An empty value read as a path named the working directory ("is a directory, not a file") or no file (": no such file").
        (["train", "--checkpoint", ""], 64, "argument 3 (after --checkpoint) is empty; give a value or leave it out"),
        (["predict", "--model", "", "--input", "x.npy", "--output", "y.npy"], 64, "argument 3 (after --model) is empty; give a value or leave it out"),
        (["inspect", ""], 64, "argument 2 (after inspect) is empty; give a value or leave it out"),
        (["plot", "a.loss.jsonl", "", "--output", "p.svg"], 64, "argument 3 (after a.loss.jsonl) is empty; give a value or leave it out"),
        // Judged from the arguments alone, so usage errors naming the option (they were exit 1, naming none).
        (["trace", "--model", "m.json"], 64, "--inputs is required with --model"),
        (["train", "--optimizer", "sgd", "--nesterov"], 64, "--nesterov needs --momentum above 0"),
        (["train", "--csv", "s.csv", "--columns", "a,b,a"], 64, "--columns names 'a' twice"),
        (["train", "--epochs", "1"], 64,
         "--epochs is for data that runs out (--text, --csv, --input/--target); a task draws new sequences at every step: give --steps"),
        (["bench", "--config", "1,5,2,4,9223372036854775807"], 64,
         "--config '1,5,2,4,9223372036854775807': X and H must be at most 16777216, L at most 4096"),
        (["bench", "--config", "1,5,16777217,4,1"], 64, "--config '1,5,16777217,4,1': X and H must be at most 16777216, L at most 4096"),
        (["train", "--schedule", "bogus"], 64,
         "The value 'bogus' is invalid for '--schedule <schedule>'. Please provide one of 'constant', 'step' or 'cosine'."),
    ]

    /// Each case: the arguments, the exit status (64 for a usage error, 1 for one met while
    /// running) and the whole message after "Error: ". A message ending in "of memory; " is
    /// followed by this machine's memory or the process's limit (`expectMemoryRefusal`).
    @Test("Bad options and data: one-line errors naming the problem, with their exit status", arguments: Self.badOptions)
    func errors(_ arguments: [String], _ status: Int32, _ expected: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == status, "\(result.stderr)")
        if expected.hasSuffix("of memory; ") {
            expectMemoryRefusal(result.errorMessage, needing: expected)
        } else {
            #expect(result.stderr == "Error: \(expected)\n")
        }
    }

    @Test("Values out of an option's range are usage errors (exit 64) naming the option, before any file is read", arguments: [
        (["train", "--lr", "nan"], "--lr must be a finite number >= 0, got nan"),
        (["train", "--weight-decay", "-1"], "--weight-decay must be a finite number >= 0, got -1.0"),
        (["train", "--max-time", "nan"], "--max-time must be a finite number of seconds above 0, got nan"),
        (["train", "--max-time", "-1"], "--max-time must be a finite number of seconds above 0, got -1.0"),
        (["train", "--max-time", "inf"], "--max-time must be a finite number of seconds above 0, got inf"),
        (["train", "--clip", "0"], "--clip must be above 0, got 0.0"),
        (["train", "--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["train", "--schedule", "step", "--step-size", "0"], "--step-size must be at least 1, got 0"),
        (["train", "--steps", "-3"], "--steps must be at least 0, got -3"),
        (["train", "--csv", "s.csv", "--columns", ""], "--columns: an empty name in the list ''"),
        (["visualize", "--model", "m.safetensors", "--text", "t.txt", "--output", "v.html", "--unit", "-1"], "--unit must be at least 0, got -1"),
        (["visualize", "--model", "m.safetensors", "--text", "t.txt", "--output", "v.html", "--layer", "-1"], "--layer must be at least 0, got -1"),
        (["generate", "--model", "m.safetensors", "--prime", ""], "--prime is empty; the model needs at least one character to start from"),
        (["trace", "--inputs", "abc"], "--inputs: 'abc' is not a finite number"),
        (["train", "--text", "t.txt", "--validation-split", "1"], "--validation-split must be in [0, 1), got 1.0"),
        (["train", "--text", "t.txt", "--validation-split", "nan"], "--validation-split must be in [0, 1), got nan"),
        (["train", "--hidden", "0"], "--hidden must be in 1...16777216, got 0"),
        (["train", "--hidden", "16777217"], "--hidden must be in 1...16777216, got 16777217"),
        (["train", "--layers", "0"], "--layers must be in 1...4096, got 0"),
        (["train", "--text", "t.txt", "--embedding", "0"], "--embedding must be in 1...16777216, got 0"),
        (["train", "--text", "t.txt", "--seq-len", "0"], "--seq-len must be at least 1, got 0"),
        (["plot"] + (1...9).map { "r\($0).loss.jsonl" } + ["--output", "x.svg"],
         "give at most 8 loss curves (one colour each), got 9; compare them in groups"),
    ])
    func rangeErrors(_ arguments: [String], _ expected: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64 && result.stderr == "Error: \(expected)\n", "\(result.status) \(result.stderr)")
    }

    @Test("With --loss ce, targets that cannot be class indices are named, not trapped on, when the class count is inferred")
    func inferredClassCount() throws {
        let dir = try CLI.temporaryDirectory()
        try NPY.write(Tensor<Float>(shape: [10, 4, 3], repeating: 0.5), to: dir.appendingPathComponent("x.npy"))
        for (bad, message) in [(Float(1e30), "y.npy: element (1) is 1e+30, not a class index in 0..<3"),
                               (-1, "y.npy: element (1) is -1.0, not a class index in 0..<3"),
                               (1.5, "y.npy: element (1) is 1.5, not a whole number (a class index)"),
                               (.nan, "y.npy: element (1) is nan; values must be finite")] {
            try NPY.write(Tensor<Float>(shape: [4], scalars: [0, bad, 2, 0]), to: dir.appendingPathComponent("y.npy"))
            let result = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "ce", "--steps", "1"], in: dir)
            #expect(result.status == 1 && result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }

    @Test("A gate bias for a gate the cell lacks is refused, by the command and by the library, not ignored", arguments: [
        (["train", "--cell", "gated", "--forget-bias", "1"], "--forget-bias: a gated cell has no forget gate"),
        (["train", "--cell", "cifg", "--forget-bias", "1"], "--forget-bias: a cifg cell has no forget gate (its input gate's bias is --input-bias)"),
        (["train", "--cell", "gru", "--input-bias", "-1"], "--input-bias: a gru cell has no input gate"),
        (["train", "--cell", "rnn", "--input-bias", "-1"], "--input-bias: a rnn cell has no input gate"),
    ])
    func gateBiasWithoutGate(_ arguments: [String], _ expected: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("Error: ") && result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let cell = try #require(CellKind(rawValue: arguments[2]))
        let configuration = SequenceModelConfiguration(recurrent: .init(cell: cell, inputSize: 1, hiddenSize: 4), headSize: 1)
        let bias = arguments[3] == "--forget-bias" ? Initialization(forgetBias: 1) : Initialization(inputBias: -1)
        #expect(throws: RecurrentError.self) { try SequenceModel<Float>(configuration, initialization: bias, seed: 1) }
    }


    @Test("Options that shape a new model are refused beside --model, which would ignore them",
          arguments: [["--hidden", "7"], ["--cell", "gru"], ["--layers", "2"], ["--bidirectional"], ["--forget-bias", "3"]])
    func newModelOptionsBesideModel(_ option: [String]) throws {
        let dir = try CLI.temporaryDirectory()
        let made = try CLI.run(["train", "--task", "adding", "--length", "20", "--steps", "5", "--output", "m.safetensors"], in: dir)
        #expect(made.status == 0, "\(made.stderr)")
        let result = try CLI.run(["train", "--model", "m.safetensors", "--task", "adding", "--length", "20", "--steps", "5"] + option, in: dir)
        #expect(result.status != 0)
        #expect(result.stderr == "Error: \(option[0]) is for a new model; --model m.safetensors keeps its own architecture and weights\n",
                "\(result.stderr)")
    }

}
