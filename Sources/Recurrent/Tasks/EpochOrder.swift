/// How finite data of `count` items is visited in batches: epochs of `ceil(count / batchSize)`
/// batches, each batch the next `batchSize` items of the epoch's order (the last batch of an
/// epoch smaller when `batchSize` does not divide `count`, like PyTorch's `DataLoader` with
/// `drop_last=False`). The order is `0..<count`, or with `shuffle` a permutation drawn from
/// (seed, epoch), so every batch is a pure function of (step, batchSize, seed).
struct EpochOrder {
    /// The number of items.
    var count: Int
    /// Whether each epoch visits the items in a random order.
    var shuffle: Bool

    /// The number of batches in one epoch (0 for a batch size below 1: no such batch).
    func batchesPerEpoch(batchSize: Int) -> Int {
        guard batchSize >= 1 else { return 0 }
        return count / batchSize + (count % batchSize == 0 ? 0 : 1)  // (count + batchSize - 1) / batchSize overflows
    }

    /// The items of the training batch for `step`, in batch order. The callers' `trainingBatch`
    /// checks the step and batch size first (`checkTrainingRequest`); the preconditions restate it.
    func items(step: Int, batchSize: Int, seed: UInt64) -> [Int] {
        precondition(step >= 0, "training step \(step) is negative")
        let batches = batchesPerEpoch(batchSize: batchSize)
        precondition(batches >= 1, "no data to make batches from")
        let epoch = step / batches, index = step % batches
        let range = (index * batchSize)..<min(index * batchSize + batchSize, count)
        guard shuffle else { return Array(range) }
        var generator = TaskRandom.generator(seed: seed, .epochOrder, epoch)
        return Array(generator.permutation(count)[range])
    }
}

/// The item count held out for a fraction of `count` (rounded to the nearest whole number).
func heldOutItemCount(fraction: Double, of count: Int) -> Int {
    Int((fraction * Double(count)).rounded())
}
