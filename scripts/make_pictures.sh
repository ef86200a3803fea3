#!/usr/bin/env bash
# Regenerates the pictures the README and docs/EXPERIMENTS.md show, into docs/pictures/, with
# the release build of `recurrent` (built first). About half a minute once built.
#
#   scripts/make_pictures.sh
#
# The trace and the gradient decay are the same on every machine; the loss curves' seconds
# axis and the adding problem's training differ with the CPU's speed and threads.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/docs/pictures
cd "$REPO"
swift build -c release --product recurrent >/dev/null
R=$REPO/.build/release/recurrent
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

# The homework's LSTM on its first sequence: every gate and state at every step.
"$R" trace --format svg >"$WORK/homework-trace.svg"

# A loss curve: the default job, the held-out loss every 50 steps.
"$R" train --validate-every 50 --quiet --output "$WORK/parity.safetensors"
cp "$WORK/parity.loss.svg" "$WORK/parity-loss.svg"

# Two settings compared: the temporal order problem with an LSTM and with a GRU.
for cell in lstm gru; do
    "$R" train --task temporal-order --cell "$cell" --validate-every 100 --quiet --output "$WORK/temporal-order-$cell.safetensors"
done
"$R" plot "$WORK/temporal-order-lstm.loss.jsonl" "$WORK/temporal-order-gru.loss.jsonl" \
    --title "Temporal order problem: LSTM and GRU" --output "$WORK/temporal-order-runs.svg"

# The vanishing gradient, and the adding problem with an LSTM and a simple RNN.
"$R" experiment gradients --svg "$WORK/gradients.svg" >/dev/null
"$R" experiment adding --length 100 --svg "$WORK/adding.svg" >/dev/null

for name in homework-trace parity-loss temporal-order-runs gradients adding; do
    cp "$WORK/$name.svg" "$OUT/$name.svg"
    echo "$OUT/$name.svg"
done
