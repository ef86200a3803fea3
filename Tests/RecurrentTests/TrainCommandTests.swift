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
        // Below the uniform guess over the text's characters, ln V.
        let characters = Set("to be or not to be, that is the question. ".unicodeScalars).count
        let validation = try #require(Double(line.dropFirst("validation loss: ".count)))
        #expect(validation.isFinite && validation < log(Double(characters)), "\(train.stdout)")
        let a = try CLI.run(["generate", "--model", model.path, "--prime", "to be", "--length", "30", "--seed", "3"])
        let b = try CLI.run(["generate", "--model", model.path, "--prime", "to be", "--length", "30", "--seed", "3"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let sample = a.stdout.dropLast()
        #expect(sample.hasPrefix("to be") && sample.unicodeScalars.count == 35)
        #expect(Set(sample).isSubset(of: Set("to be or not to be, that is the question. ")))
        let bad = try CLI.run(["generate", "--model", model.path, "--prime", "xyz"])
        #expect(bad.status == 1 && bad.stdout.isEmpty && bad.stderr == "Error: the prime's character \"x\" (U+0078) at position 0 "
            + "is not in the model's vocabulary (\(characters) characters)\n", "\(bad.stderr)")
        // An invisible character (a byte-order mark pasted with the prime) is named by its code.
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
        #expect(streams.status == 64 && streams.errorMessage == "--seed changes nothing here: the model is loaded (--model) and the data "
                + "are read in order (--shuffle, or --sampling windows for a text, draws from the seed)", "\(streams.stderr)")
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
            let url = dir.appendingPathComponent("checkpoint.safetensors")
            // The first run lives until its first checkpoint (a loaded machine starts slowly), the others a varied while.
            for _ in 0..<600 where attempt == 0 && !FileManager.default.fileExists(atPath: url.path) { Thread.sleep(forTimeInterval: 0.05) }
            Thread.sleep(forTimeInterval: 0.4 + 0.13 * Double(attempt))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
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
}
