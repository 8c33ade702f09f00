#!/usr/bin/env python3
"""FlatGeobuf written by pyogrio/GDAL, read by Floe: every point and value as geopandas reads them; a bbox query
through the file's R-tree returns exactly the points inside and, over a loopback HTTP server that honours Range,
reads a small fraction of the file.

Usage: fgb_check.py FLOE WORK_DIR"""

import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import shapely

failures = []
SERVED = {"bytes": 0}


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(name)


def handler_for(root):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_HEAD(self):
            self.serve(False)

        def do_GET(self):
            self.serve(True)

        def serve(self, body):
            path = root / self.path.lstrip("/")
            if not path.is_file():
                self.send_response(404)
                self.end_headers()
                return
            size = path.stat().st_size
            match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            start, end = (int(match.group(1)), min(int(match.group(2) or size - 1), size - 1)) if match else (0, size - 1)
            self.send_response(206 if match else 200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start + 1))
            if match:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if body:
                SERVED["bytes"] += end - start + 1
                with open(path, "rb") as f:
                    f.seek(start)
                    self.wfile.write(f.read(end - start + 1))
    return Handler


def subset(floe, source, out, bbox=None):
    args = [floe, "subset", source, "--out", str(out), "--force", "--allow-empty"] + ([f"--bbox={bbox}"] if bbox else [])
    run = subprocess.run(args, capture_output=True, text=True)
    check(f"floe subset {Path(source).name} {bbox or ''} exits 0", run.returncode == 0, run.stderr[-300:])
    return pq.read_table(out) if run.returncode == 0 else None


def main():
    floe, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    n = 20_000
    lon, lat = rng.uniform(-50, -30, n), rng.uniform(60, 80, n)
    frame = gpd.GeoDataFrame({"h_li": rng.normal(1500, 300, n).astype("float32"), "rgt": rng.integers(1, 1388, n),
                              "beam": rng.choice(["gt1l", "gt2r"], n)},
                             geometry=shapely.points(lon, lat), crs="EPSG:4326")
    path = work / "points.fgb"
    frame.to_file(path, driver="FlatGeobuf", engine="pyogrio")
    read = gpd.read_file(path)
    whole = subset(floe, str(path), work / "whole.parquet")
    if whole is not None:
        key = lambda t: sorted(zip(t["longitude"], t["latitude"], t["h_li"], t["rgt"], t["beam"]))
        got = key({c: whole[c].to_pylist() for c in ["longitude", "latitude", "h_li", "rgt", "beam"]})
        want = key({"longitude": read.geometry.x.tolist(), "latitude": read.geometry.y.tolist(),
                    "h_li": read["h_li"].tolist(), "rgt": [float(v) for v in read["rgt"]], "beam": read["beam"].tolist()})
        check(f"all {n} points and values as geopandas reads them", got == want, f"{len(got)} rows")
    bbox = (-41.0, 69.0, -39.0, 70.0)
    inside = read.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
    local = subset(floe, str(path), work / "bbox.parquet", ",".join(map(str, bbox)))
    check(f"a bbox query returns exactly the {len(inside)} points inside",
          local is not None and sorted(local["h_li"].to_pylist()) == sorted(inside["h_li"].tolist()),
          f"{local.num_rows if local is not None else '?'} rows")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(work))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SERVED["bytes"] = 0
    remote = subset(floe, f"http://127.0.0.1:{server.server_port}/points.fgb", work / "remote.parquet",
                    ",".join(map(str, bbox)))
    fraction = SERVED["bytes"] / path.stat().st_size
    check(f"over HTTP the same points, reading {fraction:.1%} of the file through the R-tree",
          remote is not None and local is not None and remote.equals(local) and fraction < 0.25, f"{fraction:.1%}")
    server.shutdown()
    # Bad input: a clear error naming the file, never a silently short result.
    data = path.read_bytes()
    cut = work / "truncated.fgb"
    cut.write_bytes(data[: len(data) // 2])
    garbage = work / "garbage.fgb"
    garbage.write_bytes(b"fgb\x03fgb\x01\xff\xff\xff\x7f")
    for bad, bbox_arg, expected in [
        (cut, [f"--bbox={','.join(map(str, bbox))}"], f"error: {cut}: truncated: the index points at a feature at byte"),
        (cut, [], f"error: {cut}: truncated: "),
        (garbage, [], f"error: {garbage}: header of 2147483647 bytes does not fit the file"),
    ]:
        run = subprocess.run([floe, "subset", str(bad), "--out", str(work / "bad.parquet"), "--force", *bbox_arg],
                             capture_output=True, text=True)
        check(f"{bad.name} {' '.join(bbox_arg)}: exit 1 with `{expected.split(': ', 2)[-1][:40]}…`",
              run.returncode == 1 and run.stderr.startswith(expected) and "panicked" not in run.stderr,
              run.stderr[-200:])
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
