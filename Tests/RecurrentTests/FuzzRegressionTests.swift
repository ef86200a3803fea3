import ArgumentParser
import Foundation
import Testing
@testable import Recurrent
@testable import RecurrentCLI

/// The fuzz targets' seed corpus and every input that ever crashed one (Fuzz/corpus/<target>,
/// Fuzz/crashes/<target>), replayed through the same entries the libFuzzer targets call
/// (Support/FuzzEntries.swift). A crash here is a trap of the test process; a broken property
/// (a message that is empty, multi-line or anonymous, a round trip that changes values) fails.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// The files of `Fuzz/<folder>/<target>`, sorted by name.
    static func inputs(_ target: String, in folder: String) -> [URL] {
        let directory = root.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("Every reader's seeds and saved crashes end in a value or a one-line refusal naming the input",
          arguments: FuzzEntries.readers)
    func readerReplays(_ target: String) throws {
        let seeds = Self.inputs(target, in: "corpus"), crashes = Self.inputs(target, in: "crashes")
        #expect(seeds.count >= 2, "the seed corpus of \(target) is missing")
        var outcomes: [FuzzOutcome] = []
        for url in seeds + crashes {
            let outcome = try #require(FuzzEntries.run(target, [UInt8](Data(contentsOf: url))))
            #expect(outcome.violation == nil, "\(url.lastPathComponent): \(outcome.violation ?? "")")
            outcomes.append(outcome)
        }
        // The seeds are real files: at least one of them must be read, not only refused.
        #expect(outcomes.prefix(seeds.count).contains(.accepted), "no seed of \(target) was accepted")
    }

    @Test("The first CSV crash: a sequence length of Int.max is refused, not an overflow")
    func csvSequenceLengthIntMax() throws {
        let text = "a\n1\n2\n3\n"
        do {
            _ = try TimeSeriesCSV(csv: text, name: "s.csv", sequenceLength: .max)
            Issue.record("accepted a sequence length of Int.max")
        } catch let error as RecurrentError {
            #expect(error.message == ("s.csv: 3 training rows (of 3, validation fraction 0.1) are too few for one window: "
                                            + "sequence length 9223372036854775807 needs one row more; use a shorter sequence length or more data"))
        }
    }

    @Test("The first fileToNetwork crash: an LSTM's file claiming a ReLU is refused; a configuration keeps tanh for cells without the choice")
    func nonlinearityOnlyForTheSimpleRNN() throws {
        let lstm = RecurrentConfiguration(cell: .lstm, inputSize: 1, hiddenSize: 2, nonlinearity: .relu)
        #expect(lstm.nonlinearity == .tanh && lstm == RecurrentConfiguration(cell: .lstm, inputSize: 1, hiddenSize: 2))
        #expect(RecurrentConfiguration(cell: .rnn, inputSize: 1, hiddenSize: 2, nonlinearity: .relu).nonlinearity == .relu)
        let network = try RecurrentNetwork<Float>(lstm, seed: 1)
        let url = FuzzEntries.scratchFile("safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try network.write(to: url)
        var file = try SafetensorsFile<Float>.read(url)
        file.metadata[TorchStateDict.MetadataKey.nonlinearity] = "relu"
        try file.write(to: url)
        do {
            _ = try RecurrentNetwork<Float>.load(from: url)
            Issue.record("an LSTM file with a ReLU loaded")
        } catch let error as RecurrentError {
            #expect(error.message == "\(url.lastPathComponent): nonlinearity 'relu' is only for the simple RNN; these weights are of cell 'lstm'")
        }
        let train = try CLI.run(["train", "--task", "parity", "--cell", "gru", "--nonlinearity", "relu", "--steps", "1"])
        #expect(train.status == 64 && train.errorMessage == "--nonlinearity relu is for --cell rnn only; the gru cell has no choice of nonlinearity",
                "\(train.stderr)")
    }

    @Test("The third fileToNetwork crash: a series scaling with fewer means than columns is refused on load, not a trap in forecast")
    func seriesScalingCheckedOnLoad() throws {
        var model = try SequenceModel<Float>(.init(recurrent: .init(cell: .gru, inputSize: 2, hiddenSize: 3), headSize: 2))
        model.series = try SeriesScaling(columns: ["a", "b"], means: [1, 2], standardDeviations: [1, 1])
        let url = FuzzEntries.scratchFile("safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.write(to: url)
        #expect(try SequenceModel<Float>.load(from: url).forecast(history: [[1, 2]], horizon: 2).count == 2)
        var file = try SafetensorsFile<Float>.read(url)
        file.metadata[TorchStateDict.MetadataKey.series] = #"{"columns":["a","b"],"means":[1],"standardDeviations":[1,1]}"#
        try file.write(to: url)
        do {
            _ = try SequenceModel<Float>.load(from: url)
            Issue.record("a scaling with one mean for two columns loaded")
        } catch let error as RecurrentError {
            #expect(error.message == "\(url.lastPathComponent): the metadata's series scaling: 2 columns, 1 means, 2 deviations")
        }
    }

    @Test("Argument lists from the seeds and saved crashes are refused with a message, or run to the end or to a one-line error")
    func argumentReplays() throws {
        let files = Self.inputs("arguments", in: "corpus") + Self.inputs("arguments", in: "crashes")
        #expect(files.count >= 2)
        var outcomes: [FuzzCommands.Outcome] = []
        for url in files {
            let outcome = FuzzCommands.arguments([UInt8](try Data(contentsOf: url)), run: Self.runExecutable)
            if case .violated(let why) = outcome { Issue.record("\(url.lastPathComponent): \(why)") }
            // The seeds `run-*` are lists of real files and sound values for each command that runs.
            if url.lastPathComponent.hasPrefix("run-") { #expect(outcome == .ran, "\(url.lastPathComponent)") }
            outcomes.append(outcome)
        }
        // Hostile values make most random lists fail to parse; a corpus that all parses tests
        // little, and one where nothing runs tests only the parser.
        #expect(outcomes.contains(.parseRefused))
        #expect(outcomes.contains(.ran))
    }

    @Test("The directory the fuzzed commands run in holds every file the value table names")
    func commandFixturesExist() throws {
        let directory = try FuzzCommands.freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in FuzzEntries.fixtureFiles {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), "\(name)")
        }
        // The models load, as what they are: a character model, a forecaster, an arrays model.
        let models = try ["c", "f", "m"].map { try SequenceModel<Float>.load(from: directory.appendingPathComponent($0 + ".safetensors")) }
        #expect(models.map { $0.vocabulary != nil } == [true, false, false])
        #expect(models.map { $0.series != nil } == [false, true, false])
    }

    /// The tests run in parallel in one process, so a fuzzed command runs as the built
    /// executable, in the run directory: no signal, and a failing exit prints `Error: ...`.
    static func runExecutable(_ parsed: ParsableCommand, _ list: [String], in directory: URL) -> FuzzCommands.Outcome {
        do {
            let result = try CLI.run(list, in: directory)
            if result.signaled { return .violated("\(list): ended by signal \(result.status): \(result.stderr)") }
            if result.status == 0 { return .ran }
            let lines = result.stderr.split(separator: "\n")
            guard let last = lines.last, last.hasPrefix("Error: "), last.count > 7 else {
                return .violated("\(list): exit \(result.status) without an error line: \(result.stderr)")
            }
            return .runRefused
        } catch {
            return .violated("\(list): cannot start the executable: \(error)")
        }
    }
}
