import Foundation
import Testing
@testable import Recurrent

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
        #expect(result.stderr.hasPrefix("Error: /") && result.stderr.hasSuffix("t.txt: the 1305 training characters are too few for "
            + "1099511627776 windows of 64 characters plus one; use a batch size of at most 19\n")
            && result.stderr.filter(\.isNewline).count == 1, "\(result.stderr)")
    }

    @Test("A batch size of Int.max over arrays is refused by the memory it would need")
    func arrayBatchOfIntMax() throws {
        let result = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "mse", "--batch-size", "9223372036854775807"],
                                 in: try Self.arrays())
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: training LSTM(1, 32) on batches of 9223372036854775807 sequences of 5 steps would need more than 8.0 EB")
            && result.stderr.filter(\.isNewline).count == 1, "\(result.stderr)")
    }

    @Test("A class count past Int32 is refused by count")
    func classCountPastInt32() throws {
        let result = try CLI.run(["train", "--input", "x.npy", "--target", "y.npy", "--loss", "ce", "--classes", "10000000000", "--steps", "1"],
                                 in: try Self.arrays())
        #expect(result.status == 1)
        #expect(result.stderr == "Error: the number of classes 10000000000 must be in 1...2147483647 (a class is stored as an Int32)\n",
                "\(result.stderr)")
    }
}
