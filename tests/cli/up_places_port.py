#!/usr/bin/env python3
"""`herd up --places-port N` starts the mock Places on N, says so, and the mock answers there."""
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from up_port_taken import free_block  # noqa: E402


def main():
    herd = sys.argv[1]
    base = free_block(6)
    places = base + 5
    with tempfile.TemporaryDirectory() as logs:
        proc = subprocess.Popen([herd, "up", "--base-port", str(base), "--places-port", str(places),
                                 "--log-dir", logs], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            first = proc.stdout.readline()
            print(first.strip())
            # The servers ask the mock's Places API (New); the legacy API answers there too.
            ok = f"http://127.0.0.1:{places}/v1/places:searchNearby" in first
            url = f"http://127.0.0.1:{places}/maps/api/place/nearbysearch/json"
            body = urllib.request.urlopen(url + "?location=34.06,-118.44&radius=1000&key=x",
                                          timeout=5).read()
            ok = ok and b'"status"' in body
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
    print("ok" if ok and proc.returncode == 0 else f"FAIL (exit {proc.returncode})")
    return 0 if ok and proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
