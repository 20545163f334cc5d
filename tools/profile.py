#!/usr/bin/env python3
"""Profiles the five-server herd under valgrind while a client floods it with IAMATs, and prints
what one update costs the whole herd: heap allocations (dhat) or instructions (callgrind).

  profile.py --tool dhat --herd build/release/herd          # allocations per update, by site
  profile.py --tool callgrind --herd build/release/herd     # instructions per update, by function

Start-up, link set-up and shut-down are not the hot path, so the herd is run twice, with N and
with 2N updates, and only the difference between the two runs is divided by N. Each update is an
IAMAT at Clark that is answered, stored at all five servers and flooded over every link.
"""
import argparse
import asyncio
import collections
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

SERVERS = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]


def free_base_port():
    """A base port whose five successors are free now (the herd binds them right after)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + len(SERVERS) > 65535:
            continue
        try:
            held = []
            for i in range(len(SERVERS)):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    sys.exit("profile.py: no five free ports in a row")


async def wait_accepting(port, deadline_s=120.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if loop.time() > end:
                raise
            await asyncio.sleep(0.2)


async def in_every_log(log_dir, lines, deadline_s=300.0):
    """Waits until every server's log shows every one of `lines` (the logs flush twice a second).
    Watching the logs costs the herd nothing, where asking it would add work to the profile."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    for name in SERVERS:
        path = os.path.join(log_dir, name + ".log")
        while True:
            try:
                text = open(path, errors="replace").read()
            except FileNotFoundError:
                text = ""
            if all(line in text for line in lines):
                break
            if loop.time() > end:
                sys.exit(f"profile.py: {name}'s log never showed every update")
            await asyncio.sleep(0.2)


async def ask_clark(clark_port, lines):
    """Sends IAMAT lines to Clark on one connection and returns its AT replies."""
    reader, writer = await asyncio.open_connection("127.0.0.1", clark_port)
    for i, line in enumerate(lines):
        writer.write(line.encode())
        if i % 100 == 99:
            await writer.drain()
    await writer.drain()
    replies = []
    for _ in lines:
        reply = (await asyncio.wait_for(reader.readline(), 300)).decode().rstrip("\n")
        if not reply.startswith("AT "):
            sys.exit(f"profile.py: Clark answered {reply!r}")
        replies.append(reply)
    writer.close()
    return replies


async def drive(ports, log_dir, updates, clients):
    await asyncio.gather(*(wait_accepting(p) for p in ports))
    clark = ports[SERVERS.index("Clark")]
    # Links are up once a first update has reached every server.
    await in_every_log(log_dir, await ask_clark(clark, ["IAMAT warm-up +1+1 1.0\n"]))
    lines = [f"IAMAT client-{i % clients} +34.068930-118.445127 {1700000000 + i}.5\n"
             for i in range(updates)]
    replies = await ask_clark(clark, lines)
    # Each client's last update is its newest: the work is done once every server has those.
    await in_every_log(log_dir, replies[-min(clients, updates):])


def run_once(args, updates, workdir):
    base = free_base_port()
    ports = [base + i for i in range(len(SERVERS))]
    out = os.path.join(workdir, f"{args.tool}.{updates}.out")
    log_dir = os.path.join(workdir, f"logs.{updates}")
    tool = ["valgrind", f"--tool={args.tool}", "--trace-children=no"]
    tool += [f"--dhat-out-file={out}"] if args.tool == "dhat" else [f"--callgrind-out-file={out}"]
    herd = subprocess.Popen(
        tool + [args.herd, "up", "--base-port", str(base), "--log-dir", log_dir],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        asyncio.run(drive(ports, log_dir, updates, args.clients))
    finally:
        herd.send_signal(signal.SIGTERM)
        _, err = herd.communicate(timeout=300)
    if herd.returncode != 0:
        sys.exit(f"profile.py: herd exited {herd.returncode}: {err.decode()[-2000:]}")
    return out


def dhat_sites(path):
    """Allocation count and bytes per allocation site, named by the first frame in Herd's code."""
    data = json.load(open(path))
    frames = data["ftbl"]
    sites = collections.Counter()
    sizes = collections.Counter()
    for pp in data["pps"]:
        name = "(outside herd)"
        for f in pp["fs"]:
            text = frames[f]
            if "herd::" in text or "/core/" in text or "/sim/" in text:
                name = re.sub(r"^0x[0-9A-F]+: ", "", text)
                break
        sites[name] += pp["tbk"]  # total blocks
        sizes[name] += pp["tb"]  # total bytes
    return sites, sizes


def callgrind_functions(path):
    """Total instructions, and instructions spent in each function itself (not its callees)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=no", "--threshold=100", path],
                          capture_output=True, text=True, check=True).stdout
    total = 0
    functions = collections.Counter()
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)(?: \(\s*[\d.]+%\))?\s+(\S.*)$", line)
        if not m or m.group(2).startswith(("=>", "<")):
            continue
        count = int(m.group(1).replace(",", ""))
        if m.group(2).startswith("PROGRAM TOTALS"):
            total = count
        else:
            functions[re.sub(r" \[[^\]]*\]$", "", m.group(2))] += count
    return total, functions


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--herd", default="build/release/herd", help="the herd binary (default %(default)s)")
    parser.add_argument("--tool", choices=["dhat", "callgrind"], default="dhat")
    parser.add_argument("--updates", type=int, default=4000, help="N: updates in the smaller run (default %(default)s)")
    parser.add_argument("--clients", type=int, default=100, help="distinct clients the updates cycle through")
    parser.add_argument("--top", type=int, default=15, help="sites or functions to list")
    args = parser.parse_args()
    if args.updates < 1 or args.clients < 1:
        parser.error("--updates and --clients must be at least 1")
    with tempfile.TemporaryDirectory(prefix="herd-profile-") as workdir:
        small = run_once(args, args.updates, workdir)
        large = run_once(args, 2 * args.updates, workdir)
        n = args.updates
        if args.tool == "dhat":
            (s_sites, s_bytes), (l_sites, l_bytes) = dhat_sites(small), dhat_sites(large)
            total = sum(l_sites.values()) - sum(s_sites.values())
            print(f"heap allocations per update (five servers, answer + store + flood): {total / n:.2f}")
            print(f"heap bytes per update: {(sum(l_bytes.values()) - sum(s_bytes.values())) / n:.1f}")
            diff = {k: l_sites[k] - s_sites.get(k, 0) for k in l_sites}
            for site, count in sorted(diff.items(), key=lambda kv: -kv[1])[: args.top]:
                if count / n >= 0.01:
                    print(f"  {count / n:8.2f}  {site[:160]}")
        else:
            (s_total, s_fn), (l_total, l_fn) = callgrind_functions(small), callgrind_functions(large)
            print(f"instructions per update (five servers, answer + store + flood): {(l_total - s_total) / n:,.0f}")
            print("by function, its own instructions (callees not included):")
            diff = {k: l_fn[k] - s_fn.get(k, 0) for k in l_fn}
            for fn, count in sorted(diff.items(), key=lambda kv: -kv[1])[: args.top]:
                print(f"  {count / n:12,.0f}  {fn[:150]}")


if __name__ == "__main__":
    main()
