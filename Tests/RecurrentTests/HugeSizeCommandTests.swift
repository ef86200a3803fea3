import Foundation
import Testing
@testable import Recurrent
@testable import RecurrentCLI

/// Sizes no data can fill, given to `train`: each a one-line error and exit 1 (each trapped or
/// died allocating before: an Int32 conversion, an overflowing ceiling, held-out streams
/// allocated before the batch size was checked).
@Suite("Huge sizes in commands")
struct HugeSizeCommandTests {
    /// A directory with `x.npy` (T 5, N 4, X 1) and `y.npy` targets of the same shape, all 3e9.
    static func arrays() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        try NPY.write(Tensor<Float>(zeros: [5, 4, 1]), to: dir.appendingPathComponent("x.npy"))
        try NPY.write(Tensor<Float>(shape: [5, 4, 1], repeating: 3e9), to: dir.appendingPathComponent("y.npy"))
        return dir
    }

    @Test("A held-out check of a text with more streams than characters is refused as the batch size")
    func textBatchBeyondTheText() throws {
        let dir = try CLI.temporaryDirectory()
        try Data(String(repeating: "hello world, this is a text. ", count: 50).utf8).write(to: dir.appendingPathComponent("t.txt"))
        let result = try CLI.run(["train", "--text", "t.txt", "--steps", "10", "--validate-every", "5", "--batch-size", "1099511627776"],
                                 in: dir)
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(dir.path)/t.txt: the 1305 training characters are too few for "
            + "1099511627776 windows of 64 characters plus one; use a batch size of at most 19\n", "\(result.stderr)")
    }

    @Test("A batch size of Int.max over arrays is one batch of all its sequences (the epoch's ceiling overflowed)")
    func arrayBatchOfIntMax() throws {
        let result = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "mse", "--batch-size", "9223372036854775807"],
                                 in: try Self.arrays())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("batch 9223372036854775807 (4 sequences: all the data has), 1 step"), "\(result.stdout)")
    }

    @Test("A class count outside 1...2^24 (the largest head) is a usage error naming --classes, before the data is read")
    func classCountOutOfRange() throws {
        let directory = try Self.arrays()
        for classes in ["10000000000", "2147483647", "16777217", "0", "-3"] {
            let result = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "ce", "--classes", classes, "--steps", "1"],
                                     in: directory)
            #expect(result.status == 64, "\(classes)")
            #expect(result.stderr == "Error: --classes must be in 1...16777216 (the largest head a network has), got \(classes)\n",
                    "\(result.stderr)")
        }
    }

    @Test("A run too long to count is a usage error, and a remaining time too long to print is 'over 10000h'")
    func runsTooLongToCount() throws {
        let steps = try CLI.run(["train", "--steps", "9223372036854775807"])
        #expect(steps.status == 64 && steps.stderr == "Error: --steps must be below 1099511627776, got 9223372036854775807 "
            + "(for a run that ends at its time limit, give --max-time alone)\n", "\(steps.stderr)")
        let epochs = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "mse", "--epochs", "9223372036854775807"],
                                 in: try Self.arrays())
        #expect(epochs.status == 1 && epochs.stderr == "Error: --epochs 9223372036854775807: 9223372036854775807 steps are more than a run "
            + "may take (below 1099511627776); give --max-time alone for a run that ends at its time limit\n", "\(epochs.stderr)")
        #expect(ProgressReporter.duration(1e19) == "over 10000h")
        #expect(ProgressReporter.duration(.nan) == "?" && ProgressReporter.duration(-1) == "?")
        #expect(ProgressReporter.duration(3725) == "1h02m" && ProgressReporter.duration(59.4) == "59s")
    }

    @Test("A batch larger than the data is counted, shown and measured as the sequences the data has")
    func batchLargerThanTheData() throws {
        let result = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "mse", "--batch-size", "10000000", "--steps", "2"],
                                 in: try Self.arrays())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("batch 10000000 (4 sequences: all the data has), 2 steps"), "\(result.stdout)")
        let data = try ArrayDataset(inputs: Tensor(zeros: [5, 4, 1]), targets: Tensor(zeros: [5, 4, 1]), validationFraction: 0.5)
        #expect(data.largestBatch(batchSize: 100) == 2 && data.largestBatch(batchSize: 1) == 1)
    }

    @Test("Long gradient experiments and forecasts are refused by the memory their rows take, under a ulimit")
    func rowsCountedInMemory() throws {
        // 2,000,000 steps × (256 + 3 · H · 8) bytes, with six float64 copies of the largest network
        // (an LSTM(1, 1), 16 parameters): 560,000,768 bytes = 534.1 × 2^20.
        let gradients = try CLI.shell("ulimit -v 300000; \"$0\" experiment gradients --length 2000000 --hidden 1 --sequences 1")
        #expect(gradients.status == 1)
        expectMemoryRefusal(gradients.errorMessage, needing: "the gradient norms over 2000000 steps of 1 units would need 534.1 MB of memory; ",
                            ulimit: true)
        let dir = try CLI.temporaryDirectory()
        let csv = "a,b\n" + (0..<60).map { "\(Double($0 % 7) * 0.5),\(Double($0 % 5) - 2)" }.joined(separator: "\n") + "\n"
        try Data(csv.utf8).write(to: dir.appendingPathComponent("s.csv"))
        let made = try CLI.run(["train", "--csv", "s.csv", "--steps", "2", "--hidden", "4", "--output", "f.safetensors", "--quiet"], in: dir)
        #expect(made.status == 0, "\(made.stderr)")
        let forecast = try CLI.shell("ulimit -v 300000; \"$0\" forecast --model f.safetensors --csv s.csv --horizon 2000000 --output o.csv", in: dir)
        // 2,000,000 steps × (512 + 128 · 2 columns) bytes = 1,536,000,000 bytes = 1.4 × 2^30.
        #expect(forecast.status == 1)
        expectMemoryRefusal(forecast.errorMessage, needing: "a forecast of 2000000 steps would need 1.4 GB of memory; ", ulimit: true)
    }
}
