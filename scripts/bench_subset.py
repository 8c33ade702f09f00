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

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GREENLAND = ROOT.parent / "shared" / "data" / "aoi" / "greenland_aoi.geojson"
BEAMS = ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]
DATA = ROOT / "bench-data"
GZ = dict(chunks=(10_000,), compression="gzip", compression_opts=6)


def atl06_granule(segments):
    granule = DATA / f"atl06_greenland_{segments}.h5"
    if granule.exists():
        return granule
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
            g.create_dataset("latitude", data=60.0 + 20.0 * t, **GZ)
            g.create_dataset("longitude", data=-45.3 + 0.5 * t + 0.1 * i, **GZ)
            g.create_dataset("delta_time", data=1.2e8 + 300 * t, **GZ)
            h = (1500 + 300 * np.sin(30 * t) + rng.normal(0, 2, segments)).astype(np.float32)
            h[rng.random(segments) < 0.05] = np.float32(3.4028235e38)
            g.create_dataset("h_li", data=h, fillvalue=np.float32(3.4028235e38), **GZ)
            g["h_li"].attrs["_FillValue"] = np.float32(3.4028235e38)
            g.create_dataset("h_li_sigma", data=np.abs(rng.normal(0.1, 0.05, segments)).astype(np.float32), **GZ)
            g.create_dataset("atl06_quality_summary", data=(rng.random(segments) < 0.2).astype(np.int8), **GZ)
    tmp.rename(granule)
    return granule


def atl03_granule(photons):
    granule = DATA / f"atl03_subset_{photons}.h5"
    if granule.exists():
        return granule
    rng = np.random.default_rng(3)
    tmp = granule.with_suffix(".tmp")
    with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
        f.attrs["short_name"] = np.bytes_("ATL03")
        f.create_dataset("ancillary_data/atlas_sdp_gps_epoch", data=np.array([1198800018.0]))
        for i, gt in enumerate(BEAMS):
            f.create_group(gt).attrs["atlas_beam_type"] = np.bytes_("strong" if gt.endswith("r") else "weak")
            h = f.create_group(f"{gt}/heights")
            t = np.linspace(0.0, 1.0, photons)
            lat = -60.0 - 20.0 * t + rng.normal(0, 1e-5, photons)
            lon = -45.0 + 2.0 * t + 0.03 * i + rng.normal(0, 1e-5, photons)
            h.create_dataset("lat_ph", data=lat, **GZ)
            h.create_dataset("lon_ph", data=lon, **GZ)
            h.create_dataset("delta_time", data=1.2e8 + 400 * t, **GZ)
            h.create_dataset("h_ph", data=(1500 + 300 * np.sin(30 * t) + rng.normal(0, 2, photons)).astype(np.float32), **GZ)
            h.create_dataset("quality_ph", data=np.zeros(photons, np.int8), shuffle=True, **GZ)
            starts = np.arange(0, photons, 20)  # 20 m segments of 20 photons
            geo = f.create_group(f"{gt}/geolocation")
            geo.create_dataset("ph_index_beg", data=(starts + 1).astype(np.int64), **GZ)
            geo.create_dataset("segment_ph_cnt", data=np.full(starts.size, 20, np.int32), **GZ)
            geo.create_dataset("reference_photon_lat", data=lat[starts], **GZ)
            geo.create_dataset("reference_photon_lon", data=lon[starts], **GZ)
    tmp.rename(granule)
    return granule


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
                             "--out", str(out)])
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
    bench(floe, "atl06", atl06_granule(segments), GREENLAND, "land_ice_segments", "latitude", "longitude",
          "h_li,h_li_sigma,atl06_quality_summary", f"6 beams × {segments:,} segments")
    # A quadrilateral across all six beams around 70° S, ~5 % of each track.
    aoi = DATA / "atl03_aoi.geojson"
    aoi.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[-44.3, -70.5], [-43.6, -70.4], [-43.7, -69.5], [-44.2, -69.6], [-44.3, -70.5]]]}))
    bench(floe, "atl03", atl03_granule(photons), aoi, "heights", "lat_ph", "lon_ph", "h_ph,quality_ph",
          f"6 beams × {photons:,} photons")


if __name__ == "__main__":
    main()
