#!/usr/bin/env python3
"""Checks a herd against SPEC.md from outside, over TCP, the way a grader of the Python servers
would. Either point it at a running herd, or let it launch one and stop it afterwards:

  conformance.py --base-port 12000                 # a herd already running (default five servers)
  conformance.py --launch up --herd build/release/herd      # `herd up` on free ports
  conformance.py --launch nodes --herd build/release/herd   # five `herd node` processes + mock
  conformance.py --launch nodes --places-api legacy ...     # ... asking the mock's legacy API

Prints one line per check and closes with "N passed, M failed"; exits 1 if any check failed.
"""
import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVERS = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]
FLOOD_DEADLINE_S = 1.0
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + detail), flush=True)


class Herd:
    def __init__(self, host, base_port):
        self.host = host
        self.ports = {name: base_port + i for i, name in enumerate(SERVERS)}

    async def exchange(self, server, data, until=b"\n", count=1, timeout=5.0, half_close=False):
        """Sends raw bytes and reads `count` replies, each ending in `until`."""
        reader, writer = await asyncio.open_connection(self.host, self.ports[server])
        try:
            writer.write(data)
            if half_close:
                writer.write_eof()
            await writer.drain()
            replies = []
            for _ in range(count):
                replies.append(await asyncio.wait_for(reader.readuntil(until), timeout))
            return replies
        finally:
            writer.close()

    async def line(self, server, text):
        return (await self.exchange(server, (text + "\n").encode()))[0].decode().rstrip("\n")

    async def whatsat(self, server, client, radius=10, bound=5):
        reply = (await self.exchange(server, f"WHATSAT {client} {radius} {bound}\n".encode(), until=b"\n\n"))[0]
        return reply.decode()


def unique(tag):
    return f"{tag}-{os.getpid()}-{time.monotonic_ns()}.conformance"


def now_str():
    return f"{time.time():.9f}"


async def wait_everywhere(herd, client, at_line, servers):
    """Polls WHATSAT at each server until it answers with `at_line`; returns seconds or None."""
    start = time.monotonic()

    async def one(server):
        while time.monotonic() - start < FLOOD_DEADLINE_S:
            reply = await herd.exchange(server, f"WHATSAT {client} 1 1\n".encode(), until=b"\n")
            first = reply[0].decode().rstrip("\n")
            if first == at_line:
                return time.monotonic() - start
            await asyncio.sleep(0.005)
        return None

    times = await asyncio.gather(*(one(s) for s in servers))
    return None if any(t is None for t in times) else max(times)


async def run_checks(herd):
    # IAMAT: the reply's shape and the time difference.
    client, t = unique("kiwi"), now_str()
    before = time.time()
    at = await herd.line("Clark", f"IAMAT {client} +34.068930-118.445127 {t}")
    m = re.fullmatch(r"AT Clark ([+-]\d+\.\d{9}) (\S+) (\S+) (\S+)", at)
    check("IAMAT gets AT with the server name, a 9-digit signed difference and the fields as sent",
          bool(m) and m.group(2) == client and m.group(3) == "+34.068930-118.445127" and m.group(4) == t, at)
    if m:
        skew = float(m.group(1))
        check("the time difference is receive time minus client time", -0.5 < skew < time.time() - before + 0.5, at)

    # Flooding from every origin, within the deadline.
    for origin in SERVERS:
        c = unique("flood-" + origin)
        line = await herd.line(origin, f"IAMAT {c} +10.5-20.25 {now_str()}")
        took = await wait_everywhere(herd, c, line, SERVERS)
        check(f"an update at {origin} reaches all five within {FLOOD_DEADLINE_S:.0f} s",
              took is not None, "not everywhere in time")
        if took is not None:
            print(f"     ({origin}: everywhere after {took * 1000:.1f} ms, measured by polling)")

    # A stale update is answered but changes nothing.
    c = unique("stale")
    newer = await herd.line("Clark", f"IAMAT {c} +1+1 1700000000.5")
    await wait_everywhere(herd, c, newer, SERVERS)
    older = await herd.line("Bailey", f"IAMAT {c} +2+2 1700000000.25")
    check("an older IAMAT still gets its AT reply", older.startswith("AT Bailey ") and older.endswith(" +2+2 1700000000.25"), older)
    later = await herd.line("Clark", f"IAMAT {unique('marker')} +1+1 {now_str()}")
    await wait_everywhere(herd, later.split()[3], later, SERVERS)
    stale_ok = True
    for s in SERVERS:
        first = (await herd.whatsat(s, c, 1, 1)).split("\n")[0]
        stale_ok = stale_ok and first == newer
    check("an older IAMAT changes nothing anywhere", stale_ok)

    # WHATSAT: the stored AT line as its origin made it, the JSON cut to the bound, two newlines.
    reply = await herd.whatsat("Bailey", client, 10, 3)
    head, _, body = reply.partition("\n")
    check("WHATSAT starts with the origin's AT line", head == at, head)
    check("WHATSAT ends with exactly two newlines", reply.endswith("}\n\n") and not reply.endswith("\n\n\n"))
    check("WHATSAT's JSON has no blank line in it", "\n\n" not in body.rstrip("\n"))
    try:
        places = json.loads(body)
        check("WHATSAT's JSON has at most `bound` results", len(places.get("results", [])) <= 3,
              str(len(places.get("results", []))))
        check("WHATSAT's JSON has Google's fields", "status" in places and "html_attributions" in places)
        check("WHATSAT's Places call succeeded", places.get("status") == "OK",
              f"{places.get('status')}: {places.get('error_message', '')}")
        first = (places.get("results") or [{}])[0]
        check("WHATSAT's results have the legacy fields (name, geometry.location, place_id)",
              isinstance(first.get("name"), str) and "location" in first.get("geometry", {})
              and isinstance(first.get("place_id"), str), json.dumps(first)[:200])
    except ValueError as e:
        check("WHATSAT's JSON parses", False, str(e))

    # Invalid input: "? " and the line as received.
    for bad in ["", "iamat a +1+1 1", "IAMAT a +1+1", "IAMAT a +1+1 1 x", "IAMAT a 1+1 1",
                "IAMAT a +1+1+1 1", "IAMAT a +91+1 1", "IAMAT a +1+181 1", "IAMAT a +1+1 abc",
                "WHATSAT " + client + " 0 5", "WHATSAT " + client + " -1 5", "WHATSAT " + client + " 51 5",
                "WHATSAT " + client + " 10 0", "WHATSAT " + client + " 10 21", "WHATSAT " + client + " 10 2.5",
                "WHATSAT " + client + " 10 -1", "WHATSAT " + unique("nobody") + " 10 5", "HELLO", "whatsat x 1 1"]:
        got = await herd.line("Jaquez", bad)
        check(f"invalid {bad!r} gets '? ' and the line", got == "? " + bad, got)

    # Framing: several commands in one write, one command in many writes, half-close.
    c = unique("framing")
    replies = await herd.exchange("Bona", f"IAMAT {c} +1+1 1.5\nbogus\nIAMAT {c} +1+1 2.5\n".encode(), count=3)
    texts = [r.decode().rstrip("\n") for r in replies]
    check("several commands in one write are answered in order",
          texts[0].endswith(f"{c} +1+1 1.5") and texts[1] == "? bogus" and texts[2].endswith(f"{c} +1+1 2.5"), repr(texts))
    reader, writer = await asyncio.open_connection(herd.host, herd.ports["Campbell"])
    for ch in f"IAMAT {c} +1+1 3.5\n":
        writer.write(ch.encode())
        await writer.drain()
    split = (await asyncio.wait_for(reader.readuntil(b"\n"), 5)).decode()
    writer.close()
    check("one command over many writes gets one reply", split.startswith("AT Campbell ") and split.endswith(" 3.5\n"), split)
    reader, writer = await asyncio.open_connection(herd.host, herd.ports["Clark"])
    writer.write(f"IAMAT {c} +1+1 4.5\nIAMAT {c} +1+1 5.5".encode())
    writer.write_eof()
    rest = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    lines = rest.decode().split("\n")
    check("after a half-close the last line without newline is answered, then EOF",
          len(lines) == 3 and lines[0].endswith(" 4.5") and lines[1].endswith(" 5.5") and lines[2] == "", repr(rest))
    crlf = await herd.exchange("Clark", f"IAMAT {c} +1+1 6.5\r\n".encode())
    check("a carriage return before the newline is not part of a field", crlf[0].decode().endswith(" 6.5\n"), repr(crlf))


def free_base_port(count=5):
    for base in range(21000, 60000, 37):
        sockets = []
        try:
            for i in range(count):
                s = socket.socket()
                s.bind(("127.0.0.1", base + i))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free ports")


def wait_for_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def launch(mode, herd_path, base, log_dir, places_api):
    procs = []
    if mode == "up":
        procs.append(subprocess.Popen([herd_path, "up", "--base-port", str(base), "--log-dir", log_dir],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    else:
        mock = subprocess.Popen([herd_path, "places-mock", "--port", "0"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        procs.append(mock)
        # "mock Places at URL", a curl line, then "Places API (New) at URL".
        urls = [line.split()[-1] for line in (mock.stdout.readline() for _ in range(3)) if " at " in line]
        url = urls[-1] if places_api == "new" else urls[0]
        for name in SERVERS:
            procs.append(subprocess.Popen([herd_path, "node", name, "--base-port", str(base), "--places-url", url,
                                           "--places-key", "conformance", "--log-dir", log_dir],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + 10
    if not all(wait_for_port(base + i, deadline) for i in range(5)):
        raise RuntimeError("the herd did not start listening")
    return procs


async def wait_until_flooding(herd):
    """Separate processes connect their links with backoff: wait (bounded) until an update flows."""
    deadline = time.monotonic() + 10
    c = unique("warmup")
    while time.monotonic() < deadline:
        line = await herd.line("Clark", f"IAMAT {c} +1+1 {now_str()}")
        if await wait_everywhere(herd, c, line, SERVERS) is not None:
            return True
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=12000)
    parser.add_argument("--launch", choices=["up", "nodes"])
    parser.add_argument("--herd", default="build/release/herd", help="the herd binary, for --launch")
    parser.add_argument("--places-api", choices=["new", "legacy"], default="new",
                        help="with --launch nodes: which of the mock's Places APIs the nodes call")
    args = parser.parse_args()
    procs = []
    base = args.base_port
    with tempfile.TemporaryDirectory() as log_dir:
        try:
            if args.launch:
                base = free_base_port()
                procs = launch(args.launch, args.herd, base, log_dir, args.places_api)
            herd = Herd(args.host, base)
            if not asyncio.run(wait_until_flooding(herd)):
                check("the herd floods updates", False, "no update reached all five within 10 s")
            else:
                asyncio.run(run_checks(herd))
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    code = p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    code = "killed"
                if args.launch:
                    check(f"{' '.join(p.args[:3])} stops cleanly on SIGTERM", code == 0, f"exit {code}")
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
