#!/usr/bin/env python3
"""Browser budgets, in one run: time to first points for the embedded sample (WebGL2 path), and decode time per
million points in headless Chromium (`?bench=decode`: fetch by range requests, decode, project and prepare GPU
batches on the page's one thread, no viewer) against native Floe (`examples/decode`, all cores) on the same
files, for snappy and zstd. Real time (puppeteer), not Chromium's virtual clock.
Usage: bench_web.py DIST DECODE_BINARY POINTS"""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_test  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"


def make(points, codec):
    path = DATA / f"web_{points}_{codec}.parquet"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(7)
    lon = rng.uniform(-50.0, -30.0, points)
    lat = rng.uniform(60.0, 80.0, points)
    wkb = np.zeros(points, dtype=[("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
    wkb["order"], wkb["kind"], wkb["x"], wkb["y"] = 1, 1, lon, lat
    offsets = pa.array(np.arange(points + 1, dtype=np.int32) * 21)
    geometry = pa.BinaryArray.from_buffers(pa.binary(), points, [None, offsets.buffers()[1], pa.py_buffer(wkb.tobytes())])
    value = pa.array(rng.normal(1000.0, 200.0, points).astype(np.float32))
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}}}
    table = pa.table({"value": value, "geometry": geometry}).replace_schema_metadata({"geo": json.dumps(geo)})
    pq.write_table(table, str(path) + ".tmp", row_group_size=128 * 1024, compression=codec)
    Path(str(path) + ".tmp").rename(path)
    return path


def chromium(query, pattern):
    """Opens the site (WebGL2 path) in real time until a console line matches `pattern`; returns the lines."""
    lines, _ = web_test.browse(web_test.PATHS["webgl"][0], query, pattern)
    return lines


def main():
    dist, decode, points = Path(sys.argv[1]).resolve(), sys.argv[2], int(sys.argv[3])
    web_test.DIST = dist
    web_test.FIXTURES = DATA
    firsts = []
    for _ in range(3):
        lines = chromium("?backend=webgl&tiles=off", "first points on screen")
        match = next((re.search(r"on screen (\d+) ms", l) for l in lines if "first points on screen" in l), None)
        firsts.append(int(match.group(1)) if match else None)
    print(f"time to first points (sample, WebGL2, page start → first frame with points): {firsts} ms")
    for codec in ["snappy", "zstd"]:
        path = make(points, codec)
        native = min(json.loads(subprocess.run([decode, str(path)], capture_output=True, text=True, check=True).stdout)["seconds"] for _ in range(3))
        browser = []
        for _ in range(3):
            lines = chromium(f"?bench=decode&url=DATA/ok/{path.name}", "points decoded in|bench:")
            found = next((re.search(r": (\d+) points decoded in (\d+) ms", l) for l in lines if "points decoded in" in l), None)
            if found is None or int(found.group(1)) != points:
                print(f"{codec}: the browser did not load all {points} points: {lines[-3:]}")
                break
            browser.append(int(found.group(2)) / 1000)
        if not browser:
            continue
        per_million_native = native / points * 1e6 * 1000
        per_million_browser = min(browser) / points * 1e6 * 1000
        print(f"{codec}: {points} points; native {per_million_native:.0f} ms per million (all cores), "
              f"browser {per_million_browser:.0f} ms per million (one thread, fetch + decode + GPU prep); "
              f"browser/native {per_million_browser / per_million_native:.1f}")


if __name__ == "__main__":
    main()
