#!/usr/bin/env python3
"""Renders every kind of picture `recurrent` draws in a real browser and checks the pixels.

Outside CI (it needs Debian's `chromium`): makes each picture with the release build of
`recurrent` in a scratch directory, screenshots it with `chromium --headless --screenshot`,
and checks each PNG: the share of pixels that differ from the white background lies in the
range the picture should cover, and the colours its data are drawn in (Okabe-Ito lines, the
blue-white-red or viridis scale, the shaded text's colours) are on screen. A picture the browser
cannot parse shows an error page and fails both checks. Python's standard library only.

    python3 scripts/check_pictures_in_browser.py [--keep DIR]

Prints one line per picture and exits non-zero when any check fails.
"""
import argparse, os, shutil, struct, subprocess, sys, tempfile, zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLUE, VERMILLION, GREEN = (0x00, 0x72, 0xB2), (0xD5, 0x5E, 0x00), (0x00, 0x9E, 0x73)
RED_CELL, BLUE_CELL = (0xB2, 0x18, 0x2B), (0x21, 0x66, 0xAC)


def read_png(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, f"{path}: unsupported PNG"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1: line[i] = (line[i] + a) & 255
            elif kind == 2: line[i] = (line[i] + b) & 255
            elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def near(pixel, colour, tolerance=40):
    return all(abs(p - c) <= tolerance for p, c in zip(pixel, colour))


def check(png, low, high, colours):
    """(ok, description): the drawn share within [low, high] and each colour on >= 20 pixels."""
    width, height, rows = read_png(png)
    pixels = [p for row in rows for p in row]
    drawn = sum(1 for p in pixels if min(p) < 245) / len(pixels)
    counts = {name: sum(1 for p in pixels if near(p, colour)) for name, colour in colours.items()}
    missing = [name for name, count in counts.items() if count < 20]
    ok = low <= drawn <= high and not missing
    found = ", ".join(f"{name} {count}" for name, count in counts.items())
    return ok, f"{width}x{height}, {100 * drawn:.1f}% drawn (expected {100 * low:.0f}-{100 * high:.0f}%), pixels of {found}" \
        + (f"; missing: {', '.join(missing)}" if missing else "")


def svg_size(path):
    text = open(path, encoding="utf-8").read(400)
    grab = lambda key: int(float(text.split(f'{key}="')[1].split('"')[0]))
    return grab("width"), grab("height")


def screenshot(page, png, size):
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", "file://" + page],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def make_pictures(work, recurrent):
    run = lambda *args: subprocess.run([recurrent, *args], cwd=work, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(work, "trace.svg"), "w") as f:
        subprocess.run([recurrent, "trace", "--format", "svg"], stdout=f, check=True)
    with open(os.path.join(work, "trace.html"), "w") as f:
        subprocess.run([recurrent, "trace", "--format", "html", "--preset", "gated-latch"], stdout=f, check=True)
    run("train", "--quiet", "--validate-every", "50", "--output", "a.safetensors")
    run("train", "--quiet", "--cell", "gru", "--validate-every", "50", "--output", "b.safetensors")
    run("plot", "a.loss.jsonl", "b.loss.jsonl", "--output", "runs.svg")
    run("experiment", "gradients", "--svg", "gradients.svg")
    run("experiment", "adding", "--length", "30", "--steps", "1500", "--svg", "adding.svg")
    text = ('First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'
            '"You are all resolved rather to die than to famish?" (All: resolved.)\n') * 40
    open(os.path.join(work, "text.txt"), "w").write(text)
    run("train", "--quiet", "--text", "text.txt", "--hidden", "32", "--steps", "200", "--seq-len", "32",
        "--output", "char.safetensors")
    run("visualize", "--model", "char.safetensors", "--text", "text.txt", "--output", "cells.html", "--length", "600")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", help="keep the pictures and screenshots in this directory")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        sys.exit("chromium not found: apt-get install chromium")
    subprocess.run(["swift", "build", "-c", "release", "--product", "recurrent"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    work = args.keep or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    make_pictures(work, os.path.join(REPO, ".build", "release", "recurrent"))
    lines = {"blue line": BLUE, "vermillion line": VERMILLION}
    cells = {"red cells": RED_CELL, "blue cells": BLUE_CELL}
    pictures = [  # (file, (low, high) share drawn, colours that must be on screen)
        ("trace.svg", (0.10, 0.60), cells),
        ("trace.html", (0.01, 0.60), {"red cells": RED_CELL}),  # a small table in a 1000 x 900 window
        ("a.loss.svg", (0.03, 0.40), {"blue line": BLUE}),
        ("runs.svg", (0.03, 0.40), lines),
        ("gradients.svg", (0.03, 0.40), {**lines, "green line": GREEN}),
        ("adding.svg", (0.02, 0.40), lines),
        ("cells.html", (0.05, 0.95), {"blue shading": BLUE_CELL}),
    ] + [(os.path.join(REPO, "docs", "pictures", name), (0.02, 0.60), cells if "trace" in name else {"blue line": BLUE})
         for name in sorted(os.listdir(os.path.join(REPO, "docs", "pictures")))]
    failures = 0
    for name, (low, high), colours in pictures:
        page = os.path.join(work, name)
        size = svg_size(page) if page.endswith(".svg") else (1000, 900)
        png = os.path.join(work, os.path.basename(name) + ".png")
        screenshot(page, png, size)
        ok, description = check(png, low, high, colours)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {os.path.relpath(page, REPO) if page.startswith(REPO) else name}: {description}")
    if not args.keep:
        shutil.rmtree(work)
    print(f"{len(pictures) - failures} of {len(pictures)} pictures pass in {subprocess.run(['chromium', '--version'], capture_output=True, text=True).stdout.strip()}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
