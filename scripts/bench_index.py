#!/usr/bin/env python3
"""The seeds' cloud-access table with Floe's rows: an AOI (1 degree of latitude out of 20) from large synthetic ATL06
and ATL03 granules, as written and repacked with paged aggregation (what `h5repack -S PAGE -G 8000000` makes; copied
here with h5py's `fs_strategy="page"`), served over loopback HTTP with 20 ms added to every request, read by: h5py
through fsspec (coordinates whole, then the rows inside), h5coro (SlideRule's reader, the same reads), kerchunk
references + zarr through fsspec (what xarray does on them), `floe subset` without and with `floe index`'s index, and
the same points as GeoParquet and FlatGeobuf read by `floe subset`. The server counts requests and bytes. Every
reader must return the same number of rows.
Usage: bench_index.py FLOE_BINARY SEGMENTS_PER_BEAM PHOTONS_PER_BEAM"""
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import synthetic_granules

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
LATENCY_S = 0.020
COUNTS = {"requests": 0, "bytes": 0}
LOCK = threading.Lock()


class Server(http.server.ThreadingHTTPServer):
    # Room for every concurrent connection: with the default backlog of 5, a burst of range requests waits for
    # the kernel's 1 s SYN retry.
    request_queue_size = 256


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves bench-data/ with Range support over keep-alive connections, 20 ms late, counting requests and
    bytes."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the body for the client's
        # delayed ACK (40 ms) on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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
            self.send_header("Content-Length", "0")
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
group, lat_name, lon_name, names = sys.argv[7], sys.argv[8], sys.argv[9], sys.argv[10].split(",")
beams = ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]
rows = 0
if mode == "h5coro":
    from h5coro import h5coro, webdriver
    # SlideRule's way: every beam's coordinates in one concurrent read, then every slice in another.
    h5 = h5coro.H5Coro(url, webdriver.HTTPDriver, errorChecking=True, verbose=False)
    paths = [f"/{b}/{group}/{c}" for b in beams for c in (lat_name, lon_name)]
    coords = h5.readDatasets(paths, block=True)
    slices = []
    for beam in beams:
        lat, lon = coords[f"/{beam}/{group}/{lat_name}"], coords[f"/{beam}/{group}/{lon_name}"]
        inside = np.flatnonzero((lon >= w) & (lon <= e) & (lat >= s) & (lat <= n))
        if inside.size:
            a, b = int(inside[0]), int(inside[-1]) + 1
            slices += [{"dataset": f"/{beam}/{group}/{name}", "hyperslice": [[a, b]]} for name in names]
        rows += inside.size
    if slices:
        h5.readDatasets(slices, block=True)
    print(json.dumps({"rows": int(rows)}))
    sys.exit(0)
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
    path = f"/{beam}/{group}"
    lat, lon = get(f"{path}/{lat_name}")[:], get(f"{path}/{lon_name}")[:]
    inside = np.flatnonzero((lon >= w) & (lon <= e) & (lat >= s) & (lat <= n))
    if inside.size:
        a, b = inside[0], inside[-1] + 1
        for name in names:
            get(f"{path}/{name}")[a:b]
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


def paged(source: Path) -> Path:
    """The granule repacked with paged aggregation (8 MB pages: metadata gathered in a few pages), once."""
    import h5py
    target = source.with_name(source.stem + ".paged.h5")
    if target.exists():
        return target
    tmp = target.with_suffix(".tmp")
    with h5py.File(source, "r") as src, h5py.File(tmp, "w", libver=("v110", "v110"), fs_strategy="page",
                                                   fs_page_size=8_000_000) as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for name in src:
            src.copy(src[name], dst, name)
    tmp.rename(target)
    return target


def points_files(floe, granule: Path):
    """All the granule's points as GeoParquet (floe subset) and FlatGeobuf with its spatial index (pyogrio), once."""
    parquet, fgb = granule.with_suffix(".points.parquet"), granule.with_suffix(".points.fgb")
    if not parquet.exists():
        subprocess.run([floe, "subset", str(granule), "--out", str(parquet), "--force", "--no-index"], check=True,
                       capture_output=True)
    if not fgb.exists():
        import geopandas
        frame = geopandas.read_parquet(parquet)
        # FlatGeobuf has no timestamp-with-zone type: times as text.
        for column in frame.columns:
            if str(frame[column].dtype).startswith("datetime64"):
                frame[column] = frame[column].astype(str)
        tmp = fgb.with_suffix(".tmp.fgb")
        frame.to_file(tmp, driver="FlatGeobuf", engine="pyogrio", SPATIAL_INDEX="YES")
        tmp.rename(fgb)
    return parquet, fgb


def case(floe, base, product, granule, spec, extra_rows):
    """Every reader on one granule; returns the table rows."""
    bbox = ",".join(map(str, spec["bbox"]))
    url = f"{base}/{granule.name}"
    index, refs = granule.with_suffix(".index.parquet"), granule.with_suffix(".refs.json")
    built = measure("floe index", [floe, "index", url, "--out", str(index), "--force", "--kerchunk", str(refs)])
    out = DATA / "bench_index_out.parquet"
    args = [*map(str, spec["bbox"]), spec["group"], spec["lat"], spec["lon"], ",".join(spec["names"])]
    results = [
        measure("h5py via fsspec", [sys.executable, "-c", PYTHON_READ, "h5py", url, *args]),
        measure("h5coro", [sys.executable, "-c", PYTHON_READ, "h5coro", url, *args]),
        measure("kerchunk references + zarr via fsspec", [sys.executable, "-c", PYTHON_READ, "zarr", str(refs), *args]),
        measure("floe subset, no index", [floe, "subset", url, f"--bbox={bbox}", "--out", str(out), "--force",
                                          "--no-index"]),
        measure("floe subset --index (over HTTP)", [floe, "subset", url, f"--bbox={bbox}", "--out", str(out),
                                                    "--force", "--index", f"{base}/{index.name}"]),
    ]
    for name, path in extra_rows:
        results.append(measure(name, [floe, "subset", f"{base}/{path.name}", f"--bbox={bbox}", "--out", str(out),
                                      "--force"]))
    size = granule.stat().st_size / 1e6
    title = f"{product} {granule.name} ({size:.0f} MB)"
    if built:
        title += f"; building the index: {built['requests']} requests, {built['mb']:.1f} MB, {built['seconds']:.1f} s"
    return title, [r for r in results if r]


def main():
    floe, segments, photons = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    specs = {
        "ATL06": {"make": lambda: synthetic_granules.atl06(DATA / f"index_atl06_{segments}.h5", segments),
                  "group": "land_ice_segments", "lat": "latitude", "lon": "longitude",
                  "names": ["delta_time", "h_li", "h_li_sigma", "atl06_quality_summary"],
                  "bbox": (-46.0, 70.0, -44.0, 71.0)},
        "ATL03": {"make": lambda: synthetic_granules.atl03(DATA / f"index_atl03_{photons}.h5", photons),
                  "group": "heights", "lat": "lat_ph", "lon": "lon_ph", "names": ["delta_time", "h_ph", "quality_ph"],
                  "bbox": (-44.5, -70.0, -43.5, -69.0)},
    }
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    tables = []
    for product, spec in specs.items():
        original = spec["make"]()
        parquet, fgb = points_files(floe, original)
        extra = [("floe subset of the points as GeoParquet", parquet), ("floe subset of the points as FlatGeobuf", fgb)]
        tables.append(case(floe, base, product, original, spec, extra))
        tables.append(case(floe, base, product + " paged", paged(original), spec, []))
    server.shutdown()
    print(f"\nAn AOI of 1° latitude out of 20, loopback HTTP with {LATENCY_S * 1000:.0f} ms per request "
          f"({time.strftime('%Y-%m-%d')}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} "
          f"cores; ./scripts/bench-index {segments} {photons})")
    for title, rows in tables:
        print(f"\n{title}\n")
        print("| reader | requests | MB read | seconds | rows |")
        print("|---|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['name']} | {r['requests']} | {r['mb']:.2f} | {r['seconds']:.2f} | {r['rows']} |")
        counts = {r["rows"] for r in rows}
        if len(counts) != 1:
            print(f"\n**readers disagree on the rows: {sorted(counts)}**")
        plain = next((r for r in rows if r["name"] == "floe subset, no index"), None)
        indexed = next((r for r in rows if r["name"].startswith("floe subset --index")), None)
        if plain and indexed:
            print(f"\nFloe with/without the index: bytes {indexed['mb'] / max(plain['mb'], 1e-9):.2f}, "
                  f"requests {indexed['requests'] / max(plain['requests'], 1):.2f}, "
                  f"time {indexed['seconds'] / plain['seconds']:.2f}")


if __name__ == "__main__":
    main()
