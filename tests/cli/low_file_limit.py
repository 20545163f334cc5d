#!/usr/bin/env python3
"""`herd up` under an open-file limit of 64, too few for its five servers' own needs and a client
budget: its caps never add up to more than the limit, and when accepting fails for want of a
descriptor, the longest-idle client is closed to make room. 80 clients connect to the five servers
in turn and stay (per-server caps of 16 each added up to 80, past the limit: accepting then failed
with EMFILE and nobody was closed); each must still be answered, and the process must live.
    python3 low_file_limit.py HERD
"""
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from up_port_taken import free_block  # noqa: E402

LIMIT = 64


def main():
    herd = sys.argv[1]
    base = free_block(6)
    tmp = tempfile.mkdtemp()

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))

    up = subprocess.Popen([herd, "up", "--base-port", str(base), "--places-port", str(base + 5),
                           "--log-dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, preexec_fn=low_limit)
    held, answered = [], 0
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", base + 4), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        for i in range(80):
            s = socket.create_connection(("127.0.0.1", base + i % 5), timeout=10)
            s.settimeout(5)
            s.sendall(f"IAMAT crowd-{i} +1+1 1700000000\n".encode())
            try:
                if s.recv(4096).startswith(b"AT "):
                    answered += 1
            except socket.timeout:
                pass
            held.append(s)
        alive = up.poll() is None
        print(f"ulimit -n {LIMIT}: {answered} of 80 clients answered; herd up alive: {alive}")
        ok = alive and answered == 80
    finally:
        for s in held:
            s.close()
        up.terminate()
        err = up.communicate(timeout=10)[1]
    if not ok:
        print(err[-2000:])
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
