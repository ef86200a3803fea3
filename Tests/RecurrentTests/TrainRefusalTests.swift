import Foundation
import Testing
@testable import Recurrent

/// `recurrent train` given options or data it cannot use: each refusal one line, its exit status
/// 64 for the arguments and 1 for what running finds, before any work.
@Suite("recurrent train: refusals")
struct TrainRefusalTests {
    static let badOptions: [([String], Int32, String)] = [
        (["train", "--text", "/nonexistent/t.txt"], 1, "/nonexistent/t.txt: no such file"),
        (["train", "--input", "x.npy"], 64, "--input and --target go together"),
        (["train", "--task", "parity", "--text", "t.txt"], 64, "give one source of data: --task, --text, --csv or --input/--target"),
        (["train", "--lr", "-1"], 64, "--lr must be a finite number >= 0, got -1.0"),
        (["train", "--task", "parity", "--cell", "transformer"], 64,
         "The value 'transformer' is invalid for '--cell <cell>'. Please provide one of the following: rnn, gated, lstm, gru, peephole, cifg"),
        (["train", "--validate-every", "0"], 64, "--validate-every must be at least 1, got 0"),
        (["train", "--cell", "gru", "--nonlinearity", "tanh"], 64,
         "--nonlinearity tanh is for --cell rnn only; the gru cell has no choice of nonlinearity"),
        (["train", "--nonlinearity", "tanh"], 64, "--nonlinearity tanh is for --cell rnn only; the lstm cell has no choice of nonlinearity"),
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
            #expect(result.status == 1 && result.stderr == "Error: \(dir.path)/\(message)\n", "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }

    @Test("A gate bias for a gate the cell lacks is refused, by the command and by the library, not ignored", arguments: [
        (["train", "--cell", "gated", "--forget-bias", "1"], "--forget-bias: the gated cell has no forget gate"),
        (["train", "--cell", "cifg", "--forget-bias", "1"], "--forget-bias: the cifg cell has no forget gate (its input gate's bias is --input-bias)"),
        (["train", "--cell", "gru", "--input-bias", "-1"], "--input-bias: the gru cell has no input gate"),
        (["train", "--cell", "rnn", "--input-bias", "-1"], "--input-bias: the rnn cell has no input gate"),
    ])
    func gateBiasWithoutGate(_ arguments: [String], _ expected: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64 && result.stderr == "Error: \(expected)\n", "\(result.status) \(result.stderr)")
        let cell = try #require(CellKind(rawValue: arguments[2]))
        let configuration = SequenceModelConfiguration(recurrent: .init(cell: cell, inputSize: 1, hiddenSize: 4), headSize: 1)
        let bias = arguments[3] == "--forget-bias" ? Initialization(forgetBias: 1) : Initialization(inputBias: -1)
        let error = #expect(throws: RecurrentError.self) { try SequenceModel<Float>(configuration, initialization: bias, seed: 1) }
        let gate = arguments[3] == "--forget-bias" ? "a forget-gate bias" : "an input-gate bias"
        let lacking = arguments[3] == "--forget-bias" ? "forget" : "input"
        #expect(error?.description == "\(gate) for the \(cell.rawValue) cell, which has no \(lacking) gate")
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

    @Test("A checkpoint directory on the path of an output is refused before training: its directory took the output's place, and the run was lost",
          arguments: [("m.safetensors", "--output"), ("m.loss.svg", "--output's loss picture")])
    func checkpointOnAnOutput(_ checkpoint: String, _ what: String) throws {
        let dir = try CLI.temporaryDirectory()
        let result = try CLI.run(["train", "--steps", "2", "--output", "m.safetensors", "--checkpoint", checkpoint], in: dir)
        #expect(result.status == 1 && result.stdout.isEmpty, "\(result.stdout)")
        #expect(result.errorMessage == "--checkpoint and \(what) name the same path, \(checkpoint): the checkpoint is a directory")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }
}
