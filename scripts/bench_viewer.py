#!/usr/bin/env python3
"""The viewer at scale: FILES GeoParquet files of POINTS points in all, loaded into the desktop viewer under Xvfb
(lavapipe), then the map dragged for a while. Reports the load time, Floe's own CPU per frame while panning (its UI
code and draw calls, from the viewer's debug log) beside the whole frame's (egui's painting and the software
rasteriser included), peak RSS and the bytes the layers hold.

Usage: bench_viewer.py FLOE_BINARY POINTS [FILES]"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

floe, points, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 2
data = Path("bench-data")
data.mkdir(exist_ok=True)
per_file = points // files
paths = []
for k in range(files):
    path = data / f"viewer_tracks_{per_file}_{k}.parquet"
    if not path.exists():
        rng = np.random.default_rng(k)
        # 40 along-track lines over Greenland, one after the other as in granules (points interleaved across
        # degrees would make tiny chunks), one file beside the other.
        track = np.arange(per_file) * 40 // per_file
        t = (np.arange(per_file) * 40 % per_file) / per_file
        lon = -50.0 + 4.0 * k + 0.05 * track + rng.normal(0, 1e-4, per_file)
        lat = 62.0 + 16.0 * t
        value = (1500 + 800 * np.sin(t * 20) + rng.normal(0, 5, per_file)).astype(np.float32)
        table = pa.table({"lon": lon, "lat": lat, "value": value})
        pq.write_table(table, str(path) + ".tmp", compression="snappy", row_group_size=128 * 1024)
        Path(str(path) + ".tmp").rename(path)
    paths.append(path)
    path.read_bytes()

display = ":%d" % (90 + os.getpid() % 9)
xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
log_dir = tempfile.mkdtemp()
log_path = Path(log_dir) / "floe.log"
env = dict(os.environ, DISPLAY=display, RUST_LOG="warn,floe=debug", WGPU_BACKEND="vulkan",
           XDG_RUNTIME_DIR=log_dir)
env.setdefault("VK_DRIVER_FILES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")
env.pop("WAYLAND_DISPLAY", None)
try:
    time.sleep(1.0)
    started = time.perf_counter()
    with open(log_path, "w") as log:
        app = subprocess.Popen([floe, "--offline", "--color", "value", *map(str, paths)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    loaded_at = None
    while time.perf_counter() - started < 300:
        text = log_path.read_text(errors="replace")
        if len(re.findall(r"points shown", text)) >= files:
            loaded_at = time.perf_counter() - started
            break
        if app.poll() is not None:
            sys.exit(f"the viewer exited:\n{text[-3000:]}")
        time.sleep(0.05)
    if loaded_at is None:
        sys.exit("the viewer did not finish loading in 300 s:\n" + log_path.read_text(errors="replace")[-3000:])
    shown = sum(int(n.replace(",", "")) for n in re.findall(r"(\d+) of \d+ points shown", text))
    time.sleep(2.0)
    mark = len(log_path.read_text(errors="replace"))

    def xdo(*args):
        subprocess.run(["xdotool", *args], env=env, check=True)

    # Drag the map back and forth for 20 s: every frame redraws every point.
    xdo("mousemove", "640", "420", "mousedown", "1")
    pan_started = time.perf_counter()
    step = 0
    while time.perf_counter() - pan_started < 20:
        step += 1
        x = 640 + int(120 * np.sin(step / 10))
        xdo("mousemove", str(x), str(420 + int(60 * np.cos(step / 13))))
        time.sleep(0.02)
    xdo("mouseup", "1")
    time.sleep(0.5)
    status = Path(f"/proc/{app.pid}/status").read_text()
    peak_rss = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
    frames = re.findall(r"frame: ([\d.]+) ms Floe's own, ([\d.]+) ms CPU in all, (\d+) points drawn, (\d+) bytes held",
                        log_path.read_text(errors="replace")[mark:])
    if not frames:
        sys.exit("no frame figures in the viewer's log while panning:\n" + log_path.read_text(errors="replace")[-3000:])
    floe_ms = float(np.median([float(f[0]) for f in frames]))
    all_ms = float(np.median([float(f[1]) for f in frames]))
    drawn = max(int(f[2]) for f in frames)
    held = max(int(f[3]) for f in frames)
    app.terminate()
    app.wait(10)
finally:
    xvfb.terminate()
    shutil.rmtree(log_dir, ignore_errors=True)

mib = lambda b: b / 2**20
print(f"viewer, {files} files, {shown:,} points loaded, {drawn:,} drawn, Xvfb + lavapipe, {os.cpu_count()} cores")
print(f"load time                      : {loaded_at:.2f} s")
print(f"CPU per frame while panning     : {floe_ms:.2f} ms Floe's own (target <= 2), {all_ms:.1f} ms in all")
print(f"peak RSS                        : {mib(peak_rss):.0f} MiB; layers hold {mib(held):.0f} MiB "
      f"(RSS / held = {peak_rss / held:.2f}, target <= 1.5)")
