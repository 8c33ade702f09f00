#!/usr/bin/env python3
"""Browser test of the static site in dist/: serves it on loopback and opens it in headless Chromium twice,
once on the WebGL2 path (?backend=webgl) and once on the WebGPU path. For each: the console names the
expected backend and shows no panic, and the screenshot shows the sample's points in viridis colours in
the map area. Prints 'N passed, N failed'."""
import functools
import http.server
import subprocess
import sys
import tempfile
import threading
import zlib
from pathlib import Path

DIST = Path(sys.argv[1] if len(sys.argv) > 1 else "dist").resolve()
CHROMIUM = "/usr/bin/chromium"
COMMON = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0",
          "--window-size=1024,700", "--virtual-time-budget=20000"]
PATHS = {
    "webgl": (["--disable-gpu", "--enable-unsafe-swiftshader"], "?backend=webgl&tiles=off", "Gl"),
    "webgpu": (["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader",
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader"], "?tiles=off", "BrowserWebGpu"),
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve():
    handler = functools.partial(QuietHandler, directory=str(DIST))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def read_png(path):
    """Decodes an 8-bit RGBA/RGB PNG (what Chromium writes) with zlib only."""
    data = path.read_bytes()
    pos, chunks = 8, []
    width = height = channels = None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            channels = {6: 4, 2: 3}[body[9]]
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def viridis_like(r, g, b):
    # Viridis runs purple → teal → yellow: blue-green dominant or yellow, never grey, never the sea colour.
    return (g > r + 30 and b > 60 and abs(g - b) < 90) or (r > 150 and g > 180 and b < 90) or (b > r + 40 and r > 50 and g < 60)


def run(name):
    flags, query, backend = PATHS[name]
    server = serve()
    shot = Path(tempfile.mkdtemp()) / f"{name}.png"
    url = f"http://127.0.0.1:{server.server_port}/index.html{query}"
    command = [CHROMIUM, *COMMON, *flags, f"--user-data-dir={tempfile.mkdtemp()}", f"--screenshot={shot}", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    server.shutdown()
    log = result.stderr
    failures = []
    lines = [l for l in log.splitlines() if "floe: rendering with" in l]
    if not any(f"floe: rendering with {backend}" in l for l in lines):
        failures.append(f"no 'floe: rendering with {backend}' console line (got {lines[:2]})")
    if "panicked" in log:
        failures.append("a panic in the console: " + next(l for l in log.splitlines() if "panicked" in l)[:300])
    if not shot.exists():
        failures.append("no screenshot")
    else:
        width, height, channels, rows = read_png(shot)
        coloured = 0
        for y in range(height):
            row = rows[y]
            # The map is right of the side panel.
            for x in range(width // 3, width):
                r, g, b = row[x * channels], row[x * channels + 1], row[x * channels + 2]
                coloured += viridis_like(r, g, b)
        if coloured < 300:
            failures.append(f"only {coloured} viridis-coloured pixels in the map area")
        print(f"{name}: {coloured} viridis-coloured map pixels; screenshot {shot}")
    for failure in failures:
        print(f"{name}: FAIL {failure}")
    return not failures


def main():
    passed = failed = 0
    for name in PATHS:
        if run(name):
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
