"""What the check scripts (`*_check.py`) share: named checks that print ok/FAIL and are counted, and the loopback
HTTP server their fault-playing handlers run in."""

import http.server
import sys

failures = []


def check(name, ok, detail=""):
    """Prints one check's outcome (with `detail` when it failed) and remembers a failure."""
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""), flush=True)
    if not ok:
        failures.append(name)


def finish():
    """Prints the summary and exits non-zero when a check failed."""
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


class Server(http.server.ThreadingHTTPServer):
    """A threaded loopback server whose listen backlog takes bursts of range requests (the default of 5 makes a
    burst wait a second for a SYN retry)."""

    request_queue_size = 128
    daemon_threads = True
