import Foundation
import Testing
@testable import Recurrent

/// A CSV of 23 rows: a date, then a = row, b = row², c = 7 (constant).
private let seriesCSV: String = {
    var lines = ["date, a ,b,\"c\""]
    for r in 0..<23 {
        lines.append("2024-01-\(r + 1),\(r),\(r * r),7")
        if r == 4 { lines.append("   ") }
    }
    return lines.joined(separator: "\r\n") + "\n\n"
}()

@Suite("Time series CSV")
struct TimeSeriesCSVTests {
    @Test("header detected, columns picked by name and number, standardised with the training rows' mean and deviation")
    func standardisation() throws {
        let series = try TimeSeriesCSV(csv: seriesCSV, sequenceLength: 4, validationFraction: 0.2, columns: ["a", "3", "c"])
        #expect(series.hasHeader && series.columnNames == ["a", "b", "c"])
        #expect(series.rowCount == 23 && series.trainingRowCount == 18 && series.heldOutRowCount == 5)
        let rows = (0..<18).map(Double.init)
        let meanA = rows.reduce(0, +) / 18, meanB = rows.map { $0 * $0 }.reduce(0, +) / 18
        let sdA = (rows.map { ($0 - meanA) * ($0 - meanA) }.reduce(0, +) / 18).squareRoot()
        let sdB = (rows.map { ($0 * $0 - meanB) * ($0 * $0 - meanB) }.reduce(0, +) / 18).squareRoot()
        #expect(abs(series.means[0] - meanA) < 1e-12 && abs(series.means[1] - meanB) < 1e-9 && series.means[2] == 7)
        #expect(abs(series.standardDeviations[0] - sdA) < 1e-12 && abs(series.standardDeviations[1] - sdB) < 1e-9)
        #expect(series.standardDeviations[2] == 1, "a constant column keeps deviation 1")
        #expect(abs(series.standardizedValues[22 * 3] - (22 - meanA) / sdA) < 1e-12)
        #expect(try abs(series.originalValue(series.standardizedValues[20 * 3 + 1], column: 1) - 400) < 1e-9)
        #expect(series.input == .vectors(size: 3) && series.output == .values(size: 3) && !series.carriesState)
    }

    @Test("no header: every column numeric, named by number")
    func noHeader() throws {
        let series = try TimeSeriesCSV(csv: "1,2\n3,4\n\n5,6\n7,8\n", sequenceLength: 2, validationFraction: 0)
        #expect(!series.hasHeader && series.columnNames == ["column 1", "column 2"] && series.rowCount == 4)
        #expect(series.means == [4, 5])
    }

    @Test("training windows: non-overlapping, targets one row on, every window once per epoch in a seeded shuffled order")
    func trainingWindows() throws {
        let series = try TimeSeriesCSV(csv: seriesCSV, sequenceLength: 4, validationFraction: 0.2, columns: ["a"])
        // 18 training rows: (18 - 1) / 4 = 4 windows; batches of 3: 2 per epoch (3 + 1).
        #expect(series.trainingWindowCount == 4 && series.batchesPerEpoch(batchSize: 3) == 2)
        func raw(_ value: Double) throws -> Int { Int(try series.originalValue(value, column: 0).rounded()) }
        var orders: [[Int]] = []
        for epoch in 0..<3 {
            var starts: [Int] = []
            for j in 0..<2 {
                let batch: TrainingBatch<Double> = try series.trainingBatch(step: epoch * 2 + j, batchSize: 3, seed: 4)
                #expect(batch.batch == (j == 0 ? 3 : 1) && batch.steps == 4 && batch.lengths == nil)
                for b in 0..<batch.batch {
                    let inputs = try (0..<4).map { try raw(batch.vectorInputs[$0 * batch.batch + b]) }
                    let targets = try (0..<4).map { try raw(batch.valueTargets[$0 * batch.batch + b]) }
                    #expect(inputs[0] % 4 == 0)
                    #expect(inputs == Array(inputs[0]..<(inputs[0] + 4)) && targets == inputs.map { $0 + 1 })
                    starts.append(inputs[0])
                }
            }
            #expect(starts.sorted() == [0, 4, 8, 12])
            orders.append(starts)
        }
        #expect(Set(orders).count > 1, "the order changes between epochs")
        #expect(try series.trainingBatch(step: 1, batchSize: 3, seed: 4) as TrainingBatch<Float>
            == series.trainingBatch(step: 1, batchSize: 3, seed: 4))
    }

    @Test("held-out windows in order cover every held-out row once as a target, the last window shorter")
    func heldOut() throws {
        let series = try TimeSeriesCSV(csv: seriesCSV, sequenceLength: 4, validationFraction: 0.3, columns: ["a"])
        #expect(series.trainingRowCount == 16 && series.heldOutRowCount == 7)
        let batches: [TrainingBatch<Double>] = try series.heldOutBatches(batchSize: 5, seed: 0)
        #expect(batches.count == 1)
        let batch = try #require(batches.first)
        #expect(batch.batch == 2 && batch.steps == 4 && batch.lengths == [4, 3])
        var targets: [Int] = []
        for b in 0..<2 {
            for t in 0..<batch.length(b) {
                let input = try series.originalValue(batch.vectorInputs[t * 2 + b], column: 0)
                let target = try series.originalValue(batch.valueTargets[t * 2 + b], column: 0)
                #expect(abs(target - input - 1) < 1e-9)
                targets.append(Int(target.rounded()))
            }
        }
        #expect(targets == Array(16..<23))
        #expect(batch.vectorInputs[3 * 2 + 1] == 0 && batch.valueTargets[3 * 2 + 1] == 0)
    }

    @Test("errors name the line and column of a bad cell, a ragged row, an unknown column, too few rows", arguments: [
        ("a,b\n1,2\n3,x\n", RecurrentError.Kind.format, "s.csv line 3, column 'b' (2): 'x' is not a finite number"),
        ("a,b\n1,2\n3,\n", .format, "s.csv line 3, column 'b' (2): is empty"),
        ("1,2\n3,nan\n", .format, "s.csv line 2, column 'column 2' (2): 'nan' is not a finite number"),
        ("a,b\n1,2\n\n3,4,5\n", .format, "s.csv line 4: 3 cells, but line 1 has 2"),
        ("a,b\n1,2\n3,4\n5,6\n", .value, "s.csv: 3 training rows (of 3, validation fraction 0.0) are too few for one window: sequence length 3 needs 4 rows; use a shorter sequence length or more data"),
        ("", .value, "s.csv: no rows (the file is empty)"),
    ])
    func errors(csv: String, kind: RecurrentError.Kind, message: String) {
        let error = recurrentError { try TimeSeriesCSV(csv: csv, name: "s.csv", sequenceLength: 3, validationFraction: 0) }
        #expect(error == RecurrentError(kind, message))
    }

    @Test("unknown columns and unreadable files")
    func columnAndFileErrors() throws {
        let error = recurrentError { try TimeSeriesCSV(csv: seriesCSV, sequenceLength: 3, columns: ["price"]) }
        #expect(error?.kind == .name && error?.message == "csv: no column 'price'; the header has 'date', 'a', 'b', 'c'")
        let dateError = recurrentError { try TimeSeriesCSV(csv: seriesCSV, sequenceLength: 3) }
        #expect(dateError?.message == "csv line 2, column 'date' (1): '2024-01-1' is not a finite number")
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("series.csv")
            try seriesCSV.write(to: url, atomically: true, encoding: .utf8)
            let series = try TimeSeriesCSV(contentsOf: url, sequenceLength: 5, columns: ["b"])
            #expect(series.name == url.path && series.summary.contains(url.path))
            let missing = directory.appendingPathComponent("missing.csv")
            let io = recurrentError { try TimeSeriesCSV(contentsOf: missing, sequenceLength: 5) }
            #expect(io?.kind == .io && io?.message == "\(missing.path): no such file")
        }
    }
}

// MARK: - ArrayDataset

/// Inputs (T=3, N=5, X=2) with x[t, n, i] = 100 t + 10 n + i, and matching targets.
private func sequenceFirstArrays() throws -> (Tensor<Float>, values: Tensor<Float>, classes: Tensor<Float>, last: Tensor<Float>) {
    var scalars: [Float] = []
    for t in 0..<3 {
        for n in 0..<5 {
            for i in 0..<2 { scalars.append(Float(100 * t + 10 * n + i)) }
        }
    }
    let inputs = try Tensor<Float>(shape: [3, 5, 2], scalars: scalars)
    let values = try Tensor<Float>(shape: [3, 5, 1], scalars: (0..<15).map { Float(-$0) })
    let classes = try Tensor<Float>(shape: [3, 5], scalars: (0..<15).map { Float($0 % 4) })
    let last = try Tensor<Float>(shape: [5, 2], scalars: (0..<10).map { Float($0) / 2 })
    return (inputs, values, classes, last)
}

@Suite("Array dataset")
struct ArrayDatasetTests {
    @Test("batches hold the arrays' sequences in order, the last batch smaller; held out at the end")
    func inOrder() throws {
        let (inputs, values, _, _) = try sequenceFirstArrays()
        let data = try ArrayDataset(inputs: inputs, targets: values, validationFraction: 0.2)
        #expect(data.trainingCount == 4 && data.heldOutCount == 1 && data.positions == .everyStep)
        #expect(data.input == .vectors(size: 2) && data.output == .values(size: 1))
        #expect(data.batchesPerEpoch(batchSize: 3) == 2)
        let first: TrainingBatch<Float> = try data.trainingBatch(step: 0, batchSize: 3, seed: 0)
        let second: TrainingBatch<Float> = try data.trainingBatch(step: 1, batchSize: 3, seed: 0)
        #expect(first.batch == 3 && second.batch == 1 && first.steps == 3)
        for (batch, sequences) in [(first, [0, 1, 2]), (second, [3])] {
            for (b, n) in sequences.enumerated() {
                for t in 0..<3 {
                    #expect(batch.input(t, b, width: 2) == [inputs[t, n, 0], inputs[t, n, 1]])
                    #expect(batch.valueTargets[t * batch.batch + b] == values[t, n, 0])
                }
            }
        }
        #expect(try data.trainingBatch(step: 2, batchSize: 3, seed: 0) == first)
        let heldOut: [TrainingBatch<Float>] = try data.heldOutBatches(batchSize: 3, seed: 0)
        #expect(heldOut.count == 1 && heldOut[0].batch == 1 && heldOut[0].input(2, 0, width: 2) == [240, 241])
    }

    @Test("batch-first arrays give the same batches as sequence-first ones, for classes and last-step targets too")
    func batchFirst() throws {
        let (inputs, values, classes, last) = try sequenceFirstArrays()
        for (targets, classCount) in [(values, nil), (classes, 4), (last, nil)] as [(Tensor<Float>, Int?)] {
            let a = try ArrayDataset(inputs: inputs, targets: targets, shuffle: true, classes: classCount)
            let swapped = try targets.rank == 2 && classCount == nil ? targets : targets.swappingFirstTwoAxes()
            let b = try ArrayDataset(inputs: try inputs.swappingFirstTwoAxes(), targets: swapped, batchFirst: true,
                                     shuffle: true, classes: classCount)
            for step in 0..<4 {
                #expect(try a.trainingBatch(step: step, batchSize: 2, seed: 1) as TrainingBatch<Double>
                    == b.trainingBatch(step: step, batchSize: 2, seed: 1))
            }
        }
        let lastStep = try ArrayDataset(inputs: inputs, targets: last)
        let batch: TrainingBatch<Float> = try lastStep.trainingBatch(step: 0, batchSize: 2, seed: 0)
        #expect(batch.targets == .values([0, 0.5, 1, 1.5], positions: .lastStep))
        let classified = try ArrayDataset(inputs: inputs, targets: classes, classes: 4)
        #expect(classified.output == .classes(count: 4))
        let classBatch: TrainingBatch<Float> = try classified.trainingBatch(step: 1, batchSize: 2, seed: 0)
        #expect(classBatch.targets == .classes([2, 3, 3, 0, 0, 1], positions: .everyStep))
        let lastClasses = try ArrayDataset(inputs: inputs, targets: Tensor<Float>([3, 1, 0, 2, 2]), classes: 4)
        #expect(lastClasses.positions == .lastStep)
    }

    @Test("shuffled epochs visit every training sequence once, in an order fixed by (seed, epoch)")
    func shuffled() throws {
        let inputs = try Tensor<Float>(shape: [1, 10, 1], scalars: (0..<10).map(Float.init))
        let data = try ArrayDataset(inputs: inputs, targets: inputs, validationFraction: 0.3, shuffle: true)
        #expect(data.trainingCount == 7 && data.batchesPerEpoch(batchSize: 3) == 3)
        var orders: [[Float]] = []
        for epoch in 0..<4 {
            let order = try (0..<3).flatMap { (try data.trainingBatch(step: epoch * 3 + $0, batchSize: 3, seed: 5) as TrainingBatch<Float>).vectorInputs }
            #expect(order.sorted() == (0..<7).map(Float.init))
            orders.append(order)
        }
        #expect(Set(orders).count > 1)
        let again = try (0..<3).flatMap { (try data.trainingBatch(step: $0, batchSize: 3, seed: 5) as TrainingBatch<Float>).vectorInputs }
        #expect(again == orders[0])
    }

    @Test("shape mismatches name both files and shapes; bad values name the element", arguments: [
        ([4, 3, 2], [4, 2, 1], false, nil, "2 sequences (N) in the targets, 3 in the inputs (layout T, N)"),
        ([4, 3, 2], [5, 3, 1], false, nil, "5 steps (T) in the targets, 4 in the inputs (layout T, N)"),
        ([3, 4, 2], [3, 5, 1], true, nil, "5 steps (T) in the targets, 4 in the inputs (layout N, T)"),
        ([4, 3, 2], [2], false, 3, "2 sequences (N) in the targets, 3 in the inputs (layout T, N)"),
    ] as [([Int], [Int], Bool, Int?, String)])
    func shapeErrors(inputShape: [Int], targetShape: [Int], batchFirst: Bool, classes: Int?, message: String) throws {
        try withTemporaryDirectory { directory in
            let x = directory.appendingPathComponent("x.npy"), y = directory.appendingPathComponent("y.npy")
            try NPY.write(Tensor<Float>(zeros: inputShape), to: x)
            try NPY.write(Tensor<Float>(zeros: targetShape), to: y)
            let error = recurrentError {
                try ArrayDataset(inputURL: x, targetURL: y, batchFirst: batchFirst, classes: classes)
            }
            #expect(error?.kind == .shape)
            #expect(error?.message == "\(y.path) has shape \(describeShape(targetShape)) and \(x.path) has shape "
                + "\(describeShape(inputShape)): \(message)")
        }
    }

    @Test("value errors: NaN inputs, fractional or out-of-range classes, wrong ranks, nothing left to train")
    func valueErrors() throws {
        let (inputs, values, classes, _) = try sequenceFirstArrays()
        var bad = inputs
        bad[2, 1, 0] = .nan
        #expect(recurrentError { try ArrayDataset(inputs: bad, targets: values) }?.message
            == "inputs: element (2, 1, 0) is nan; values must be finite")
        var fractional = classes
        fractional[1, 3] = 1.5
        #expect(recurrentError { try ArrayDataset(inputs: inputs, targets: fractional, classes: 4) }?.message
            == "targets: element (1, 3) is 1.5, not a whole number (a class index)")
        #expect(recurrentError { try ArrayDataset(inputs: inputs, targets: classes, classes: 3) }?.message
            == "targets: element (0, 3) is 3.0, not a class index in 0..<3")
        #expect(recurrentError { try ArrayDataset(inputs: inputs, targets: Tensor<Float>([1, 2, 3, 4, 5])) }?.message
            == "targets: targets have shape (5), expected (T, N, O) for a loss at every step or (N, O) for the last step")
        #expect(recurrentError { try ArrayDataset(inputs: inputs, targets: values, classes: 4) }?.message
            == "targets: targets have shape (3, 5, 1), expected class indices (T, N) for every step or (N) for the last step")
        #expect(recurrentError { try ArrayDataset(inputs: Tensor<Float>(zeros: [3, 5]), targets: values) }
            == RecurrentError(.shape, "inputs: inputs have shape (3, 5), expected (T, N, X)"))
        #expect(recurrentError { try ArrayDataset(inputs: inputs, targets: values, validationFraction: 0.95) }
            == RecurrentError(.value, "validation fraction 0.95 of 5 sequences leaves none to train on"))
    }

    @Test("Class-index targets may be int64 or int32, PyTorch's dtypes for them; integer value targets and huge indices are refused")
    func integerClassTargets() throws {
        try withTemporaryDirectory { dir in
            let x = dir.appendingPathComponent("x.npy"), y64 = dir.appendingPathComponent("y64.npy"), y32 = dir.appendingPathComponent("y32.npy")
            try NPY.write(Tensor<Float>(shape: [3, 2, 1], scalars: [0.5, -1, 2, 0, 1, -0.5]), to: x)
            let ids: [Int64] = [0, 1, 2, 1, 0, 2]
            try ModelJourneyTests.writeIntegers(ids, shape: [3, 2], descr: "<i8", to: y64)
            try ModelJourneyTests.writeIntegers(ids, shape: [3, 2], descr: "<i4", to: y32)
            for url in [y64, y32] {
                let targets = try ArrayDataset.targets(url, classIndices: true)
                #expect(targets.shape == [3, 2] && targets.scalars == ids.map(Float.init))
                let fromIntegers = try ArrayDataset(inputURL: x, targetURL: url, classes: 3)
                let fromFloats = try ArrayDataset(inputs: NPY.read(x, as: Float.self), targets: targets, classes: 3)
                let a: TrainingBatch<Float> = try fromIntegers.trainingBatch(step: 0, batchSize: 2, seed: 0)
                let b: TrainingBatch<Float> = try fromFloats.trainingBatch(step: 0, batchSize: 2, seed: 0)
                #expect(a == b && fromIntegers.output == .classes(count: 3))
            }
            #expect(recurrentError { try ArrayDataset(inputURL: x, targetURL: y64) }?.message == "\(y64.path): holds integers; "
                + "targets of values are float32 or float64 (integer targets are class indices, for a cross-entropy loss)")
            try ModelJourneyTests.writeIntegers([0, 1, 1 << 40, 1, 0, 2], shape: [3, 2], descr: "<i8", to: y64)
            #expect(recurrentError { try ArrayDataset(inputURL: x, targetURL: y64, classes: 3) }?.message
                == "\(y64.path): element 2 is 1099511627776, not a class index (at most 2^24 classes)")
        }
    }
}
