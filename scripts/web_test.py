#!/usr/bin/env python3
"""Browser test of the static site in dist/: serves it on loopback and opens it in headless Chromium.
- Both backends (WebGL2 via ?backend=webgl, WebGPU): the console names the backend and shows no panic, the
  screenshot shows the sample's points in viridis colours in the map area.
- ?url= from another origin (Range + CORS): GeoParquet in all five compressions and a real ATL06 granule load
  with the right point counts; servers that ignore Range or omit CORS give clear errors; a memory budget
  stops loading with a message and keeps what was loaded on screen.
- Local files by drag and drop and by the file picker: read through Blob.slice, never whole.
- An AOI picked as .geojson limits loading to it; the QA panel checks the layer; "Export selection…" downloads the
  points inside as GeoParquet.
- ?profile opens the along-track profile under the map and draws the track's points, on both backends.
- ?filter= keeps exactly the rows that pass, on both backends.
Prints 'N passed, N failed'."""
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import zlib
from pathlib import Path

DIST = Path(sys.argv[1] if len(sys.argv) > 1 else "dist").resolve()
FIXTURES = Path(sys.argv[2] if len(sys.argv) > 2 else "target/fixtures").resolve()
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CODECS = ["snappy", "gzip", "lz4", "brotli", "zstd"]
ATL06 = "hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5"
ATL03_87N = "hdf5/real/hts__ATL03_gt1l.h5"
# Chromium flags, page query and expected backend line of each rendering path (see RECIPES.md).
PATHS = {
    "webgl": (["--disable-gpu", "--enable-unsafe-swiftshader"], "?backend=webgl&tiles=off", "Gl"),
    "webgpu": (["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader",
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader"], "?tiles=off", "BrowserWebGpu"),
}


# Appended to index.html as /handover.html: hands the page a local file (?file=URL) by a synthetic drop on
# the canvas or through the file input (?via=pick), as a user's drag or pick would.
HANDOVER = """<script type="module">
const params = new URLSearchParams(location.search);
const url = params.get("file"), via = params.get("via");
const bytes = await (await fetch(url)).arrayBuffer();
const file = new File([bytes], url.split("/").pop());
const transfer = new DataTransfer();
transfer.items.add(file);
for (let i = 0; i < 200 && !document.getElementById("floe_file_input"); i++) await new Promise(r => setTimeout(r, 50));
if (via === "pick") {
  const input = document.getElementById("floe_file_input");
  input.files = transfer.files;
  input.dispatchEvent(new Event("change"));
} else {
  const drop = new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true});
  document.getElementById("floe_canvas").dispatchEvent(drop);
}
console.log(`test: handed over ${file.name} (${file.size} bytes) by ${via}`);
</script>"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/handover.html"):
            body = (DIST / "index.html").read_text().replace("</body>", HANDOVER + "</body>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


FAULTS = {"requests": 0, "503": 0, "429": 0, "truncate": 0}
FAULTS_LOCK = threading.Lock()


class DataHandler(http.server.BaseHTTPRequestHandler):
    """Serves FIXTURES on another origin: honours Range and sends CORS headers, unless the first path segment
    says otherwise (/norange/…: always 200 with the whole file; /nocors/…: no CORS headers; /flaky/…: every third
    request fails — 503, 429 with Retry-After, or a body cut in half; /swap/…: the file is replaced after three
    requests; /later200/…: Range honoured for the first request only)."""

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
        path = SHARED / name.removeprefix("shared/") if name.startswith("shared/") else FIXTURES / name
        if not path.is_file():
            self.send_response(404)
            self.cors(mode)
            self.end_headers()
            return
        data = path.read_bytes()
        e_tag = f'"{len(data)}"'
        with FAULTS_LOCK:
            FAULTS["requests"] += 1
            n = FAULTS["requests"]
        fault = ["503", "429", "truncate"][(n // 3) % 3] if mode == "flaky" and n % 3 == 0 else None
        if fault:
            FAULTS[fault] += 1
        if fault in ("503", "429"):
            self.send_response(int(fault))
            if fault == "429":
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.cors(mode)
            self.end_headers()
            return
        if mode == "swap" and n > 3:
            e_tag, data = '"replaced"', bytes(reversed(data))
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and mode != "norange" and not (mode == "later200" and n > 1):
            start, _, end = wanted[6:].partition("-")
            start, end = int(start), min(int(end) if end else len(data) - 1, len(data) - 1)
            body = data[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", e_tag)
        self.cors(mode)
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if fault == "truncate" else body)


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


def browse(flags, query, wait_for, count=1, page="index.html", steps=(), downloads=None):
    """Opens {page}{query} (DATA in the query is the data server's address) in real time until `count` console
    lines match the regex `wait_for` (60 s at most), then runs `steps` (web_page.cjs: clicks and further waits,
    downloads saved in `downloads`); returns (console lines, screenshot)."""
    site = serve()
    data = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DataHandler)
    threading.Thread(target=data.serve_forever, daemon=True).start()
    shot = Path(tempfile.mkdtemp()) / "page.png"
    query = query.replace("DATA", f"http://127.0.0.1:{data.server_port}")
    url = f"http://127.0.0.1:{site.server_port}/{page}{query}"
    script = Path(__file__).resolve().parent / "web_page.cjs"
    steps = [{**s, "wait": s["wait"] + "|panicked"} if "wait" in s else s for s in steps]
    command = ["node", str(script), url, wait_for + "|panicked", str(count), "60000", str(shot), json.dumps(flags),
               json.dumps(steps), str(downloads or "")]
    env = {**os.environ, "NODE_PATH": str(Path.home() / ".cache" / "floe-tools" / "node_modules")}
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    site.shutdown()
    data.shutdown()
    try:
        return json.loads(result.stdout), shot
    except json.JSONDecodeError:
        return [f"web_page.cjs failed: {result.stderr[-500:]}"], shot


def loaded(log, name):
    """(points, bytes read, file size) from the viewer's 'NAME: N points loaded in T ms[; read B of S bytes…]'."""
    for line in log:
        match = re.search(re.escape(name) + r": (\d+) points loaded in (\d+) ms(?:; read (\d+) of (\d+) bytes)?", line)
        if match:
            points, _, read, size = match.groups()
            return int(points), int(read or 0), int(size or 0)
    return None


def map_pixels(shot):
    width, height, channels, rows = read_png(shot)
    coloured = 0
    for y in range(height):
        row = rows[y]
        for x in range(width // 3, width):
            coloured += viridis_like(row[x * channels], row[x * channels + 1], row[x * channels + 2])
    return coloured


def url_cases():
    """?url= loads through HTTP range requests (WebGPU path); servers that ignore Range or omit CORS give clear
    errors."""
    flags = PATHS["webgl"][0]
    results = []
    log, shot = browse(PATHS["webgpu"][0], "?tiles=off&url=DATA/ok/covering.parquet", "first points on screen|cannot read")
    errors = [l for l in log if "cannot read" in l or "panicked" in l]
    coloured = map_pixels(shot) if shot.exists() else 0
    ok = not errors and coloured >= 300
    print(f"url: {coloured} viridis-coloured map pixels from covering.parquet; errors: {errors[:1]}")
    results.append(ok)
    for mode, expected in [("norange", "the server ignores Range requests (HTTP 200 instead of 206"), ("nocors", "CORS")]:
        log, _ = browse(flags, f"?backend=webgl&tiles=off&url=DATA/{mode}/covering.parquet", "cannot read")
        found = any(expected in l for l in log)
        print(f"{mode}: {'clear error in the console' if found else 'FAIL no error containing ' + repr(expected)}")
        results.append(found)
    return results


def format_cases():
    """Every compression by ?url= in one page, then an ICESat-2 granule in another: each reports its point count.
    (The granule has a page to itself: its many small metadata requests each wait for a software-rendered frame
    once other layers are on screen, which makes it take minutes under SwiftShader.)"""
    urls = "&".join(f"url=DATA/ok/codec_{codec}.parquet" for codec in CODECS)
    pages = [(urls, [(f"codec_{codec}.parquet", 5000) for codec in CODECS]),
             (f"url=DATA/ok/shared/{ATL06}", [(ATL06.rsplit("/", 1)[1], 6108)])]
    results = []
    for query, wanted in pages:
        log, shot = browse(PATHS["webgl"][0], f"?backend=webgl&tiles=off&{query}",
                           "points loaded in|cannot read|unsupported", count=len(wanted))
        for name, want in wanted:
            got = loaded(log, name)
            print(f"url {name}: {'%d points' % got[0] if got else 'FAIL not loaded'} (want {want})")
            results.append(got is not None and got[0] == want)
        errors = [l for l in log if "cannot read" in l or "panicked" in l or "unsupported" in l]
        if errors:
            print(f"formats: FAIL {errors[0][:300]}")
            results.append(False)
    return results


def fault_cases():
    """The browser's reads under faults: a flaky server gives the same points as a good one; a file replaced mid-read
    and a server that stops honouring Range give clear errors."""
    results = []
    for key in FAULTS:
        FAULTS[key] = 0
    log, _ = browse(PATHS["webgl"][0], "?backend=webgl&tiles=off&url=DATA/flaky/codec_zstd.parquet",
                    "points loaded in|cannot read")
    got = loaded(log, "codec_zstd.parquet")
    print(f"flaky server ({FAULTS}): {'%d points' % got[0] if got else 'FAIL not loaded'} (want 5000)")
    results.append(got is not None and got[0] == 5000 and FAULTS["503"] + FAULTS["429"] + FAULTS["truncate"] > 0)
    for mode, expected in [("swap", "the file changed while it was being read"),
                           ("later200", "the server ignores Range requests (HTTP 200 instead of 206")]:
        FAULTS["requests"] = 0
        log, _ = browse(PATHS["webgl"][0], f"?backend=webgl&tiles=off&url=DATA/{mode}/covering.parquet",
                        "points loaded in|cannot read")
        found = any(expected in l for l in log)
        print(f"{mode}: {'clear error in the console' if found else 'FAIL no error containing ' + repr(expected)}")
        results.append(found)
    return results


def memory_budget_case():
    """covering.parquet (20 row groups × 1000 points, 32 bytes each) with a 0.05 MB budget: stops, keeps what fits."""
    log, shot = browse(PATHS["webgl"][0], "?backend=webgl&tiles=off&memory_mb=0.05&url=DATA/ok/covering.parquet",
                       "memory budget")
    stopped = [l for l in log if "loading stopped at the memory budget" in l]
    coloured = map_pixels(shot) if shot.exists() else 0
    print(f"memory budget: {'message in the console' if stopped else 'FAIL no message'}; {coloured} coloured pixels")
    return [bool(stopped) and coloured > 20]


def local_file_cases():
    """A dropped and a picked file are read by slices: the notes column (most of the file) is never read."""
    results = []
    # Drop on the WebGL2 path, pick on the WebGPU path: both backends open local files.
    for via, backend in [("drop", "webgl"), ("pick", "webgpu")]:
        flags, query, _ = PATHS[backend]
        # The sample loads too: wait for the handed-over file's own line.
        log, shot = browse(flags, f"{query}&via={via}&file=DATA/ok/codec_zstd.parquet",
                           "codec_zstd.parquet: \\d+ points loaded in|cannot read", page="handover.html")
        got = loaded(log, "codec_zstd.parquet")
        ok = got is not None and got[0] == 5000 and 0 < got[1] * 5 < got[2]
        detail = f"{got[0]} points, read {got[1]} of {got[2]} bytes" if got else "FAIL not loaded"
        print(f"local file by {via} ({backend}): {detail}")
        if not ok:
            print(f"local file by {via}: FAIL console: {log[-5:]}")
        results.append(ok)
    return results


# Where the side panel's QA header, its "Run checks" button and the top bar's "Export selection…" are on a
# 1024×700 page with one GeoParquet layer and an AOI loaded (egui lays them out the same way every time).
QA_HEADER, RUN_CHECKS, EXPORT_SELECTION = [35, 537], [65, 560], [300, 12]


def aoi_export_qa_case():
    """A .geojson picked in the browser becomes the AOI: covering.parquet reloads with exactly the points shapely
    finds strictly inside the triangle. The QA panel checks the file; "Export selection…" downloads the points as
    GeoParquet, which pyarrow reads back with the same values."""
    import pyarrow.parquet as pq
    import shapely
    import shapely.geometry

    table = pq.read_table(FIXTURES / "covering.parquet")
    bbox = table["bbox"].combine_chunks()
    xs, ys = bbox.field("xmin").to_numpy(), bbox.field("ymin").to_numpy()
    triangle = shapely.geometry.shape(json.loads((FIXTURES / "covering_aoi.geojson").read_text()))
    inside = shapely.contains_xy(triangle, xs, ys)
    expected = int(inside.sum())
    expected_values = sorted(table["value"].to_numpy()[inside].tolist())
    downloads = Path(tempfile.mkdtemp())
    steps = [{"click": QA_HEADER}, {"sleep": 400}, {"click": RUN_CHECKS}, {"wait": "QA of"},
             {"click": EXPORT_SELECTION}, {"wait": "Exported|Export to"}]
    log, shot = browse(PATHS["webgl"][0],
                       "?backend=webgl&tiles=off&url=DATA/ok/covering.parquet&via=pick&file=DATA/ok/covering_aoi.geojson",
                       f"covering.parquet: {expected} points loaded in|cannot read|not a usable", page="handover.html",
                       steps=steps, downloads=downloads)
    results = []
    got = loaded(log, "covering.parquet")
    print(f"AOI picked in the browser: {got[0] if got else 'FAIL no'} points loaded (shapely: {expected})")
    results.append(got is not None and got[0] == expected)
    qa = [l for l in log if "QA of" in l]
    print(f"QA panel in the browser: {qa[0].split('floe: ')[-1] if qa else 'FAIL no report'}")
    results.append(bool(qa) and re.search(r"covering.parquet: \d+ checks, 0 failed", qa[0]) is not None)
    exported = downloads / "selection.parquet"
    ok = exported.exists()
    if ok:
        back = pq.read_table(exported)
        metadata = pq.read_metadata(exported).metadata or {}
        values = sorted(back["value"].to_pylist())
        ok = back.num_rows == expected and values == expected_values and b"geo" in metadata
        print(f"export in the browser: {back.num_rows} rows, values {'equal' if values == expected_values else 'DIFFER'}"
              f", geo metadata {'present' if b'geo' in metadata else 'MISSING'}")
    else:
        print(f"export in the browser: FAIL no download; console: {[l for l in log if 'xport' in l][-2:]}")
    results.append(ok)
    return results


def run(name):
    """The sample on one backend: the backend line, no panic, viridis points in the map area."""
    flags, query, backend = PATHS[name]
    log, shot = browse(flags, query, "first points on screen")
    failures = []
    lines = [l for l in log if "floe: rendering with" in l]
    if not any(f"floe: rendering with {backend}" in l for l in lines):
        failures.append(f"no 'floe: rendering with {backend}' console line (got {lines[:2]})")
    if any("panicked" in l for l in log):
        failures.append("a panic in the console: " + next(l for l in log if "panicked" in l)[:300])
    if not shot.exists():
        failures.append("no screenshot")
    else:
        coloured = map_pixels(shot)
        if coloured < 300:
            failures.append(f"only {coloured} viridis-coloured pixels in the map area")
        first = [l for l in log if "first points on screen" in l]
        timing = re.search(r"on screen (\d+) ms", first[0]).group(1) + " ms to first points" if first else ""
        print(f"{name}: {coloured} viridis-coloured map pixels; {timing}; screenshot {shot}")
    for failure in failures:
        print(f"{name}: FAIL {failure}")
    return not failures


def polar_cases():
    """?projection=north over the real ATL03 subset at 87.3°N (2,909 photons by h5py), on both backends: every
    photon loads and the map shows them (Web Mercator ends at 85.05°)."""
    results = []
    for backend in PATHS:
        flags, query, _ = PATHS[backend]
        name = ATL03_87N.rsplit("/", 1)[1]
        log, shot = browse(flags, f"{query}&projection=north&url=DATA/ok/shared/{ATL03_87N}",
                           re.escape(name) + r": \d+ points loaded|cannot read")
        got = loaded(log, name)
        coloured = map_pixels(shot) if shot.exists() else 0
        ok = got is not None and got[0] == 2909 and coloured >= 4
        print(f"polar north ({backend}): {got[0] if got else 'FAIL not loaded'} photons, {coloured} coloured pixels")
        if not ok:
            print(f"polar north ({backend}): FAIL console: {log[-5:]}")
        results.append(ok)
    return results


def profile_cases():
    """?profile opens the profile under the map on the sample's first track (1,600 segments), on both backends: the
    console reports it and the plot area (the lower part of the page) shows viridis-coloured points."""
    results = []
    for backend in PATHS:
        flags, query, _ = PATHS[backend]
        log, shot = browse(flags, f"{query}&profile", r"floe: profile of .*: [1-9]\d* points")
        line = next((l for l in log if "floe: profile of" in l), None)
        coloured = 0
        if shot.exists():
            width, height, channels, rows = read_png(shot)
            for y in range(int(height * 0.7), height - 40):
                row = rows[y]
                for x in range(width // 3, width):
                    coloured += viridis_like(row[x * channels], row[x * channels + 1], row[x * channels + 2])
        points = re.search(r": (\d+) points from", line) if line else None
        ok = points is not None and int(points.group(1)) == 1600 and coloured >= 300
        print(f"profile ({backend}): {line.split('floe: ')[-1] if line else 'FAIL no profile line'}; "
              f"{coloured} viridis-coloured pixels in the plot")
        if not ok:
            print(f"profile ({backend}): FAIL console: {log[-4:]}; screenshot {shot}")
        results.append(ok)
    return results


def filter_cases():
    """?filter= drops rows before they are drawn, on both backends: covering.parquet's `value` is each row's number,
    so `value < 5000` keeps exactly its first 5,000 points."""
    results = []
    for backend in PATHS:
        flags, query, _ = PATHS[backend]
        log, shot = browse(flags, f"{query}&filter=value%20%3C%205000&url=DATA/ok/covering.parquet",
                           r"covering\.parquet: \d+ points loaded|cannot read")
        got = loaded(log, "covering.parquet")
        coloured = map_pixels(shot) if shot.exists() else 0
        ok = got is not None and got[0] == 5000 and coloured >= 100
        print(f"filter ({backend}): {got[0] if got else 'FAIL not loaded'} of 20000 points kept, {coloured} coloured pixels")
        if not ok:
            print(f"filter ({backend}): FAIL console: {log[-4:]}")
        results.append(ok)
    return results


def time_cases():
    """?time=START..END keeps the rows of that window, on both backends: counted here by pyarrow on qa/good.parquet's
    `time` (the middle third of its span, start included, end excluded)."""
    import pyarrow.parquet as pq
    table = pq.read_table(FIXTURES / "qa" / "good.parquet", columns=["time"])
    times = table["time"].cast("int64").to_numpy()
    lo, hi = int(times.min()), int(times.max())
    start, end = lo + (hi - lo) // 3, lo + 2 * (hi - lo) // 3
    import datetime

    def iso(ns):
        whole = datetime.datetime.fromtimestamp(ns // 10**9, tz=datetime.timezone.utc)
        return f"{whole:%Y-%m-%dT%H:%M:%S}.{ns % 10**9:09d}Z"

    expected = int(((times >= start) & (times < end)).sum())
    results = []
    for backend in PATHS:
        flags, query, _ = PATHS[backend]
        log, _ = browse(flags, f"{query}&time={iso(start)}..{iso(end)}&url=DATA/ok/qa/good.parquet",
                        r"good\.parquet: \d+ points loaded|cannot read")
        got = loaded(log, "good.parquet")
        ok = got is not None and got[0] == expected and 0 < expected < len(times)
        print(f"time ({backend}): {got[0] if got else 'FAIL not loaded'} points in the window, pyarrow counts {expected}")
        if not ok:
            print(f"time ({backend}): FAIL console: {log[-4:]}")
        results.append(ok)
    return results


def link_cases():
    """The page keeps its view in its address: a filter on the map (`show=`), the camera (`at=`), the colormap. That
    address opened in a fresh page shows the same points in the same place: the same count shown, the same link,
    the same coloured pixels."""
    flags, query, _ = PATHS["webgl"]
    shown = r"covering\.parquet: \d+ of \d+ points shown"
    first, shot_a = browse(flags, f"{query}&cmap=viridis&show=value%20%3C%205000&url=DATA/ok/covering.parquet", shown)
    location = next((l.split("location: ", 1)[1] for l in first if l.startswith("location: ")), "")
    count = next((l for l in first if re.search(shown, l)), None)
    link = location.split("?", 1)[1] if "?" in location else ""
    ok = ("show=value+%3C+5000" in link and "at=" in link and "cmap=viridis" in link
          and count is not None and "5000 of 20000 points shown" in count)
    print(f"link: the page's address carries the view: {link[:160]}…; {count}")
    # The data server has another port in the next page: the link's data address goes back to DATA.
    link = re.sub(r"http%3A%2F%2F127\.0\.0\.1%3A\d+", "DATA", link)
    second, shot_b = browse(flags, "?" + link, shown)
    count_b = next((l for l in second if re.search(shown, l)), None)
    location_b = next((l.split("location: ", 1)[1] for l in second if l.startswith("location: ")), "")
    strip = lambda address: re.sub(r"127\.0\.0\.1%3A\d+", "", address.split("?", 1)[-1])
    pixels_a, pixels_b = map_pixels(shot_a), map_pixels(shot_b)
    same = (count_b is not None and count_b.split("floe: ")[-1] == count.split("floe: ")[-1]
            and strip(location_b) == strip(location) and pixels_a > 50 and abs(pixels_a - pixels_b) <= pixels_a // 50)
    print(f"link: reopened in a fresh page: {count_b}; same link: {strip(location_b) == strip(location)}; "
          f"coloured pixels {pixels_a} then {pixels_b}")
    if not (ok and same):
        print(f"link: FAIL consoles: {first[-3:]} / {second[-3:]}")
    return [ok and same]


def main():
    passed = failed = 0
    for name in PATHS:
        if run(name):
            passed += 1
        else:
            failed += 1
    for ok in [*url_cases(), *format_cases(), *fault_cases(), *memory_budget_case(), *local_file_cases(), *aoi_export_qa_case(),
               *polar_cases(), *profile_cases(), *filter_cases(), *time_cases(), *link_cases()]:
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
