#!/usr/bin/env python3
"""What the live view costs and whether it keeps up: `herd up --control` with the page open in
Chromium against the same herd with nobody watching. Prints, for IAMAT load on Clark:
  - the herd's throughput in a closed loop (16 connections), page closed and page open;
  - at 1,000 updates per second offered: reply latency p50/p99, page closed and page open, and
    the page's frame rate while the events pour in.

    python3 tools/bench/live_view_bench.py [HERD] [SECONDS]
Needs tools/install-deps.sh --browser-tests (Debian's Chromium).
"""
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "browser"))
import devtools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "cli"))
from live_address import page_url, wait_for_live_view  # noqa: E402

serial = 0


def iamat():
    global serial
    serial += 1
    return f"IAMAT bench-{os.getpid()}-{serial % 5000} +34.068930-118.445127 {time.time():.9f}\n".encode()


def connect(port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        socks.append(s)
    return socks


def closed_loop(port, connections, seconds):
    """Each connection sends a line and waits for its reply; replies per second."""
    socks = connect(port, connections)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ, bytearray())
        s.sendall(iamat())
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(0.5):
            data = key.fileobj.recv(65536)
            key.data.extend(data)
            while b"\n" in key.data:
                del key.data[:key.data.index(b"\n") + 1]
                done += 1
                key.fileobj.sendall(iamat())
    for s in socks:
        s.close()
    return done / seconds


def open_loop(port, rate, seconds):
    """`rate` lines per second on 8 connections; each reply's latency in ms."""
    socks = connect(port, 8)
    sel = selectors.DefaultSelector()
    pending = {s: [] for s in socks}
    for s in socks:
        sel.register(s, selectors.EVENT_READ, bytearray())
    latencies, sent = [], 0
    start = time.monotonic()
    while time.monotonic() - start < seconds + 0.3:
        due = int((time.monotonic() - start) * rate) if time.monotonic() - start < seconds else sent
        while sent < due:
            s = socks[sent % len(socks)]
            pending[s].append(time.monotonic())
            s.sendall(iamat())
            sent += 1
        for key, _ in sel.select(0.001):
            key.data.extend(key.fileobj.recv(65536))
            while b"\n" in key.data:
                del key.data[:key.data.index(b"\n") + 1]
                latencies.append((time.monotonic() - pending[key.fileobj].pop(0)) * 1000)
    for s in socks:
        s.close()
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0
    return {"sent": sent, "answered": len(latencies), "p50": q(0.5), "p99": q(0.99)}


def page_frame_rate(url, clark, rate, seconds):
    """Opens the page, offers `rate` updates/s to `clark` and returns (frames/s, open-loop result)."""
    with devtools.Browser() as b:
        b.open(url)
        b.wait_for('.server')
        b.run("window.benchFrames = 0; const count = () => { window.benchFrames++; "
              "requestAnimationFrame(count); }; requestAnimationFrame(count);")
        f0, t0 = b.run("return window.benchFrames;"), time.monotonic()
        result = open_loop(clark, rate, seconds)
        fps = (b.run("return window.benchFrames;") - f0) / (time.monotonic() - t0)
        behind = b.run("return queue.length;")
        return fps, result, behind


def ring_config(path, servers, base):
    names = [f"R{i:02d}" for i in range(servers)]
    config = {"servers": [{"name": n, "port": base + i} for i, n in enumerate(names)],
              "links": [[names[i], names[(i + 1) % servers]] for i in range(servers)]}
    with open(path, "w") as f:
        json.dump(config, f)


def main():
    herd = sys.argv[1] if len(sys.argv) > 1 else "build/release/herd"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not devtools.available():
        print("no Chromium: tools/install-deps.sh --browser-tests installs it")
        return 77
    base = 25000 + (os.getpid() % 1000) * 5
    proc = subprocess.Popen([herd, "up", "--control", "0", "--base-port", str(base)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = page_url(*wait_for_live_view(proc))
        clark = base + 3
        closed_alone = closed_loop(clark, 16, seconds)
        open_alone = open_loop(clark, 1000, seconds)
        fps, open_watched, behind = page_frame_rate(url, clark, 1000, seconds)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    # The 50-server ring: each update is about 100 messages and 50 stores, so 100 updates/s
    # pour some 25,000 events a second into the page.
    with tempfile.TemporaryDirectory() as tmp:
        ring_base = 31000 + (os.getpid() % 500) * 60
        config = os.path.join(tmp, "ring-50.json")
        ring_config(config, 50, ring_base)
        proc = subprocess.Popen([herd, "up", "--control", "0", "--config", config, "--log-dir", ""],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            ring_url = page_url(*wait_for_live_view(proc))
            ring_fps, ring_load, ring_behind = page_frame_rate(ring_url, ring_base, 100, seconds)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
    print(f"live view bench (herd up --control, IAMAT to Clark, {seconds:g} s per figure)")
    print(f"  closed loop, 16 connections, page closed: {closed_alone:.0f} req/s "
          "(herd bench --only live measures the herd's cost of the page)")
    print(f"  1,000 updates/s offered: p50 {open_alone['p50']:.2f} ms / p99 {open_alone['p99']:.2f} ms "
          f"unwatched; p50 {open_watched['p50']:.2f} ms / p99 {open_watched['p99']:.2f} ms with the page "
          f"open ({open_watched['answered']} of {open_watched['sent']} answered)")
    print(f"  page frame rate under that load: {fps:.1f} frames/s, {behind} events waiting to be drawn at the end")
    print(f"  50-server ring, 100 updates/s offered to R00: {ring_fps:.1f} frames/s, {ring_behind} events "
          f"waiting at the end, {ring_load['answered']} of {ring_load['sent']} answered "
          f"(p99 {ring_load['p99']:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
