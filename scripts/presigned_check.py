#!/usr/bin/env python3
"""Presigned URLs against a loopback server that checks the signature in the query: `floe info`, `subset` and `qa`
read through them (the same results as the local files), and the secret appears nowhere Floe writes — stdout,
stderr with trace logging, output files — while the server did receive it. Also: an expired signature (403), a
server failing with 500, and one that answers a Range request with the whole file (200) end in clear errors.

Usage: presigned_check.py FLOE WORK_DIR"""

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from checks import Server, check, finish

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
GRANULE = SHARED / "hdf5" / "real" / "hrt__ATL06_subset_by_shapefile_reference.h5"
PARQUET = SHARED / "geoparquet" / "atl03x-surface_TEST_small_GEO.parquet"
SECRET = "SECRET0123456789abcdef"
SEEN = {"secret": 0, "requests": 0, "open": 0, "peak": 0}
LOCK = threading.Lock()




class Handler(http.server.BaseHTTPRequestHandler):
    """`/ok/NAME?X-Amz-Signature=SECRET…`: the file, by ranges (403 without the signature; a presigned GET URL signs
    no HEAD, so HEAD is 403 too); `/fail/…`: 500; `/whole/…`: 200 and the whole file for any Range."""

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        name = urlparse(self.path).path.rpartition("/")[2]
        if self.path.startswith("/plain/") and name == GRANULE.name:
            self.send_response(200)
            self.send_header("Content-Length", str(GRANULE.stat().st_size))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            return
        self.reply(403, b"")

    def do_GET(self):
        with LOCK:
            SEEN["open"] += 1
            SEEN["peak"] = max(SEEN["peak"], SEEN["open"])
        try:
            self.serve()
        finally:
            with LOCK:
                SEEN["open"] -= 1

    def serve(self):
        url = urlparse(self.path)
        mode, _, name = url.path.lstrip("/").partition("/")
        SEEN["requests"] += 1
        signature = parse_qs(url.query).get("X-Amz-Signature", [""])[0]
        SEEN["secret"] += signature == SECRET
        files = {GRANULE.name: GRANULE, PARQUET.name: PARQUET}
        if mode == "fail":
            return self.reply(500, b"internal error")
        if mode == "plain" and name in files:
            signature = SECRET  # a public file: no signature, read through object_store
            import time
            time.sleep(0.02)
        if signature != SECRET or name not in files:
            return self.reply(403 if name in files else 404, b"<Error>SignatureDoesNotMatch</Error>")
        data = files[name].read_bytes()
        # `swap`: the file is replaced after the first request (its ETag changes), as a re-upload during a read.
        with LOCK:
            SEEN[mode] = SEEN.get(mode, 0) + 1
            e_tag = '"v2"' if mode == "swap" and SEEN[mode] > 1 else '"v1"'
        if mode == "whole":
            return self.reply(200, data)
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not match:
            return self.reply(200, data)
        start = int(match.group(1))
        end = min(int(match.group(2) or len(data) - 1), len(data) - 1)
        if self.headers.get("If-Match") not in (None, e_tag):
            return self.reply(412, b"<Error>PreconditionFailed</Error>")
        self.reply(206, data[start:end + 1], {"Content-Range": f"bytes {start}-{end}/{len(data)}", "ETag": e_tag})

    def reply(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client refused the reply (a 200 for a Range request), as it should.


def floe(binary, *args):
    env = dict(os.environ, RUST_LOG="trace")
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=300)


def main():
    binary, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    query = f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Signature={SECRET}"

    def url(mode, path, q=query):
        return f"{base}/{mode}/{path.name}?{q}"

    def no_secret(name, run, *files):
        text = run.stdout + run.stderr + "".join(Path(f).read_bytes().decode("latin-1") for f in files if Path(f).exists())
        check(f"{name}: the secret appears nowhere (stdout, stderr with RUST_LOG=trace, outputs)", SECRET not in text,
              text[max(0, text.find(SECRET) - 200):text.find(SECRET) + 50])

    before = SEEN["secret"]
    remote = floe(binary, "info", url("ok", GRANULE), "--json", "--stats")
    local = floe(binary, "info", str(GRANULE), "--json", "--no-index")
    same = remote.returncode == 0 and local.returncode == 0
    if same:
        a, b = json.loads(remote.stdout), json.loads(local.stdout)
        same = (a["product"], a["beams"], a["rgt"]) == (b["product"], b["beams"], b["rgt"])
        check("floe info through a presigned URL shows the query redacted",
              "X-Amz-Signature=REDACTED" in a["location"], a["location"])
    check("floe info through a presigned URL equals the local file's", same, remote.stderr[-400:])
    no_secret("floe info", remote)

    bbox = "-180,-90,180,90"
    out_remote, out_local = work / "remote.parquet", work / "local.parquet"
    remote = floe(binary, "subset", url("ok", GRANULE), f"--bbox={bbox}", "--out", str(out_remote), "--force")
    local = floe(binary, "subset", str(GRANULE), f"--bbox={bbox}", "--out", str(out_local), "--force", "--no-index")
    import pyarrow.parquet as pq
    same = remote.returncode == 0 and local.returncode == 0 and pq.read_table(out_remote).equals(pq.read_table(out_local))
    check("floe subset through a presigned URL equals the local subset", same, remote.stderr[-400:])
    no_secret("floe subset", remote, out_remote)

    qa_out = work / "qa.json"
    remote = floe(binary, "qa", url("ok", PARQUET), "--json")
    qa_out.write_text(remote.stdout)
    check("floe qa through a presigned URL runs", remote.returncode in (0, 1) and remote.stdout.strip()[:1] in "[{",
          remote.stderr[-400:])
    no_secret("floe qa --json", remote)
    check("the server received the signature", SEEN["secret"] > before)

    # Requests in flight to one file stay within Floe's cap (16), beams read side by side included.
    for mode in ["plain", "ok"]:
        SEEN["peak"] = 0
        address = f"{base}/plain/{GRANULE.name}" if mode == "plain" else url("ok", GRANULE)
        run = floe(binary, "subset", address, f"--bbox={bbox}", "--out", str(work / "peak.parquet"), "--force")
        check(f"at most 16 requests in flight to one file ({mode}: peak {SEEN['peak']})",
              run.returncode == 0 and 1 < SEEN["peak"] <= 16, run.stderr[-300:])
    swapped = floe(binary, "subset", url("swap", GRANULE), "--out", str(work / "swapped.parquet"), "--force")
    check("a file replaced while it is read: an error saying so, nothing written",
          swapped.returncode != 0 and "the file changed while it was being read" in swapped.stderr
          and not (work / "swapped.parquet").exists(), swapped.stderr[-300:])
    wrong = floe(binary, "info", url("ok", GRANULE, query.replace(SECRET, "WRONGSIG")))
    check("an expired or wrong signature: access denied, said so (HTTP 403)",
          wrong.returncode != 0 and "access denied (HTTP 403)" in wrong.stderr and "WRONGSIG" not in wrong.stderr,
          wrong.stderr[-300:])
    failing = floe(binary, "info", url("fail", GRANULE))
    check("a server failing with 500: an error after retries, the secret hidden",
          failing.returncode != 0 and "HTTP 500" in failing.stderr and SECRET not in failing.stderr + failing.stdout,
          failing.stderr[-300:])
    whole = floe(binary, "info", url("whole", GRANULE))
    check("a 200 reply to a Range request is refused",
          whole.returncode != 0 and "range requests are needed" in whole.stderr, whole.stderr[-300:])
    server.shutdown()
    finish()


if __name__ == "__main__":
    main()
