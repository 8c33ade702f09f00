#!/usr/bin/env python3
"""Floe over a bad network: a loopback HTTP server that fails one request in four (503, 429 with Retry-After, a
reset after the headers, a body cut short, a stall longer than the read timeout) serves real granules and GeoParquet
files to `floe info`, `subset` and `qa`. Every result must equal the local file's, or be a clear error — never
mixed rows, never a hang. Also: a file replaced after HEAD (the server honours If-Match) and after the footer (it
does not: the reply's ETag gives it away), a 200 reply with an endless body to a Range request, a server that never
recovers, and the caps (requests in flight per file, bytes per request) measured at the server.

Usage: fault_check.py FLOE WORK_DIR"""

import http.server
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from checks import Server, check, finish

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FILES = {p.name: p for p in [
    SHARED / "hdf5" / "real" / "hrt__ATL06_subset_by_shapefile_reference.h5",
    SHARED / "hdf5" / "real" / "hts__ATL03_gt1l.h5",
    SHARED / "hdf5" / "real" / "icesat2vegr__atl08_clip.h5",
    SHARED / "geoparquet" / "atl06_TestParquetFile_001.parquet",
    SHARED / "geoparquet" / "atl03x-surface_TEST_small_GEO.parquet",
]}
READ_TIMEOUT = 1.0  # FLOE_HTTP_READ_TIMEOUT for the runs; a stall lasts longer
FAULTS = ["503", "429", "reset", "truncate", "stall"]
STATE = {"rng": random.Random(0), "rate": 0.25, "open": 0, "peak": 0, "largest": 0, "sent": 0, "gets": {}, "attempts": [],
         "faults": {f: 0 for f in FAULTS}}
LOCK = threading.Lock()




class Handler(http.server.BaseHTTPRequestHandler):
    """`/MODE/NAME`. Modes: `ok` (no faults), `flaky` (faults at STATE's rate), `swaphead` (the file is replaced
    right after HEAD; If-Match honoured: 412), `swapfooter` (replaced after two GETs; If-Match ignored, the new
    ETag and bytes served), `range200` (any GET: 200 and an endless body), `down` (503 for everything), `throttle`
    (429 with Retry-After: 2 for the first two requests)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def do_HEAD(self):
        self.handle_request()

    def do_GET(self):
        with LOCK:
            STATE["open"] += 1
            STATE["peak"] = max(STATE["peak"], STATE["open"])
        try:
            self.handle_request()
        finally:
            with LOCK:
                STATE["open"] -= 1

    def fault(self, mode, is_get):
        if mode == "down":
            return "503"
        if mode != "flaky":
            return None
        with LOCK:
            rng = STATE["rng"]
            if rng.random() >= STATE["rate"]:
                return None
            kinds = FAULTS if is_get else ["503", "429", "stall"]
            kind = rng.choice(kinds)
            STATE["faults"][kind] += 1
            return kind

    def handle_request(self):
        try:
            self.serve()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def serve(self):
        mode, _, name = self.path.lstrip("/").partition("/")
        path = FILES.get(name)
        if path is None:
            return self.reply(404, b"not found")
        data = path.read_bytes()
        is_get = self.command == "GET"
        with LOCK:
            key = (mode, name)
            gets = STATE["gets"].get(key, 0) + is_get
            STATE["gets"][key] = gets
        e_tag = '"v1"'
        if (mode == "swaphead" and gets >= 1) or (mode == "swapfooter" and gets > 2):
            e_tag, data = '"v2"', bytes(reversed(data))
        fault = self.fault(mode, is_get)
        if mode == "throttle":
            # The first two requests are throttled for 2 s: when each attempt came shows whether it was honoured.
            with LOCK:
                STATE["attempts"].append(time.monotonic())
                if len(STATE["attempts"]) <= 2:
                    fault = "429"
        if fault in ("503", "429"):
            headers = {"Retry-After": "1" if mode != "throttle" else "2"} if fault == "429" else {}
            return self.reply(int(fault), b"<Error>SlowDown</Error>", headers)
        if fault == "stall":
            time.sleep(READ_TIMEOUT * 2.5)
        if not is_get:
            return self.reply(200, b"", {"Content-Length": str(len(data)), "ETag": e_tag,
                                         "Last-Modified": "Sat, 28 Nov 2026 12:00:00 GMT", "Accept-Ranges": "bytes"},
                              length=len(data))
        if mode == "range200":
            return self.endless()
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not match:
            return self.reply(200, data, {"ETag": e_tag})
        if mode == "swaphead" and self.headers.get("If-Match") not in (None, e_tag):
            return self.reply(412, b"<Error>PreconditionFailed</Error>")
        start = int(match.group(1))
        end = min(int(match.group(2) or len(data) - 1), len(data) - 1)
        body = data[start:end + 1]
        with LOCK:
            STATE["largest"] = max(STATE["largest"], len(body))
        headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}", "ETag": e_tag}
        if fault == "reset":
            self.send_response(206)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            # SO_LINGER 0: the close sends a TCP reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if fault == "truncate":
            self.send_response(206)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.reply(206, body, headers)

    def endless(self):
        """A 200 with a 10 GiB body made as it is sent: the client must refuse it before reading it."""
        self.send_response(200)
        self.send_header("Content-Length", str(10 << 30))
        self.end_headers()
        chunk = bytes(1 << 20)
        for _ in range(10 << 10):
            self.wfile.write(chunk)
            with LOCK:
                STATE["sent"] += len(chunk)

    def reply(self, status, body, headers=None, length=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def floe(binary, *args, timeout=180):
    env = dict(os.environ, FLOE_HTTP_READ_TIMEOUT=str(READ_TIMEOUT), RUST_LOG="warn")
    started = time.monotonic()
    try:
        run = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        run = subprocess.CompletedProcess([binary, *args], 124, "", f"timed out after {timeout} s")
    run.seconds = time.monotonic() - started
    return run


def without_locations(value):
    """JSON with what names the input or counts requests left out (the rest must be equal)."""
    if isinstance(value, dict):
        return {k: without_locations(v) for k, v in value.items()
                if k not in ("location", "file", "path", "input", "stats", "requests", "bytes_fetched", "fetched")}
    if isinstance(value, list):
        return [without_locations(v) for v in value]
    return value


def main():
    import pyarrow.parquet as pq
    binary, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    seconds = []

    for seed in range(2):
        STATE["rng"] = random.Random(seed)
        for name, path in FILES.items():
            url = f"{base}/flaky/{name}"
            local = floe(binary, "info", str(path), "--json", "--no-index")
            remote = floe(binary, "info", url, "--json", "--no-index")
            seconds.append(remote.seconds)
            same = local.returncode == 0 and remote.returncode == 0 and \
                without_locations(json.loads(local.stdout)) == without_locations(json.loads(remote.stdout))
            check(f"seed {seed}: floe info {name} over a flaky server equals the local file's", same,
                  remote.stderr[-400:] or remote.stdout[:300])

            out_local, out_remote = work / "local.parquet", work / "remote.parquet"
            bbox = "--bbox=-180,-90,180,90"
            local = floe(binary, "subset", str(path), bbox, "--out", str(out_local), "--force", "--no-index")
            remote = floe(binary, "subset", url, bbox, "--out", str(out_remote), "--force", "--no-index")
            seconds.append(remote.seconds)
            same = local.returncode == 0 and remote.returncode == 0 and \
                pq.read_table(out_local).equals(pq.read_table(out_remote))
            check(f"seed {seed}: floe subset {name} over a flaky server equals the local subset", same,
                  remote.stderr[-400:])
            out_remote.unlink(missing_ok=True)

            if path.suffix == ".parquet":
                local = floe(binary, "qa", str(path), "--json")
                remote = floe(binary, "qa", url, "--json")
                seconds.append(remote.seconds)
                same = local.returncode == remote.returncode and local.stdout.strip() and \
                    without_locations(json.loads(local.stdout)) == without_locations(json.loads(remote.stdout))
                check(f"seed {seed}: floe qa {name} over a flaky server equals the local check", same,
                      remote.stderr[-400:] or remote.stdout[:300])
    injected = sum(STATE["faults"].values())
    print(f"faults injected and survived: {injected} ({STATE['faults']}); slowest run {max(seconds):.1f} s")
    check("every kind of fault was injected", all(STATE["faults"].values()), str(STATE["faults"]))
    check("no run took more than 60 s", max(seconds) < 60, f"{max(seconds):.1f} s")
    check(f"at most 16 requests in flight (peak {STATE['peak']})", 1 < STATE["peak"] <= 16)
    check(f"no request over 8 MiB (largest {STATE['largest']} bytes)", 0 < STATE["largest"] <= 8 << 20)

    granule, parquet = "hrt__ATL06_subset_by_shapefile_reference.h5", "atl06_TestParquetFile_001.parquet"
    for mode, name in [("swaphead", granule), ("swaphead", parquet), ("swapfooter", granule),
                       ("swapfooter", parquet)]:
        STATE["gets"].clear()
        out = work / f"{mode}.parquet"
        run = floe(binary, "subset", f"{base}/{mode}/{name}", "--bbox=-180,-90,180,90", "--out", str(out),
                   "--force", "--no-index")
        check(f"{name} replaced {'after HEAD' if mode == 'swaphead' else 'after its footer'}: 'changed while it was "
              "being read', nothing written", run.returncode != 0 and "changed while it was being read" in run.stderr
              and not out.exists(), run.stderr[-300:])

    for name in [granule, parquet]:
        STATE["attempts"] = []
        run = floe(binary, "info", f"{base}/throttle/{name}", "--no-index", timeout=60)
        gaps = [b - a for a, b in zip(STATE["attempts"], STATE["attempts"][1:3])]
        check(f"{name}: 429 with Retry-After: 2 is waited out (gaps {', '.join(f'{g:.1f}' for g in gaps)} s)",
              run.returncode == 0 and len(gaps) == 2 and all(g >= 1.9 for g in gaps), run.stderr[-300:])

    STATE["sent"] = 0
    run = floe(binary, "info", f"{base}/range200/{parquet}", timeout=60)
    check(f"a 200 reply to a Range request is refused before its body (server sent {STATE['sent'] >> 20} MiB)",
          run.returncode != 0 and STATE["sent"] < 64 << 20 and run.seconds < 30
          and "Range request not supported by" in run.stderr, run.stderr[-300:])
    run = floe(binary, "info", f"{base}/down/{granule}", timeout=120)
    check(f"a server that stays down: a clear error after retries ({run.seconds:.1f} s)",
          run.returncode != 0 and run.seconds < 90 and run.stderr.strip() == f"error: {base}/down/{granule}: cannot read: "
          "Server returned non-2xx status code: 503 Service Unavailable", run.stderr[-300:])
    server.shutdown()
    finish()


if __name__ == "__main__":
    main()
