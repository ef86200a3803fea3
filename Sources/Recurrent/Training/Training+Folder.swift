// Training: `SequenceModel` (embedding, recurrent stack, head) and its files, losses,
// optimizers with PyTorch's rules, schedules, clipping, the `Trainer` loop and its checkpoints,
// sampling from character models.
