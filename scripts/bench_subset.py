#!/usr/bin/env python3
"""`floe subset` against the naive pipeline (h5py reads whole beams → geopandas clip → to_parquet) on the same
synthetic granules in one run: ATL06 over the Greenland AOI, and ATL03 photons (with the 20 m segment index)
under a quadrilateral AOI. Time and peak memory of each, and the ratio.
Usage: bench_subset.py FLOE_BINARY ATL06_SEGMENTS_PER_BEAM ATL03_PHOTONS_PER_BEAM"""
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import synthetic_granules

ROOT = Path(__file__).resolve().parent.parent
GREENLAND = ROOT.parent / "shared" / "data" / "aoi" / "greenland_aoi.geojson"
DATA = ROOT / "bench-data"


# h5py reads each beam's variables whole, geopandas clips to the AOI, sorts by track and time, writes zstd.
NAIVE = """
import json, sys, time, resource
start = time.perf_counter()
import h5py, numpy as np, pandas as pd, geopandas as gpd
path, aoi, out, group, lat, lon, variables = sys.argv[1:8]
frames = []
with h5py.File(path, "r") as f:
    for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
        g = f[beam][group]
        frame = pd.DataFrame({k: g[k][:] for k in [lat, lon, "delta_time", *variables.split(",")]})
        for name in variables.split(","):
            if frame[name].dtype.kind == "f":
                frame[name] = frame[name].where(frame[name] < 3e38)
        frame["track_id"] = beam
        frames.append(frame)
frame = pd.concat(frames, ignore_index=True)
points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame[lon], frame[lat]), crs="OGC:CRS84")
clipped = gpd.clip(points, gpd.read_file(aoi).to_crs("OGC:CRS84"))
clipped.sort_values(["track_id", "delta_time"]).to_parquet(out, compression="zstd")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(clipped),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(command):
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, out.stdout


def floe_run(floe, granule, aoi, out):
    """One `floe subset` run in a shell that reports its peak RSS (GNU time's %M is missing on slim images, so
    the child's getrusage is read through a Python wrapper)."""
    wrapper = ("import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:], capture_output=True, "
               "text=True, check=True); print(r.stdout.strip().splitlines()[-1]); "
               "print(json.dumps(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))")
    seconds, stdout = timed([sys.executable, "-c", wrapper, floe, "subset", str(granule), "--aoi", str(aoi),
                             "--out", str(out), "--force"])
    summary, rss = stdout.strip().splitlines()
    return seconds, summary, float(rss)


def bench(floe, name, granule, aoi, group, lat, lon, variables, description):
    granule.read_bytes()  # page cache
    floe_runs = [floe_run(floe, granule, aoi, DATA / f"floe_{name}.parquet") for _ in range(3)]
    naive_runs = []
    for _ in range(3):
        _, stdout = timed([sys.executable, "-c", NAIVE, str(granule), str(aoi), str(DATA / f"naive_{name}.parquet"),
                           group, lat, lon, variables])
        naive_runs.append(json.loads(stdout))
    floe_best = min(r[0] for r in floe_runs)
    naive_best = min(r["seconds"] for r in naive_runs)
    floe_rss = max(r[2] for r in floe_runs)
    naive_rss = max(r["peak_rss_mib"] for r in naive_runs)
    print(f"{name}: {granule.name} ({granule.stat().st_size / 2**20:.0f} MiB, {description}, gzip chunks of 10,000)")
    print(f"  naive h5py + geopandas.clip + to_parquet: {naive_best:6.2f} s wall (best of 3), "
          f"{naive_runs[0]['rows']} rows, peak RSS {naive_rss:.0f} MiB")
    print(f"  floe subset --aoi:                        {floe_best:6.2f} s wall (best of 3), "
          f"peak RSS {floe_rss:.0f} MiB; {floe_runs[0][1]}")
    print(f"  speed-up naive / floe = {naive_best / floe_best:.1f}× (target ≥ 10×); "
          f"memory naive / floe = {naive_rss / floe_rss:.1f}×")


def main():
    floe, segments, photons = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    DATA.mkdir(exist_ok=True)
    atl06 = synthetic_granules.atl06(DATA / f"atl06_greenland_{segments}.h5", segments)
    bench(floe, "atl06", atl06, GREENLAND, "land_ice_segments", "latitude", "longitude",
          "h_li,h_li_sigma,atl06_quality_summary", f"6 beams × {segments:,} segments")
    # A quadrilateral across all six beams around 70° S, ~5 % of each track.
    aoi = DATA / "atl03_aoi.geojson"
    aoi.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[-44.3, -70.5], [-43.6, -70.4], [-43.7, -69.5], [-44.2, -69.6], [-44.3, -70.5]]]}))
    atl03 = synthetic_granules.atl03(DATA / f"atl03_subset_{photons}.h5", photons)
    bench(floe, "atl03", atl03, aoi, "heights", "lat_ph", "lon_ph", "h_ph,quality_ph", f"6 beams × {photons:,} photons")


if __name__ == "__main__":
    main()
