#!/usr/bin/env python3
"""`herd up --places-port N` starts the mock Places on N, says so, and the mock answers there.
With N taken, it exits 2 naming the port; when N is in the kernel's range for outgoing
connections' ports, where a closed connection holds a port for a minute, it says to pick one below."""
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from up_port_taken import free_block, lowest_ephemeral_port  # noqa: E402


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
    if not (ok and proc.returncode == 0):
        return 1
    low = lowest_ephemeral_port()
    below = free_block(6)
    for port, hint in ((below + 5, False), (0, True)):  # 0: a port the kernel picks, in its range
        squatter = socket.socket()
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with tempfile.TemporaryDirectory() as logs:
            run = subprocess.run([herd, "up", "--base-port", str(below), "--places-port",
                                  str(taken), "--log-dir", logs],
                                 capture_output=True, text=True, timeout=20)
        squatter.close()
        said = run.stderr.strip()
        print(f"--places-port {taken} taken: exit {run.returncode}: {said}")
        if run.returncode != 2 or str(taken) not in said or "in use" not in said:
            print("FAIL: not a usage error naming the port and why")
            return 1
        if (f"pick a port below {low}" in said) != hint:
            print(f"FAIL: the hint to pick a port below {low} should {'' if hint else 'not '}be there")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
