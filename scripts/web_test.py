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
FIXTURES = Path(sys.argv[2] if len(sys.argv) > 2 else "target/fixtures").resolve()
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


class DataHandler(http.server.BaseHTTPRequestHandler):
    """Serves FIXTURES on another origin: honours Range and sends CORS headers, unless the first path segment
    says otherwise (/norange/…: always 200 with the whole file; /nocors/…: no CORS headers)."""

    def log_message(self, *args):
        pass

    def cors(self, mode):
        if mode != "nocors":
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Range")
            self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length, ETag")

    def do_OPTIONS(self):
        self.send_response(204)
        self.cors(self.path.split("/")[1])
        self.end_headers()

    def do_GET(self):
        mode, _, name = self.path.lstrip("/").partition("/")
        path = FIXTURES / name
        if not path.is_file():
            self.send_response(404)
            self.cors(mode)
            self.end_headers()
            return
        data = path.read_bytes()
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and mode != "norange":
            start, _, end = wanted[6:].partition("-")
            start, end = int(start), min(int(end) if end else len(data) - 1, len(data) - 1)
            body = data[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", f'"{len(data)}"')
        self.cors(mode)
        self.end_headers()
        self.wfile.write(body)


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


def browse(flags, query):
    """Opens index.html{query} (DATA in the query is the data server's address); returns (console, screenshot)."""
    site = serve()
    data = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DataHandler)
    threading.Thread(target=data.serve_forever, daemon=True).start()
    shot = Path(tempfile.mkdtemp()) / "page.png"
    query = query.replace("DATA", f"http://127.0.0.1:{data.server_port}")
    url = f"http://127.0.0.1:{site.server_port}/index.html{query}"
    command = [CHROMIUM, *COMMON, *flags, f"--user-data-dir={tempfile.mkdtemp()}", f"--screenshot={shot}", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    site.shutdown()
    data.shutdown()
    return result.stderr, shot


def map_pixels(shot):
    width, height, channels, rows = read_png(shot)
    coloured = 0
    for y in range(height):
        row = rows[y]
        for x in range(width // 3, width):
            coloured += viridis_like(row[x * channels], row[x * channels + 1], row[x * channels + 2])
    return coloured


def url_cases():
    """?url= loads through HTTP range requests; servers that ignore Range or omit CORS give clear errors."""
    flags = PATHS["webgl"][0]
    results = []
    log, shot = browse(flags, "?backend=webgl&tiles=off&url=DATA/ok/covering.parquet")
    errors = [l for l in log.splitlines() if ("cannot read" in l and ":CONSOLE" in l) or "panicked" in l]
    coloured = map_pixels(shot) if shot.exists() else 0
    ok = not errors and coloured >= 300
    print(f"url: {coloured} viridis-coloured map pixels from covering.parquet; errors: {errors[:1]}")
    results.append(ok)
    for mode, expected in [("norange", "the server ignores Range requests (HTTP 200 instead of 206"), ("nocors", "CORS")]:
        log, _ = browse(flags, f"?backend=webgl&tiles=off&url=DATA/{mode}/covering.parquet")
        found = any(expected in l and ":CONSOLE" in l for l in log.splitlines())
        print(f"{mode}: {'clear error in the console' if found else 'FAIL no error containing ' + repr(expected)}")
        results.append(found)
    return results


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
    for ok in url_cases():
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
