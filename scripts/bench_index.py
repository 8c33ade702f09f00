#!/usr/bin/env python3
"""An AOI (1 degree of latitude out of 20) from a synthetic ATL06 granule over loopback HTTP with 20 ms added to every
request, read by: h5py through fsspec (coordinates whole, then the rows inside), kerchunk references + zarr through
fsspec (the same reads, chunk by chunk), `floe subset` without an index and with `floe index`'s. The server counts
requests and bytes. Every reader must return the same number of rows.
Usage: bench_index.py FLOE_BINARY SEGMENTS_PER_BEAM"""
import http.server
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import synthetic_granules

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
LATENCY_S = 0.020
BBOX = (-46.0, 70.0, -44.0, 71.0)
COUNTS = {"requests": 0, "bytes": 0}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves bench-data/ with Range support, 20 ms late, counting requests and bytes."""

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.serve(body=False)

    def do_GET(self):
        self.serve(body=True)

    def serve(self, body):
        time.sleep(LATENCY_S)
        path = DATA / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.send_response(404)
            self.end_headers()
            return
        size = path.stat().st_size
        start, end = 0, size - 1
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        length = max(0, end - start + 1)
        self.send_response(206 if match else 200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if match:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        with LOCK:
            COUNTS["requests"] += 1
            COUNTS["bytes"] += length if body else 0
        if body:
            with open(path, "rb") as f:
                f.seek(start)
                self.wfile.write(f.read(length))


PYTHON_READ = r"""
import sys, json, numpy as np, fsspec
mode, url, w, s, e, n = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:7])
beams = ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]
rows = 0
if mode == "h5py":
    import h5py
    f = h5py.File(fsspec.open(url, "rb", block_size=1 << 20).open(), "r")
    get = lambda path: f[path]
else:
    import zarr
    # zarr 3 reads through an asynchronous filesystem: the reference one and the HTTP one under it.
    fs = fsspec.filesystem("reference", fo=url, remote_protocol="http", remote_options={"asynchronous": True},
                           asynchronous=True)
    g = zarr.open_group(zarr.storage.FsspecStore(fs, read_only=True), mode="r", zarr_format=2)
    get = lambda path: g[path.lstrip("/")]
for beam in beams:
    group = f"/{beam}/land_ice_segments"
    lat, lon = get(group + "/latitude")[:], get(group + "/longitude")[:]
    inside = np.flatnonzero((lon >= w) & (lon <= e) & (lat >= s) & (lat <= n))
    if inside.size:
        a, b = inside[0], inside[-1] + 1
        for name in ["delta_time", "h_li", "h_li_sigma", "atl06_quality_summary"]:
            get(f"{group}/{name}")[a:b]
    rows += inside.size
print(json.dumps({"rows": int(rows)}))
"""


def measure(name, command):
    with LOCK:
        COUNTS["requests"] = COUNTS["bytes"] = 0
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        print(f"{name}: failed: {run.stderr[-400:]}")
        return None
    with LOCK:
        requests, read = COUNTS["requests"], COUNTS["bytes"]
    rows = re.search(r'"rows": (\d+)|: (\d+) rows', run.stdout + run.stderr)
    rows = int(rows.group(1) or rows.group(2)) if rows else -1
    return {"name": name, "requests": requests, "mb": read / 1e6, "seconds": seconds, "rows": rows}


def main():
    floe, segments = sys.argv[1], int(sys.argv[2])
    granule = synthetic_granules.atl06(DATA / f"index_atl06_{segments}.h5", segments)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    url = f"{base}/{granule.name}"
    index = DATA / f"{granule.stem}.index.parquet"
    refs = DATA / f"{granule.stem}.refs.json"
    built = measure("floe index (+ kerchunk references), once", [floe, "index", url, "--out", str(index), "--force",
                                                                 "--kerchunk", str(refs)])
    bbox = ",".join(map(str, BBOX))
    out = DATA / "bench_index_out.parquet"
    results = [
        measure("h5py via fsspec", [sys.executable, "-c", PYTHON_READ, "h5py", url, *map(str, BBOX)]),
        measure("kerchunk references + zarr via fsspec", [sys.executable, "-c", PYTHON_READ, "zarr", str(refs), *map(str, BBOX)]),
        measure("floe subset, no index", [floe, "subset", url, f"--bbox={bbox}", "--out", str(out), "--force", "--no-index"]),
        measure("floe subset --index (over HTTP too)",
                [floe, "subset", url, f"--bbox={bbox}", "--out", str(out), "--force", "--index", f"{base}/{index.name}"]),
    ]
    print(f"\nAOI {BBOX} from {granule.name} ({granule.stat().st_size / 1e6:.1f} MB, 6 × {segments:,} segments), "
          f"{LATENCY_S * 1000:.0f} ms per request")
    if built:
        print(f"  building the index: {built['requests']} requests, {built['mb']:.1f} MB, {built['seconds']:.1f} s")
    print(f"  {'reader':<42} {'requests':>9} {'MB':>8} {'seconds':>8} {'rows':>9}")
    for r in filter(None, results):
        print(f"  {r['name']:<42} {r['requests']:>9} {r['mb']:>8.2f} {r['seconds']:>8.2f} {r['rows']:>9}")
    floe_plain, floe_index = results[2], results[3]
    if floe_plain and floe_index:
        print(f"  ratio with/without the index: bytes {floe_index['mb'] / floe_plain['mb']:.2f}, "
              f"requests {floe_index['requests'] / max(floe_plain['requests'], 1):.2f}, "
              f"time {floe_index['seconds'] / floe_plain['seconds']:.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
