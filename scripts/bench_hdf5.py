#!/usr/bin/env python3
"""Times reading lat_ph/lon_ph/h_ph of all six beams with Floe, h5py and h5coro (each in a fresh process,
file in the page cache), and reports the bytes an AOI over ~5 % of one beam fetches."""
import json
import subprocess
import sys
import time
from pathlib import Path

import synthetic_granules

floe_bin, photons = sys.argv[1], int(sys.argv[2])
path = Path("bench-data") / f"atl03_geo_{photons}.h5"
synthetic_granules.atl03(path, photons)
path.read_bytes()  # page cache

PEER = """
import json, sys, time
kind, path = sys.argv[1], sys.argv[2]
names = [f"/{b}/heights/{v}" for b in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"] for v in ["lat_ph", "lon_ph", "h_ph"]]
start = time.perf_counter()
if kind == "h5py":
    import h5py
    with h5py.File(path, "r") as f:
        n = sum(f[name][()].size for name in names)
else:
    from h5coro import h5coro, filedriver
    h5 = h5coro.H5Coro(path, filedriver.FileDriver, errorChecking=True, verbose=False)
    promise = h5.readDatasets(names, block=True)
    n = sum(promise[name].size for name in names)
print(json.dumps({"seconds": time.perf_counter() - start, "values": int(n)}))
"""


def run(command, repeat):
    results = [json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout) for _ in range(repeat)]
    return min(results, key=lambda r: r["seconds"])


floe = run([floe_bin, str(path)], 3)
h5py_result = run([sys.executable, "-c", PEER, "h5py", str(path)], 3)
try:
    h5coro_result = run([sys.executable, "-c", PEER, "h5coro", str(path)], 1)
except subprocess.CalledProcessError as e:
    h5coro_result = {"seconds": float("nan"), "error": e.stderr[-300:]}
expected = 6 * 3 * photons
assert floe["values"] == expected == h5py_result["values"], (floe, h5py_result)
mib = lambda b: b / 2**20
print(f"file: {path} ({mib(path.stat().st_size):.0f} MiB, 6 beams × {photons:,} photons, chunks 10,000, gzip 6)")
print(f"floe   lat/lon/h, all beams : {floe['seconds']:.2f} s")
print(f"h5py   lat/lon/h, all beams : {h5py_result['seconds']:.2f} s")
print(f"h5coro lat/lon/h, all beams : {h5coro_result['seconds']:.2f} s {h5coro_result.get('error', '')}")
print(f"floe / h5py   = {floe['seconds'] / h5py_result['seconds']:.3f}  (target <= 0.35)")
print(f"floe / h5coro = {floe['seconds'] / h5coro_result['seconds']:.3f}  (target < 1)")
print(f"AOI (~5 % of gt1l, {floe['aoi_rows']:,} rows): fetched {mib(floe['aoi_bytes']):.1f} MiB of the beam's "
      f"{mib(floe['beam_dataset_bytes']):.1f} MiB of datasets ({floe['aoi_bytes'] / floe['beam_dataset_bytes']:.1%}) in {floe['aoi_seconds']:.2f} s")
