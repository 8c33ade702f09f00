#!/usr/bin/env python3
"""The profile benchmark, Floe and its peer in one run on the same 10-million-photon track.

Floe (`profile_bench` example): load the GeoParquet as the viewer does, then from load finished to the first profile
frame (the track's chunks built, uploaded and drawn headless) and the CPU time per frame while panning.
Peer: what a scientist does in Python today, matplotlib: the same columns in memory (numpy), then the first frame
(`scatter` of every photon, drawn with Agg) and one frame per pan (`set_xlim` + draw).

Usage: bench_profile.py PROFILE_BENCH_BINARY POINTS"""
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def make(points):
    path = ROOT / "bench-data" / f"track_{points}.parquet"
    if path.exists():
        return path
    path.parent.mkdir(exist_ok=True)
    rng = np.random.default_rng(20_231_114)
    # One ATL03-like strong beam: photons 0.4 m apart on average (4,000 km for 10 M), ground, canopy, noise.
    x_atc = 7_000_000.0 + np.sort(rng.uniform(0, points * 0.4, points))
    ground = 500 + 300 * np.sin(x_atc / 37_000) + 30 * np.sin(x_atc / 2_300)
    kind = rng.uniform(size=points)
    h = np.where(kind < 0.5, ground + rng.normal(0, 0.3, points),
                 np.where(kind < 0.8, ground + rng.uniform(0, 15, points), ground - 60 + rng.uniform(0, 150, points)))
    lat = 60.0 + (x_atc - 7_000_000.0) / 111_000.0 * 0.01
    table = pa.table({
        "longitude": np.full(points, -148.9), "latitude": lat, "x_atc": x_atc,
        "h_ph": h.astype(np.float32), "gt": pa.array(["gt2r"] * points).dictionary_encode(),
    })
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, row_group_size=1 << 20)
    tmp.rename(path)
    return path


def matplotlib_peer(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    table = pq.read_table(path, columns=["x_atc", "h_ph"])
    x = table["x_atc"].to_numpy()
    h = table["h_ph"].to_numpy()
    start = time.perf_counter()
    fig, ax = plt.subplots(figsize=(12, 4), dpi=100)
    ax.scatter(x, h, s=1, c=h, cmap="viridis", linewidths=0)
    fig.canvas.draw()
    first = time.perf_counter() - start
    frames = 5
    start = time.perf_counter()
    for i in range(frames):
        lo = x[0] + i * (x[-1] - x[0]) / frames
        ax.set_xlim(lo, lo + 2_000)
        fig.canvas.draw()
    per_frame = (time.perf_counter() - start) / frames * 1000
    plt.close(fig)
    return first, per_frame


def main():
    binary, points = sys.argv[1], int(sys.argv[2])
    path = make(points)
    floe = json.loads(subprocess.run([binary, str(path)], check=True, capture_output=True, text=True).stdout)
    first, per_frame = matplotlib_peer(path)
    print(f"file: {path.relative_to(ROOT)} ({points:,} photons on one track)")
    print(f"floe: load {floe['load_s']:.2f} s, then to the first profile frame {floe['first_frame_s']:.3f} s: "
          f"profile chunks {floe['build_s']:.3f} s ({floe['chunks']} chunks), upload {floe['upload_s']:.3f} s, "
          f"draw + read back {floe['draw_s']:.3f} s on {floe['adapter']}")
    print(f"floe: CPU per frame while panning {floe['pan_cpu_ms_per_frame']:.3f} ms (target < 1 ms)")
    print(f"matplotlib: data in memory -> first frame {first:.2f} s; per pan frame {per_frame:.0f} ms")
    print(f"floe / matplotlib, first frame      = {floe['first_frame_s'] / first:.3f}  (target: floe < 1 s)")
    print(f"floe / matplotlib, CPU per pan frame = {floe['pan_cpu_ms_per_frame'] / per_frame:.2e}")

if __name__ == "__main__":
    main()
