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

and for what real student herds do (tests/student_herd/README.md says where each was seen):

  --no-newline    replies and flooded lines without their trailing newline; the connection is
                  closed after each reply, which is how the client knows it has ended
  --one-read      one read(1024) per connection, taken as one message; reply, then close
  --float-skew    the time difference printed as '+' + str(float): 19 fraction digits
  --float-echo    the client's timestamp echoed through float(): ...815.123456789 -> ...815.1234567
  --origin-neighbours  flood to the neighbours of the update's origin, not one's own
  --char-dedupe   an AT is new when character 4 of it differs from the stored line's
  --hard-coded-ports   the ports and neighbours written in the code (10000-10004, SPEC.md's
                  links); no --config
  --places-new    ask Places API (New) (POST searchNearby, X-Goog-FieldMask: *) at
                  --places-new-url, and answer WHATSAT with its {"places": [...]}

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
import urllib.error
import urllib.request

LOCATION = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)$")

# What --hard-coded-ports writes into the code, as 20 of 21 student herds do.
PORTS = {"Bailey": 10000, "Bona": 10001, "Campbell": 10002, "Clark": 10003, "Jaquez": 10004}
LINKS = [["Clark", "Jaquez"], ["Clark", "Bona"], ["Bona", "Campbell"], ["Bailey", "Bona"],
         ["Bailey", "Campbell"], ["Campbell", "Jaquez"]]
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def time_ns(text):
    """'1621464827.959498503' -> integer nanoseconds, exactly."""
    whole, _, fraction = text.partition(".")
    return int(whole) * 1_000_000_000 + int((fraction + "000000000")[:9])


class Server:
    def __init__(self, name, config, places_url, switches):
        self.name = name
        self.servers = {s["name"]: s for s in config["servers"]}
        self.links = config["links"]
        self.switches = switches
        self.neighbours = sorted({b for a, b in self.links if a == name} |
                                 {a for a, b in self.links if b == name})
        self.places_url = places_url
        self.recover = not (switches.no_recovery or switches.classic)
        self.records = {}  # client -> AT line
        self.outboxes = {}

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

    def neighbours_of(self, name):
        # A herd that floods to the origin's neighbours has the whole map in its code.
        links = LINKS if self.switches.origin_neighbours else self.links
        return sorted({b for a, b in links if a == name} | {a for a, b in links if b == name})

    def accept(self, at_line, came_from):
        client = at_line.split()[3]
        if self.switches.char_dedupe:
            old = self.records.get(client)
            if old is not None and old[4] == at_line[4]:
                return
        elif not self.newer(at_line, client):
            return
        self.records[client] = at_line
        targets = self.neighbours
        if self.switches.origin_neighbours:
            targets = self.neighbours_of(at_line.split()[1])
        for n in targets:
            if n == self.name:
                continue
            if n != came_from or self.switches.flood_back:
                self.outbox(n).put_nowait(at_line)

    def outbox(self, neighbour):
        if neighbour not in self.outboxes:  # a server the code knows but is not next to
            self.outboxes[neighbour] = asyncio.Queue()
            asyncio.get_running_loop().create_task(self.deliver(neighbour))
        return self.outboxes[neighbour]

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
                    # Says who sends, as Herd's own nodes do, so the receiver can skip this link;
                    # a server that reads one message per connection is sent the line alone.
                    end = "" if self.switches.no_newline else "\n"
                    hello = "" if self.switches.one_read else f"HERD-HELLO {self.name}\n"
                    writer.write(f"{hello}{line}{end}".encode())
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
        if self.switches.places_new:
            return await self.places_new(float(lat), float(lng), radius_km, bound)
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

    async def places_new(self, lat, lng, radius_km, bound):
        body = json.dumps({"maxResultCount": bound, "locationRestriction": {"circle": {
            "center": {"latitude": lat, "longitude": lng}, "radius": radius_km * 1000}}}).encode()
        request = urllib.request.Request(self.switches.places_new_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Goog-Api-Key": "none",
                                                  "X-Goog-FieldMask": "*"})

        def fetch():
            try:
                with urllib.request.urlopen(request, timeout=10) as r:
                    return json.loads(r.read())
            except urllib.error.HTTPError as e:  # Google's error shape comes with a 4xx or 5xx
                return json.loads(e.read())
        try:
            reply = await asyncio.to_thread(fetch)
        except Exception as e:  # noqa: BLE001 - any failure is the error object
            reply = {"error": {"message": str(e)}}
        return json.dumps(reply, indent=4)

    def skew(self, received_ns, sent):
        diff = received_ns - time_ns(sent)
        if self.switches.float_skew:
            seconds = diff / 1e9
            return ("+" if seconds >= 0 else "") + str(seconds)
        sign = "+" if diff >= 0 else "-"
        diff = abs(diff)
        return f"{sign}{diff // 10**9}.{diff % 10**9:09d}"

    async def answer(self, line, received_ns, sender=None):
        f = line.split()
        if f and f[0] == "IAMAT" and len(f) == 4 and NUMBER.match(f[3]):
            m = LOCATION.match(f[2])
            if m and -90 <= float(m.group(1)) <= 90 and -180 <= float(m.group(2)) <= 180:
                stamp = str(float(f[3])) if self.switches.float_echo else f[3]
                at_line = f"AT {self.name} {self.skew(received_ns, f[3])} {f[1]} {f[2]} {stamp}"
                self.accept(at_line, None)  # an older report changes nothing, but is answered
                return at_line + self.end()
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
        return "? " + line.rstrip("\r\n") + self.end()

    def end(self):
        return "" if self.switches.no_newline else "\n"

    def peer_of(self, fields):
        # A peer that did not say who it is: the line says where the update began, which is all
        # a student's server usually knows.
        return fields[1] if fields[1] in self.neighbours else None

    async def handle(self, reader, writer):
        if self.switches.one_read:
            return await self.handle_one_read(reader, writer)
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
                    if self.switches.no_newline:
                        break  # the close is what ends the reply
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def handle_one_read(self, reader, writer):
        try:
            data = await reader.read(1024)
            if data:
                line = data.decode(errors="replace")
                reply = await self.answer(line, time.time_ns())
                if line.split()[:1] == ["SYNC"] or reply:
                    writer.write(reply.encode())
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def run(self):
        port = self.servers[self.name]["port"]
        for n in self.neighbours:
            self.outboxes.setdefault(n, asyncio.Queue())
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
    p.add_argument("--config")
    p.add_argument("--places-url", default="http://127.0.0.1:38080/maps/api/place/nearbysearch/json")
    p.add_argument("--places-new-url",
                   default="http://127.0.0.1:38080/v1/places:searchNearby")
    p.add_argument("--classic", action="store_true")
    p.add_argument("--no-recovery", action="store_true")
    p.add_argument("--flood-back", action="store_true")
    p.add_argument("--float-time", action="store_true")
    p.add_argument("--no-tiebreak", action="store_true")
    for switch in ("no-newline", "one-read", "float-skew", "float-echo", "origin-neighbours",
                   "char-dedupe", "hard-coded-ports", "places-new"):
        p.add_argument("--" + switch, action="store_true")
    args = p.parse_args()
    if args.hard_coded_ports:
        config = {"servers": [{"name": n, "host": "127.0.0.1", "port": port}
                              for n, port in PORTS.items()], "links": LINKS}
    elif args.config is None:
        p.error("--config is needed unless --hard-coded-ports")
    else:
        with open(args.config) as f:
            config = json.load(f)
    asyncio.run(Server(args.name, config, args.places_url, args).run())


if __name__ == "__main__":
    sys.exit(main())
