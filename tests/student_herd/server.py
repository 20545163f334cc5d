#!/usr/bin/env python3
"""A proxy-herd server written the way CS131 students write theirs: Python asyncio, the standard
library only, urllib in a thread for Places, one TCP connection per flood message. Herd's tests
run every shipped scenario against a herd of these (`herd sim --herd-cmd`), with switches for the
defects students' servers really have:

  --no-recovery   never resend anything: no pull after a restart, no retry to a neighbour that
                  is down (what --classic also means, the course's minimum)
  --flood-back    also send every update back to the server it came from (each connection
                  begins "HERD-HELLO NAME", as Herd's nodes do, so the sender is known)
  --float-time    compare client timestamps as floats (two updates a nanosecond apart tie)
  --no-tiebreak   on equal timestamps keep whichever came first, with no rule

    python3 server.py NAME --config CONFIG --places-url URL [switches]

CONFIG is Herd's config format: {"servers": [{"name", "host", "port"}...], "links": [[a, b]...]}.
With every switch off it follows SPEC.md, and on a restart it asks each neighbour for everything
it holds ("SYNC"), then retries what it could not deliver until it can.
"""
import argparse
import asyncio
import json
import re
import sys
import time
import urllib.request

LOCATION = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)$")
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def time_ns(text):
    """'1621464827.959498503' -> integer nanoseconds, exactly."""
    whole, _, fraction = text.partition(".")
    return int(whole) * 1_000_000_000 + int((fraction + "000000000")[:9])


class Server:
    def __init__(self, name, config, places_url, switches):
        self.name = name
        self.servers = {s["name"]: s for s in config["servers"]}
        self.neighbours = sorted({b for a, b in config["links"] if a == name} |
                                 {a for a, b in config["links"] if b == name})
        self.places_url = places_url
        self.switches = switches
        self.recover = not (switches.no_recovery or switches.classic)
        self.records = {}  # client -> AT line
        self.outboxes = {n: asyncio.Queue() for n in self.neighbours}

    # --- "newer": the client's timestamp, then a fixed rule ---------------------------------------

    def key(self, at_line):
        f = at_line.split()
        stamp = float(f[5]) if self.switches.float_time else time_ns(f[5])
        return (stamp, f[1], at_line)

    def newer(self, at_line, client):
        old = self.records.get(client)
        if old is None:
            return True
        new_key, old_key = self.key(at_line), self.key(old)
        if self.switches.no_tiebreak:
            return new_key[0] > old_key[0]
        return new_key > old_key

    def accept(self, at_line, came_from):
        client = at_line.split()[3]
        if not self.newer(at_line, client):
            return
        self.records[client] = at_line
        for n in self.neighbours:
            if n != came_from or self.switches.flood_back:
                self.outboxes[n].put_nowait(at_line)

    # --- one connection per message, and retries where recovery is on ----------------------------

    async def deliver(self, neighbour):
        queue, delay = self.outboxes[neighbour], 0.05
        while True:
            line = await queue.get()
            while True:
                try:
                    target = self.servers[neighbour]
                    _, writer = await asyncio.wait_for(
                        asyncio.open_connection(target.get("host", "127.0.0.1"), target["port"]), 2)
                    # Says who sends, as Herd's own nodes do, so the receiver can skip this link.
                    writer.write(f"HERD-HELLO {self.name}\n{line}\n".encode())
                    await writer.drain()
                    writer.close()
                    await writer.wait_closed()
                    delay = 0.05
                    break
                except (OSError, asyncio.TimeoutError):
                    if not self.recover:
                        break  # the course's minimum: a message to a down server is lost
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)

    async def pull(self, neighbour):
        """After a start: everything the neighbour holds, until it answers once."""
        delay = 0.05
        for _ in range(200):
            try:
                target = self.servers[neighbour]
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(target.get("host", "127.0.0.1"), target["port"]), 2)
                writer.write(b"SYNC\n")
                await writer.drain()
                data = await asyncio.wait_for(reader.read(-1), 10)
                writer.close()
                for line in data.decode().splitlines():
                    if line.startswith("AT "):
                        self.accept(line, neighbour)
                return
            except (OSError, asyncio.TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    # --- clients --------------------------------------------------------------------------------

    async def places(self, at_line, radius_km, bound):
        lat, lng = LOCATION.match(at_line.split()[4]).groups()
        # Built by hand, as students do: the '+' of a latitude goes unencoded.
        url = f"{self.places_url}?location={lat},{lng}&radius={float(radius_km) * 1000:g}&key=none"

        def fetch():
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        try:
            body = await asyncio.to_thread(fetch)
            body["results"] = body.get("results", [])[:bound]
        except Exception as e:  # noqa: BLE001 - any failure is the error object
            body = {"html_attributions": [], "results": [], "status": "UNKNOWN_ERROR",
                    "error_message": str(e)}
        return re.sub(r"\n+", "\n", json.dumps(body, indent=3)).rstrip("\n")

    async def answer(self, line, received_ns, sender=None):
        f = line.split()
        if f and f[0] == "IAMAT" and len(f) == 4 and NUMBER.match(f[3]):
            m = LOCATION.match(f[2])
            if m and -90 <= float(m.group(1)) <= 90 and -180 <= float(m.group(2)) <= 180:
                diff = received_ns - time_ns(f[3])
                sign = "+" if diff >= 0 else "-"
                diff = abs(diff)
                at_line = f"AT {self.name} {sign}{diff // 10**9}.{diff % 10**9:09d} {f[1]} {f[2]} {f[3]}"
                self.accept(at_line, None)  # an older report changes nothing, but is answered
                return at_line + "\n"
        if f and f[0] == "WHATSAT" and len(f) == 4 and f[1] in self.records:
            try:
                radius, bound = float(f[2]), int(f[3])
            except ValueError:
                radius, bound = 0, 0
            if 0 < radius <= 50 and 1 <= bound <= 20 and "." not in f[3]:
                at_line = self.records[f[1]]
                return at_line + "\n" + await self.places(at_line, radius, bound) + "\n\n"
        if f and f[0] == "AT" and len(f) == 6:
            self.accept(" ".join(f), sender or self.peer_of(f))
            return ""
        if f == ["SYNC"]:
            return "".join(r + "\n" for r in self.records.values())
        return "? " + line.rstrip("\r\n") + "\n"

    def peer_of(self, fields):
        # A peer that did not say who it is: the line says where the update began, which is all
        # a student's server usually knows.
        return fields[1] if fields[1] in self.neighbours else None

    async def handle(self, reader, writer):
        sender = None
        try:
            while True:
                raw = await reader.readline()
                if not raw:
                    break
                line = raw.decode(errors="replace")
                hello = line.split()
                if len(hello) == 2 and hello[0] == "HERD-HELLO" and hello[1] in self.neighbours:
                    sender = hello[1]
                    continue
                reply = await self.answer(line, time.time_ns(), sender)
                if line.split()[:1] == ["SYNC"]:
                    writer.write(reply.encode())
                    await writer.drain()
                    break
                if reply:
                    writer.write(reply.encode())
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def run(self):
        port = self.servers[self.name]["port"]
        server = await asyncio.start_server(self.handle, "127.0.0.1", port)
        print(f"{self.name} listening on {port}, neighbours {', '.join(self.neighbours)}, "
              f"recovery {'on' if self.recover else 'off'}", flush=True)
        for n in self.neighbours:
            asyncio.create_task(self.deliver(n))
            if self.recover:
                asyncio.create_task(self.pull(n))
        async with server:
            await server.serve_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--config", required=True)
    p.add_argument("--places-url", required=True)
    p.add_argument("--classic", action="store_true")
    p.add_argument("--no-recovery", action="store_true")
    p.add_argument("--flood-back", action="store_true")
    p.add_argument("--float-time", action="store_true")
    p.add_argument("--no-tiebreak", action="store_true")
    args = p.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    asyncio.run(Server(args.name, config, args.places_url, args).run())


if __name__ == "__main__":
    sys.exit(main())
