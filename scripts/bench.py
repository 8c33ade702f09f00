#!/usr/bin/env python3
"""Times Floe's decode (into GPU-ready buffers) against pyarrow.read_table and geopandas.read_parquet on the
same file, best of 3 runs each, each run in a fresh process, file in the page cache. Prints the ratios."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

decode_bin, points = sys.argv[1], int(sys.argv[2])
data = Path("bench-data")
data.mkdir(exist_ok=True)
path = data / f"points_{points}.parquet"

if not path.exists():
    rng = np.random.default_rng(42)
    # Six along-track beams over Greenland, like an ICESat-2 granule.
    t = np.linspace(0.0, 1.0, points)
    lon = -45.0 + 2.0 * t + 0.03 * (np.arange(points) % 6) + rng.normal(0, 1e-4, points)
    lat = 60.0 + 20.0 * t
    wkb = np.zeros(points, dtype=[("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
    wkb["order"], wkb["type"], wkb["x"], wkb["y"] = 1, 1, lon, lat
    offsets = pa.array(np.arange(points + 1, dtype=np.int32) * 21)
    geometry = pa.BinaryArray.from_buffers(pa.binary(), points, [None, offsets.buffers()[1], pa.py_buffer(wkb.tobytes())])
    value = pa.array((1500 + 800 * np.sin(t * 20) + rng.normal(0, 5, points)).astype(np.float32))
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}}}
    table = pa.table({"geometry": geometry, "value": value}).replace_schema_metadata({"geo": json.dumps(geo)})
    pq.write_table(table, str(path) + ".tmp", compression="snappy", row_group_size=128 * 1024)
    Path(str(path) + ".tmp").rename(path)
path.read_bytes()  # into the page cache

PEER = """
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
if kind == "pyarrow":
    import pyarrow.parquet as pq
    start = time.perf_counter(); table = pq.read_table(path, columns=["geometry", "value"]); seconds = time.perf_counter() - start
else:
    import geopandas
    start = time.perf_counter(); frame = geopandas.read_parquet(path, columns=["geometry", "value"]); seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def run(command):
    best = None
    for _ in range(3):
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        if best is None or out["seconds"] < best["seconds"]:
            best = out
    return best


floe = run([decode_bin, str(path), "value"])
pyarrow_result = run([sys.executable, "-c", PEER, "pyarrow", str(path)])
geopandas_result = run([sys.executable, "-c", PEER, "geopandas", str(path)])
assert floe["points"] == points, floe
mib = lambda b: b / 2**20
print(f"file: {path} ({mib(path.stat().st_size):.0f} MiB, {points:,} points, snappy, 128k-row groups)")
print(f"floe decode to GPU buffers : {floe['seconds']:.3f} s  peak RSS {mib(floe['peak_rss_bytes']):.0f} MiB  (buffers {mib(floe['buffer_bytes']):.0f} MiB, {floe['chunks']} chunks)")
print(f"pyarrow.read_table         : {pyarrow_result['seconds']:.3f} s  peak RSS {mib(pyarrow_result['peak_rss_bytes']):.0f} MiB  (WKB left undecoded)")
print(f"geopandas.read_parquet     : {geopandas_result['seconds']:.3f} s  peak RSS {mib(geopandas_result['peak_rss_bytes']):.0f} MiB")
print(f"floe / pyarrow   = {floe['seconds'] / pyarrow_result['seconds']:.3f}  (target <= 0.4)")
print(f"floe / geopandas = {floe['seconds'] / geopandas_result['seconds']:.3f}  (target <= 0.05)")
print(f"floe peak RSS / buffers = {floe['peak_rss_bytes'] / floe['buffer_bytes']:.2f}  (target <= 1.5)")
