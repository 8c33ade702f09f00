#!/usr/bin/env python3
"""`floe subset` against the naive pipeline (h5py reads whole beams → geopandas clip → to_parquet) on the same
synthetic ATL06 granule over the Greenland AOI, in one run: time and peak memory of each, and the ratio.
Usage: bench_subset.py FLOE_BINARY SEGMENTS_PER_BEAM"""
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
AOI = ROOT.parent / "shared" / "data" / "aoi" / "greenland_aoi.geojson"
BEAMS = ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]
floe, segments = sys.argv[1], int(sys.argv[2])
data = ROOT / "bench-data"
data.mkdir(exist_ok=True)
granule = data / f"atl06_greenland_{segments}.h5"
if not granule.exists():
    rng = np.random.default_rng(6)
    tmp = granule.with_suffix(".tmp")
    with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
        f.attrs["short_name"] = np.bytes_("ATL06")
        f.create_dataset("ancillary_data/atlas_sdp_gps_epoch", data=np.array([1198800018.0]))
        f.create_dataset("orbit_info/rgt", data=np.array([1234], np.int16))
        f.create_dataset("orbit_info/cycle_number", data=np.array([15], np.int8))
        for i, gt in enumerate(BEAMS):
            g = f.create_group(f"{gt}/land_ice_segments")
            f[gt].attrs["atlas_beam_type"] = np.bytes_("strong" if gt.endswith("l") else "weak")
            f[gt].attrs["atlas_spot_number"] = np.bytes_(str(i + 1))
            t = np.linspace(0.0, 1.0, segments)
            gz = dict(chunks=(10_000,), compression="gzip", compression_opts=6)
            g.create_dataset("latitude", data=60.0 + 20.0 * t, **gz)
            g.create_dataset("longitude", data=-45.3 + 0.5 * t + 0.1 * i, **gz)
            g.create_dataset("delta_time", data=1.2e8 + 300 * t, **gz)
            h = (1500 + 300 * np.sin(30 * t) + rng.normal(0, 2, segments)).astype(np.float32)
            h[rng.random(segments) < 0.05] = np.float32(3.4028235e38)
            g.create_dataset("h_li", data=h, fillvalue=np.float32(3.4028235e38), **gz)
            g["h_li"].attrs["_FillValue"] = np.float32(3.4028235e38)
            g.create_dataset("h_li_sigma", data=np.abs(rng.normal(0.1, 0.05, segments)).astype(np.float32), **gz)
            g.create_dataset("atl06_quality_summary", data=(rng.random(segments) < 0.2).astype(np.int8), **gz)
    tmp.rename(granule)
granule.read_bytes()  # page cache

NAIVE = """
import json, sys, time, resource
start = time.perf_counter()
import h5py, numpy as np, pandas as pd, geopandas as gpd
path, aoi, out = sys.argv[1:4]
frames = []
with h5py.File(path, "r") as f:
    for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
        g = f[beam]["land_ice_segments"]
        frame = pd.DataFrame({k: g[k][:] for k in ["latitude", "longitude", "delta_time", "h_li", "h_li_sigma", "atl06_quality_summary"]})
        frame["h_li"] = frame["h_li"].where(frame["h_li"] < 3e38)
        frame["track_id"] = beam
        frames.append(frame)
frame = pd.concat(frames, ignore_index=True)
points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude), crs="OGC:CRS84")
clipped = gpd.clip(points, gpd.read_file(aoi).to_crs("OGC:CRS84"))
clipped.sort_values(["track_id", "delta_time"]).to_parquet(out, compression="zstd")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(clipped),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(command):
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, out.stdout, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


# Floe first: RUSAGE_CHILDREN keeps the largest child so far, so its peak is Floe's alone.
naive_runs, floe_runs = [], []
floe_rss = 0
for _ in range(3):
    seconds, stdout, rss = timed([floe, "subset", str(granule), "--aoi", str(AOI), "--out", str(data / "floe.parquet")])
    floe_runs.append((seconds, stdout.strip().splitlines()[-1]))
    floe_rss = max(floe_rss, rss)
for _ in range(3):
    seconds, stdout, _ = timed([sys.executable, "-c", NAIVE, str(granule), str(AOI), str(data / "naive.parquet")])
    naive_runs.append((seconds, json.loads(stdout)))
naive_best = min(r[0] for r in naive_runs)
floe_best = min(r[0] for r in floe_runs)
naive = naive_runs[0][1]
print(f"granule: {granule.name} ({granule.stat().st_size / 2**20:.0f} MiB, 6 beams × {segments} segments, gzip chunks)")
print(f"naive h5py + geopandas.clip + to_parquet: {naive_best:.2f} s wall (best of 3), {naive['rows']} rows, "
      f"peak RSS {naive['peak_rss_mib']:.0f} MiB")
print(f"floe subset --aoi: {floe_best:.2f} s wall (best of 3), peak RSS {floe_rss / 1024:.0f} MiB; "
      f"{floe_runs[0][1]}")
print(f"speed-up naive / floe = {naive_best / floe_best:.1f}× (target ≥ 10×)")
