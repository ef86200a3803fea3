import ArgumentParser
import Foundation
import Recurrent

/// `recurrent experiment`: the course's claim about gated networks, measured.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Measure what gating buys: the adding problem, and gradient norms over time.",
        subcommands: [AddingExperimentCommand.self, GradientsExperimentCommand.self])
}

/// `recurrent experiment adding`.
struct AddingExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adding",
        abstract: "Train an LSTM and a simple RNN the same way on the adding problem (Hochreiter & Schmidhuber 1997, experiment 4).",
        discussion: """
            Both cells get the same hidden size, optimizer (Adam), learning rate, batch size and clipping; the \
            LSTM starts with its memory cell open to the past and closed to new input (forget bias ln T, input \
            bias -ln T: chrono initialisation). Each trains until its held-out MSE falls below the \
            paper's criterion, 0.01, or the step budget runs out. Predicting 0.5 always scores about 0.04.
            """)

    @Option(parsing: .unconditional, help: "T: sequences have T to T + T/10 pairs; at least \(AddingTask.minimumLength).")
    var length = 100

    @Option(parsing: .unconditional, help: "The step budget for each cell (default: the recipe's, 4000 at batch 32).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Steps between held-out evaluations.")
    var evaluateEvery = 250

    @Option(parsing: .upToNextOption, help: "The cells to compare, separated by spaces (--cells lstm gru).")
    var cells: [CellKind] = [.lstm, .rnn]

    @Option(parsing: .unconditional, help: "Seed of the data and of each model's initialisation.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Also draw the held-out MSE against sequences seen, one line per cell, as SVG.", valueName: "file.svg"))
    var svg: String?

    func validate() throws {
        guard length >= AddingTask.minimumLength else {
            throw ValidationError("--length must be at least \(AddingTask.minimumLength) (X1 is one of the first ten pairs), got \(length)")
        }
        do { _ = try AddingTask(length: length) } catch let error as RecurrentError { throw ValidationError("--length: \(error.message)") }
        guard evaluateEvery >= 1 else { throw ValidationError("--evaluate-every must be at least 1, got \(evaluateEvery)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if cells.isEmpty { throw ValidationError("--cells needs at least one cell") }
        if let repeated = cells.enumerated().first(where: { cells[..<$0.offset].contains($0.element) })?.element {
            throw ValidationError("--cells names \(repeated.rawValue) twice")
        }
    }

    func run() throws {
        if let svg { try checkWritable([("--svg", svg)]) }
        // The length and what its sequences need, refused before the table starts.
        try AddingTask(length: length).validate(batchSize: BuiltInTask.adding.recipe(length: length).batchSize)
        print("adding problem, T = \(length): held-out MSE, criterion 0.01, trivial \(String(format: "%.4f", AddingTask.trivialMSE))")
        var results: [Experiments.AddingResult] = []
        for cell in cells {
            let result = try Experiments.adding(cell: cell, length: length, steps: steps, evaluateEvery: evaluateEvery, seed: seed) {
                print(String(format: "  %@ after %7d sequences: MSE %.4f", cell.rawValue, $0, $1))
            }
            results.append(result)
        }
        print("")
        for r in results {
            let outcome = r.sequencesToCriterion.map { "reached MSE < 0.01 after \($0) sequences" }
                ?? "did not reach MSE < 0.01 in \(r.curve.last?.sequences ?? 0) sequences"
            print(String(format: "%@: %@, final MSE %.4f (%.0f s)", r.cell.rawValue, outcome, r.finalMSE, r.seconds))
        }
        if let svg { try PictureFile.write(Experiments.addingChart(results, length: length).svg(), to: fileURL(svg)) }
    }
}

/// `recurrent experiment gradients`.
struct GradientsExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradients",
        abstract: "The norm of dL/dh_{T-k} as k grows, for the simple RNN, the gated RNN, the LSTM and the GRU.",
        discussion: """
            Freshly initialised networks (PyTorch's default), inputs x_t ~ N(0, 1), L = r·h at the last step; \
            the geometric mean over several random sequences, computed in float64.
            """)

    @Option(parsing: .unconditional, help: "T, the sequence length.")
    var length = 100

    @Option(parsing: .unconditional, help: "The hidden size.")
    var hidden = 32

    @Option(parsing: .unconditional, help: "Random sequences to average over, 1 to 10000.")
    var sequences = 8

    @Option(parsing: .unconditional, help: "Seed of the data and of each model's initialisation.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Also draw the norms against k on a log scale, one line per cell, as SVG.", valueName: "file.svg"))
    var svg: String?

    func validate() throws {
        guard length >= 1 else { throw ValidationError("--length must be at least 1, got \(length)") }
        guard hidden >= 1 else { throw ValidationError("--hidden must be at least 1, got \(hidden)") }
        guard (1...10_000).contains(sequences) else { throw ValidationError("--sequences must be in 1...10000, got \(sequences)") }
    }

    /// 10^v as "1.234e-1042" (any exponent, where `%e` of a Double stops near -308), or "0".
    static func scientific(log10 v: Double) -> String {
        guard v.isFinite else { return v == -.infinity ? "0" : "\(v)" }
        var exponent = Int(v.rounded(.down)), mantissa = Foundation.pow(10, v - Double(exponent))
        if String(format: "%.3f", mantissa) == "10.000" { (mantissa, exponent) = (1, exponent + 1) }
        return String(format: "%.3fe%@%02d", mantissa, exponent < 0 ? "-" : "+", abs(exponent))
    }

    func run() throws {
        if let svg { try checkWritable([("--svg", svg)]) }
        let openForget = log(Double(length))
        let columns: [(String, CellKind, Double?)] = [
            ("rnn", .rnn, nil), ("gated", .gated, nil), ("lstm", .lstm, nil),
            (String(format: "lstm f=%.1f", openForget), .lstm, openForget), ("gru", .gru, nil),
        ]
        // A long run (T = 5000, H = 128: a minute) says on a terminal which cell it is at.
        var status = TerminalStatus(on: .standardError)
        defer { status.clear() }
        let start = ContinuousClock.now
        let logNorms = try columns.enumerated().map { index, column in
            let seconds = Double((ContinuousClock.now - start).components.seconds)
            status.show("computing the norms of \(column.0) (cell \(index + 1) of \(columns.count)), "
                        + "\(ProgressReporter.duration(seconds)) so far")
            return try Experiments.gradientLog10Norms(cell: column.1, hiddenSize: hidden, length: length,
                                                      sequences: sequences, forgetBias: column.2, seed: seed)
        }
        status.clear()
        print("‖dL/dh_{T-k}‖, H = \(hidden), T = \(length), geometric mean of \(sequences) sequences "
              + "(lstm f=\(String(format: "%.1f", openForget)): forget-gate bias ln T, the memory cell open)")
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print(pad("k", 5) + columns.map { pad($0.0, 13) }.joined())
        var ks = [0, 1, 2, 5, 10, 20, 30, 50, 75, 99].filter { $0 < length }
        if let last = ks.last, length - 1 > last { ks.append(length - 1) }
        for k in ks {
            print(pad("\(k)", 5) + logNorms.map { pad(Self.scientific(log10: $0[k]), 13) }.joined())
        }
        if ks.contains(where: { k in logNorms.contains { $0[k] == -.infinity } }) {
            print("0: the gradient is exactly 0 in at least one sequence (a gate saturated to 0 or 1 passed none of it back)")
        }
        if let svg {
            // A Double holds down to about 1e-308: the picture stops there, the table does not.
            let norms = logNorms.map { $0.map { $0 < -307 ? 0 : Foundation.pow(10, $0) } }
            let chart = Experiments.gradientChart(zip(columns, norms).map { ($0.0.0, $0.1) }, hiddenSize: hidden, length: length,
                                                  sequences: sequences)
            try PictureFile.write(chart.svg(), to: fileURL(svg))
        }
    }
}
