import Foundation
import Testing
@testable import Recurrent

/// The homework's LSTM with its given weights, run with the exact sigmoid and tanh and h
/// rounded to the nearest integer at every step, as the homework says.
/// The homework LSTM's rounded states for a sequence of bits (`homeworkReference`).
private func homeworkLSTM(_ bits: [Int]) -> [Int] {
    homeworkReference(bits.map(Double.init), rounded: true).map { Int($0) }
}

/// A batch and how to check it, for tests that run over every synthetic task.
struct SyntheticTaskCase: Sendable, CustomTestStringConvertible {
    var name: String
    var data: any TrainingData
    var testDescription: String { name }
}

let allSyntheticTasks: [SyntheticTaskCase] = [
    SyntheticTaskCase(name: "parity", data: try! ParityTask(length: 12)),
    SyntheticTaskCase(name: "adding", data: try! AddingTask(length: 40)),
    SyntheticTaskCase(name: "copy", data: try! CopyTask(delay: 10, symbols: 3, alphabet: 4)),
    SyntheticTaskCase(name: "temporal order", data: try! TemporalOrderTask(length: 30)),
]

private func batch(_ task: any TrainingData, step: Int, size: Int = 8, seed: UInt64 = 7) throws -> TrainingBatch<Double> {
    try task.trainingBatch(step: step, batchSize: size, seed: seed)
}

/// Sequence s of a batch, whatever the batch's size: its length, then its inputs and targets
/// within that length, in time order.
private func sequence(_ b: TrainingBatch<Double>, _ s: Int) -> [Double] {
    let T = b.steps, B = b.batch, n = b.lengths?[s] ?? T
    var values = [Double(n)]
    switch b.inputs {
    case .vectors(let v):
        let X = v.count / (T * B)
        for t in 0..<n { values += v[((t * B + s) * X)..<((t * B + s + 1) * X)] }
    case .tokens(let ids):
        values += (0..<n).map { Double(ids[$0 * B + s]) }
    }
    switch b.targets {
    case .values(let v, .everyStep):
        let O = v.count / (T * B)
        for t in 0..<n { values += v[((t * B + s) * O)..<((t * B + s + 1) * O)] }
    case .values(let v, .lastStep):
        let O = v.count / B
        values += v[(s * O)..<((s + 1) * O)]
    case .classes(let c, .everyStep):
        values += (0..<n).map { Double(c[$0 * B + s]) }
    case .classes(let c, .lastStep):
        values.append(Double(c[s]))
    }
    return values
}

@Suite("Synthetic tasks")
struct TaskTests {
    // MARK: Parity

    @Test("the homework's two worked examples give the homework's answers")
    func homeworkExamples() {
        #expect(ParityTask.homeworkStates([false, false, true, true, true, false]) == [0, 0, 1, -1, 1, 0])
        #expect(ParityTask.homeworkStates([true, true, false, true, true]) == [1, -1, 0, 1, -1])
        #expect(homeworkLSTM([0, 0, 1, 1, 1, 0]) == [0, 0, 1, -1, 1, 0])
        #expect(homeworkLSTM([1, 1, 0, 1, 1]) == [1, -1, 0, 1, -1])
    }

    @Test("parity targets are the homework LSTM's rounded states + 1, recomputed from the bits of 40 batches")
    func parityTargets() throws {
        let task = try ParityTask(length: 25)
        var ones = 0, total = 0
        var classCounts = [0, 0, 0]
        for step in 0..<40 {
            let b: TrainingBatch<Float> = try task.trainingBatch(step: step, batchSize: 16, seed: 3)
            #expect(b.steps == 25 && b.batch == 16 && b.lengths == nil && !b.continuesPrevious)
            #expect(b.targets.positions == .everyStep)
            #expect(b.vectorInputs.count == 25 * 16 && b.classTargets.count == 25 * 16)
            for s in 0..<16 {
                let bits = (0..<25).map { Int(b.input($0, s, width: 1)[0]) }
                #expect(bits.allSatisfy { $0 == 0 || $0 == 1 })
                let expected = homeworkLSTM(bits).map { Int32($0 + 1) }
                let targets = (0..<25).map { b.classTargets[$0 * 16 + s] }
                #expect(targets == expected)
                ones += bits.reduce(0, +)
                total += bits.count
                for t in targets { classCounts[Int(t)] += 1 }
            }
        }
        // 16000 fair bits: 1/2 ± 0.02 is more than 5 standard errors.
        #expect(abs(Double(ones) / Double(total) - 0.5) < 0.02)
        #expect(classCounts.allSatisfy { $0 > 0 })
    }

    @Test("parity specs: vectors of size 1, 3 classes at every step, no state carried, endless")
    func paritySpec() throws {
        let task = try ParityTask()
        #expect(task.length == 20)
        #expect(task.input == .vectors(size: 1))
        #expect(task.output == .classes(count: 3))
        #expect(!task.carriesState)
        #expect(task.batchesPerEpoch(batchSize: 32) == nil)
        #expect(recurrentError { try ParityTask(length: 0) } == RecurrentError(.value, "parity task: length 0 must be at least 1"))
    }

    // MARK: Adding

    @Test("adding: two markers of 1 in the paper's ranges, -1 at unmarked ends, zeros elsewhere and in padding", arguments: [20, 100])
    func addingStructure(length T: Int) throws {
        let task = try AddingTask(length: T)
        var firstPairMarkedAsX1 = 0, sequences = 0
        for step in 0..<30 {
            let b: TrainingBatch<Double> = try task.trainingBatch(step: step, batchSize: 32, seed: 11)
            let lengths = try #require(b.lengths)
            #expect(b.steps == lengths.max())
            #expect(b.targets.positions == .lastStep && b.valueTargets.count == 32)
            for s in 0..<32 {
                let n = lengths[s]
                sequences += 1
                #expect((T...(T + T / 10)).contains(n))
                let pairs = (0..<n).map { b.input($0, s, width: 2) }
                let marked = pairs.indices.filter { pairs[$0][1] == 1 }
                #expect(marked.count == 2)
                guard marked.count == 2 else { continue }
                // X1 is one of the first ten; X2 one of the first T/2 - 1 unmarked pairs,
                // which all lie in 0..<T/2.
                #expect(marked.contains { $0 < 10 })
                #expect(marked.allSatisfy { $0 < T / 2 })
                for (t, pair) in pairs.enumerated() where !marked.contains(t) {
                    #expect(pair[1] == ((t == 0 || t == n - 1) ? -1 : 0))
                    #expect(pair[0] >= -1 && pair[0] < 1)
                }
                // X1 zeroed when it is the first pair: if the first pair is marked with a
                // nonzero value it must be X2, so X1's pair is the other one, also in 0..<10.
                if marked[0] == 0 {
                    if pairs[0][0] == 0 { firstPairMarkedAsX1 += 1 } else { #expect(marked[1] < 10) }
                }
                let expected = 0.5 + (pairs[marked[0]][0] + pairs[marked[1]][0]) / 4
                #expect(abs(b.valueTargets[s] - expected) < 1e-12)
                for t in n..<b.steps { #expect(b.input(t, s, width: 2) == [0, 0]) }
            }
        }
        // X1 sits on the first pair with probability 1/10: 96 expected in 960 sequences.
        #expect(sequences == 960)
        #expect((50...150).contains(firstPairMarkedAsX1))
    }

    @Test("adding: the target's variance over 32768 sequences matches trivialMSE = 19/480, not 1/24")
    func addingVariance() throws {
        let task = try AddingTask(length: 20)
        var sum = 0.0, sumSquares = 0.0, count = 0.0
        for step in 0..<128 {
            let b: TrainingBatch<Double> = try task.trainingBatch(step: step, batchSize: 256, seed: 5)
            for y in b.valueTargets {
                sum += y
                sumSquares += (y - 0.5) * (y - 0.5)
                count += 1
            }
        }
        #expect(AddingTask.trivialMSE == 19.0 / 480.0)
        #expect(abs(sum / count - 0.5) < 0.003)
        #expect(abs(sumSquares / count - AddingTask.trivialMSE) < 0.001)
        #expect(AddingTask.criterionMSE == 0.01)
    }

    @Test("adding specs and parameter errors")
    func addingSpec() throws {
        let task = try AddingTask(length: 100)
        #expect(task.input == .vectors(size: 2))
        #expect(task.output == .values(size: 1))
        #expect(task.lengthRange == 100...110)
        #expect(recurrentError { try AddingTask(length: 19) }?.message == "adding task: length 19 must be at least 20 (X1 is one of the first ten pairs)")
    }

    // MARK: Copy

    @Test("copy: S symbols, T - 1 blanks, go-marker, S blanks; targets blank then the symbols in order", arguments: [(1, 1, 1), (10, 5, 8), (30, 10, 8)])
    func copyStructure(delay: Int, symbols: Int, alphabet: Int) throws {
        let task = try CopyTask(delay: delay, symbols: symbols, alphabet: alphabet)
        let width = alphabet + 2, n = 2 * symbols + delay
        #expect(task.input == .vectors(size: width) && task.output == .classes(count: alphabet + 1))
        for step in 0..<5 {
            let b: TrainingBatch<Float> = try task.trainingBatch(step: step, batchSize: 16, seed: 2)
            #expect(b.steps == n && b.lengths == nil && b.targets.positions == .everyStep)
            for s in 0..<16 {
                let symbolsIn = (0..<n).map { b.oneHot($0, s, width: width) }
                #expect(symbolsIn.allSatisfy { $0 != nil })
                let targets = (0..<n).map { b.classTargets[$0 * 16 + s] }
                for t in 0..<n {
                    if t < symbols {
                        #expect(symbolsIn[t]! < alphabet)
                    } else if t == symbols + delay - 1 {
                        #expect(symbolsIn[t] == alphabet + 1)
                    } else {
                        #expect(symbolsIn[t] == alphabet)
                    }
                }
                #expect(targets.prefix(symbols + delay).allSatisfy { $0 == 0 })
                #expect(Array(targets.suffix(symbols)) == symbolsIn.prefix(symbols).map { Int32($0! + 1) })
            }
        }
    }

    @Test("copy: the memoryless baseline is S ln K / (T + 2S)")
    func copyBaseline() throws {
        let task = try CopyTask(delay: 100, symbols: 10, alphabet: 8)
        #expect(abs(task.trivialLoss - 10 * log(8.0) / 120) < 1e-15)
        #expect(recurrentError { try CopyTask(delay: 0) } == RecurrentError(.value, "copy task: delay 0 must be at least 1"))
    }

    // MARK: Temporal order

    @Test("temporal order: E first, B last, X/Y exactly at t1 and t2 in the paper's ranges, class from their order")
    func temporalOrderStructure() throws {
        let task = try TemporalOrderTask()
        #expect(task.firstPositions == 10...20 && task.secondPositions == 50...60 && task.lengthRange == 100...110)
        var classCounts = [0, 0, 0, 0]
        for step in 0..<20 {
            let b: TrainingBatch<Double> = try task.trainingBatch(step: step, batchSize: 32, seed: 9)
            let lengths = try #require(b.lengths)
            #expect(b.steps == lengths.max() && b.targets.positions == .lastStep && b.classTargets.count == 32)
            for s in 0..<32 {
                let n = lengths[s]
                #expect((100...110).contains(n))
                let symbols = (0..<n).map { b.oneHot($0, s, width: 8) ?? -1 }
                #expect(symbols.first == 5 && symbols.last == 4)  // E, B
                let relevant = symbols.indices.filter { symbols[$0] == 6 || symbols[$0] == 7 }
                #expect(relevant.count == 2)
                guard relevant.count == 2 else { continue }
                #expect((10...20).contains(relevant[0]) && (50...60).contains(relevant[1]))
                for t in 1..<(n - 1) where !relevant.contains(t) { #expect((0..<4).contains(symbols[t])) }
                let expected = Int32((symbols[relevant[0]] == 7 ? 2 : 0) + (symbols[relevant[1]] == 7 ? 1 : 0))
                #expect(b.classTargets[s] == expected)
                classCounts[Int(expected)] += 1
                for t in n..<b.steps { #expect(b.input(t, s, width: 8).allSatisfy { $0 == 0 }) }
            }
        }
        // 640 sequences, 160 expected per class.
        #expect(classCounts.allSatisfy { (110...210).contains($0) })
        #expect(recurrentError { try TemporalOrderTask(length: 9) } == RecurrentError(.value, "temporal order task: length 9 must be at least 10"))
    }

    // MARK: Every task

    @Test("the same (step, batch size, seed) gives identical batches; other steps and seeds differ", arguments: allSyntheticTasks)
    func determinism(task: SyntheticTaskCase) throws {
        let a = try batch(task.data, step: 5), again = try batch(task.data, step: 5)
        #expect(a == again)
        #expect(try a != batch(task.data, step: 6))
        #expect(try a != batch(task.data, step: 5, seed: 8))
        // A larger batch starts with the same sequences: sequence b depends on (seed, step, b) only.
        let larger = try batch(task.data, step: 5, size: 9)
        #expect(larger.batch == 9)
        #expect((0..<8).map { sequence(larger, $0) } == (0..<8).map { sequence(a, $0) })
        #expect(sequence(larger, 8) != sequence(a, 7))
        let float: TrainingBatch<Float> = try task.data.trainingBatch(step: 5, batchSize: 8, seed: 7)
        #expect(float.vectorInputs == a.vectorInputs.map { Float($0) })
        #expect(float.lengths == a.lengths)
    }

    @Test("held-out sets: the stated count of fresh sequences, the same for every batch size", arguments: allSyntheticTasks)
    func heldOut(task: SyntheticTaskCase) throws {
        let batches: [TrainingBatch<Double>] = try task.data.heldOutBatches(batchSize: 100, seed: 1)
        let expectedCount = task.name == "adding" ? 2048 : 1024
        #expect(batches.map(\.batch).reduce(0, +) == expectedCount)
        #expect(batches.dropLast().allSatisfy { $0.batch == 100 })
        #expect(batches.last?.batch == expectedCount % 100)
        // The first 200 sequences of batches of 100 and 200 agree.
        let big: [TrainingBatch<Double>] = try task.data.heldOutBatches(batchSize: 200, seed: 1)
        let merged = big[0]
        for s in 0..<200 {
            let small = batches[s / 100], b = s % 100
            #expect(small.length(b) == merged.length(s))
            let width = task.data.input.vectorSizeForTests
            for t in 0..<small.length(b) {
                #expect(small.input(t, b, width: width) == merged.input(t, s, width: width))
            }
        }
        // Held-out sequences are not the training ones.
        let training = try batch(task.data, step: 0, size: 100, seed: 1)
        #expect(training.vectorInputs != batches[0].vectorInputs)
        #expect(try task.data.heldOutBatches(batchSize: 100, seed: 1) == batches)
    }

    @Test("maximumSteps is the longest batch drawn: none is longer, and some reach it", arguments: allSyntheticTasks)
    func maximumStepsIsTheLongestBatch(task: SyntheticTaskCase) throws {
        let steps = try (0..<200).map { try batch(task.data, step: $0).steps }
        #expect(steps.max() == task.data.maximumSteps)
    }

    @Test("a length over 2^40 is refused naming the task and the bound, before any arithmetic on it")
    func lengthCeiling() {
        let n = Int.max, bound = 1 << 40
        #expect(throws: RecurrentError.value("parity task: length \(n) must be at most \(bound)")) { try ParityTask(length: n) }
        #expect(throws: RecurrentError.value("adding task: length \(n) must be at most \(bound)")) { try AddingTask(length: n) }
        #expect(throws: RecurrentError.value("temporal order task: length \(n) must be at most \(bound)")) { try TemporalOrderTask(length: n) }
        #expect(throws: RecurrentError.value("copy task: delay \(n) must be at most \(bound)")) { try CopyTask(delay: n) }
        #expect(throws: RecurrentError.value("copy task: symbols \(n) must be at most \(bound)")) { try CopyTask(delay: 1, symbols: n) }
        #expect((try? AddingTask(length: bound))?.maximumSteps == bound + bound / 10)
    }

    // MARK: Randomness

    @Test("below(n) stays in range and is close to uniform; permutations are permutations")
    func randomHelpers() {
        var generator = SeededGenerator(seed: 42)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[generator.below(7)] += 1 }
        #expect(counts.allSatisfy { (9_500...10_500).contains($0) })
        for n in [0, 1, 2, 17] {
            #expect(generator.permutation(n).sorted() == Array(0..<n))
        }
        #expect(TaskRandom.generator(seed: 1, .trainingSequence, 0, 1) != TaskRandom.generator(seed: 1, .trainingSequence, 1, 0))
        #expect(TaskRandom.generator(seed: 1, .trainingSequence, 3) != TaskRandom.generator(seed: 1, .heldOutSequence, 3))
    }
}

extension InputSpec {
    var vectorSizeForTests: Int {
        if case .vectors(let size) = self { return size }
        return 1
    }
}
