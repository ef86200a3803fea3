#!/usr/bin/env python3
"""Recurrent against PyTorch and ONNX Runtime, side by side, on the same configurations and
the same thread count, in one session.

Runs `recurrent bench --json` (build it first with a plain `swift build -c release`: the kernels
for this CPU are chosen at run time), PyTorch's `nn.LSTM` (or, with
`--cell`, `nn.GRU` or `nn.RNN`), and ONNX Runtime on the module exported from it, on the configurations (B, T, X, H, layers) of the
performance issue, and prints the median milliseconds and the speedups. Inference is the
forward pass (`torch.inference_mode()`; ORT `session.run`); a training step is the forward pass
and the backward pass of the sum of the outputs with respect to every parameter (no
optimizer step). The whole comparison is repeated `--rounds` times and the median of the
rounds' medians is printed. Not part of CI.

    python3 -m venv venv && venv/bin/pip install torch onnxruntime onnx numpy
    venv/bin/python bench/compare.py --threads 2 --rounds 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch

CONFIGS = [
    ("stream", 1, 1000, 64, 256, 1),
    ("small", 1, 100, 1, 32, 1),
    ("batch", 64, 100, 512, 512, 1),
    ("charlm", 32, 64, 65, 512, 2),
]


def median_ms(fn, repeats, min_seconds=0.5):
    """The median milliseconds of fn() over at least `repeats` runs (and about min_seconds), after a warm-up."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < min_seconds and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def torch_bench(cfg, threads, repeats, cell):
    _, B, T, X, H, L = cfg
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    lstm = MODULES[cell](X, H, num_layers=L)
    x = torch.randn(T, B, X)

    def infer():
        with torch.inference_mode():
            lstm(x)

    def train():
        lstm.zero_grad(set_to_none=True)
        y, _ = lstm(x)
        y.sum().backward()

    return median_ms(infer, repeats), median_ms(train, repeats)


def ort_bench(cfg, threads, repeats, workdir, cell):
    name, B, T, X, H, L = cfg
    torch.manual_seed(0)
    lstm = MODULES[cell](X, H, num_layers=L).eval()
    x = torch.randn(T, B, X)
    path = os.path.join(workdir, f"{name}-{cell}.onnx")
    kwargs = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
    outputs = ["y", "h", "c"] if cell == "lstm" else ["y", "h"]
    torch.onnx.export(lstm, (x,), path, input_names=["x"], output_names=outputs, opset_version=17, **kwargs)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feed = {"x": x.numpy()}
    return median_ms(lambda: session.run(None, feed), repeats)


def ours(binary, threads, repeats, cell):
    """Recurrent's rows: (infer ms, train ms, scratch bytes, floor ms or None) per config, and the machine."""
    args = [binary, "bench", "--json", "--threads", str(threads), "--repeats", str(repeats), "--cell", cell]
    for _, B, T, X, H, L in CONFIGS:
        args += ["--config", f"{B},{T},{X},{H},{L}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    machine = {k: rows[0].get(k, 0 if k in ("l2_streaming_gbps", "barrier_ns") else "?")
               for k in ("cpu", "isa", "l2_streaming_gbps", "barrier_ns")}
    return [(r["infer_ms"], r["train_ms"], r.get("train_scratch_bytes", 0), r.get("floor_ms")) for r in rows], machine


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cell", choices=sorted(MODULES), default="lstm")
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "recurrent"))
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary}: build it first: swift build -c release")

    results = {c[0]: {"ours_i": [], "ours_t": [], "mem": [], "floor": [], "torch_i": [], "torch_t": [], "ort_i": []}
               for c in CONFIGS}
    machines = []
    with tempfile.TemporaryDirectory() as workdir:
        for round_index in range(args.rounds):
            print(f"round {round_index + 1} of {args.rounds}...", file=sys.stderr, flush=True)
            rows, machine = ours(args.binary, args.threads, args.repeats, args.cell)
            machines.append(machine)
            for cfg, (oi, ot, mem, floor) in zip(CONFIGS, rows):
                results[cfg[0]]["ours_i"].append(oi)
                results[cfg[0]]["ours_t"].append(ot)
                results[cfg[0]]["mem"].append(mem)
                if floor is not None:
                    results[cfg[0]]["floor"].append(floor)
            for cfg in CONFIGS:
                ti, tt = torch_bench(cfg, args.threads, args.repeats, args.cell)
                results[cfg[0]]["torch_i"].append(ti)
                results[cfg[0]]["torch_t"].append(tt)
                results[cfg[0]]["ort_i"].append(ort_bench(cfg, args.threads, args.repeats, workdir, args.cell))

    m = lambda values: statistics.median(values)
    print(f"{args.cell.upper()}, float32, {args.threads} threads, median of {args.rounds} rounds "
          f"(torch {torch.__version__}, onnxruntime {ort.__version__})")
    print(f"CPU: {machines[0]['cpu']}; Recurrent's kernels: {machines[0]['isa']}; "
          f"L2 streaming {m([x['l2_streaming_gbps'] for x in machines]):.1f} GB/s per core, "
          f"thread meeting {m([x['barrier_ns'] for x in machines]):.0f} ns (medians over the rounds)")
    print("| config (B, T, X, H, L) | Recurrent inference | batch-1 floor | PyTorch inference | ONNX Runtime inference "
          "| vs faster peer | Recurrent training step | PyTorch training step | vs PyTorch | training scratch memory |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, B, T, X, H, L in CONFIGS:
        r = results[name]
        oi, ti, xi, ot, tt = m(r["ours_i"]), m(r["torch_i"]), m(r["ort_i"]), m(r["ours_t"]), m(r["torch_t"])
        flops = sum(2 * GATES[args.cell] * H * ((X if l == 0 else H) + H) * B * T for l in range(L))
        gf = lambda ms, factor=1: f"{factor * flops / ms / 1e6:.0f}"
        floor = f"{m(r['floor']):.3f} ms" if r["floor"] else "-"
        print(f"| {name} ({B}, {T}, {X}, {H}, {L}) | {oi:.3f} ms ({gf(oi)} GFLOP/s) | {floor} | {ti:.3f} ms | {xi:.3f} ms "
              f"| {min(ti, xi) / oi:.2f}x | {ot:.2f} ms ({gf(ot, 3)} GFLOP/s) | {tt:.2f} ms | {tt / ot:.2f}x "
              f"| {m(r['mem']) / 1e6:.1f} MB |")
    # A shared host can change speed within minutes: each round's own ratios show how far apart they are.
    print()
    print("Per-round ratios (each round's ours against its peers, run within a minute of each other):")
    for name, *_ in CONFIGS:
        r = results[name]
        infer = [min(t, x) / o for o, t, x in zip(r["ours_i"], r["torch_i"], r["ort_i"])]
        train = [t / o for o, t in zip(r["ours_t"], r["torch_t"])]
        spread = lambda values: f"{min(values):.2f}x to {max(values):.2f}x"
        print(f"- {name}: inference {spread(infer)}, training {spread(train)}")


if __name__ == "__main__":
    main()
