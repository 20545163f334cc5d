// The live view's state logic: what a trace line means, what each server holds, which messages
// are on their way, what a click on a server or a link does. No drawing here, so Node's own test
// runner checks it (tests/page/); the page embeds this file where its script says LIVE_LOGIC.
"use strict";
const Live = {
  RECENT: 5,  // records drawn beside a server

  // An API path with the page's own query (its token) and `extra` parameters.
  api(path, extra, search) {
    const q = new URLSearchParams(search === undefined ? location.search : search);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, String(v));
    const text = q.toString();
    return path + (text ? "?" + text : "");
  },

  // One colour per update, from its client and its client time, as in the static timeline.
  colour(atLine) {
    const f = atLine.split(" ");
    const key = f.length >= 6 ? f[3] + " " + f[5] : atLine;
    let h = 2166136261;
    for (let i = 0; i < key.length; i++) { h ^= key.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    // Never red: red marks a lost message, and an update in a red of its own read as lost.
    return "hsl(" + (25 + h % 310) + ",70%,42%)";
  },

  // "0.145150 sent Clark>Jaquez#7.3 AT ..." -> {time, kind, rest}
  parse(line) {
    const a = line.indexOf(" "), b = line.indexOf(" ", a + 1);
    return { time: parseFloat(line.slice(0, a)), kind: b < 0 ? line.slice(a + 1) : line.slice(a + 1, b),
             rest: b < 0 ? "" : line.slice(b + 1) };
  },

  // "Clark>Jaquez#7.3" -> {from, to}
  ends(id) {
    const hash = id.indexOf("#"), arrow = id.indexOf(">");
    return { from: id.slice(0, arrow), to: id.slice(arrow + 1, hash < 0 ? undefined : hash) };
  },

  // What a link between a and b shows, from /api/state's directed links.
  linkState(links, a, b) {
    const f = links.filter(l => (l.from === a && l.to === b) || (l.from === b && l.to === a)).map(l => l.faults);
    return { cut: f.some(x => x.cut || x.drop), held: f.some(x => x.hold),
             slow: f.some(x => x.latency_ms > 0 || x.bytes_per_s > 0) };
  },

  // The buttons a selection offers, as [label, step] pairs in the scenario files' vocabulary.
  actionsFor(selection, state) {
    if (selection.server) {
      const s = state.servers.find(x => x.name === selection.server);
      if (!s) return [];
      if (s.state === "crashed") return [["restart", { do: "restart", node: s.name }]];
      return [["crash", { do: "crash", node: s.name }],
              s.state === "paused" ? ["resume", { do: "resume", node: s.name }] : ["pause", { do: "pause", node: s.name }]];
    }
    const f = Live.linkState(state.links, selection.a, selection.b), link = { from: selection.a, to: selection.b };
    return [[f.cut ? "restore" : "cut", { do: f.cut ? "restore" : "cut", ...link }],
            [f.held ? "release" : "hold", { do: f.held ? "release" : "hold", ...link }],
            ["latency 50 ms", { do: "latency", ms: 50, jitter_ms: 10, ...link }]];
  },

  // How far along its link a message is, 0 to 1, at the herd's time `now` (seconds, as trace
  // lines read): its place between its send and its delivery. null while nothing says when it
  // arrives (a held link keeps it, or the network is real and the delivery is not known ahead).
  progress(m, now) {
    if (m.due === undefined) return null;
    if (!(m.due > m.sentAt)) return now >= m.due ? 1 : 0;
    return Math.min(1, Math.max(0, (now - m.sentAt) / (m.due - m.sentAt)));
  },

  // When a message on real sockets should arrive, as far as the page can know: its link's added
  // latency after its send (teaching pace's 300 ms), so its dot moves in the herd's time; nothing
  // when the link adds none (the delivery, within a millisecond, is not known ahead).
  expectedDue(m, links) {
    const link = (links || []).find(l => l.from === m.from && l.to === m.to);
    const ms = link && link.faults ? link.faults.latency_ms : 0;
    return ms > 0 ? m.sentAt + ms / 1000 : undefined;
  },

  // A message's line in the space-time lane at the herd's time `now`: from its send (t1, on its
  // sender's lane) to its delivery (t2, on its receiver's), or, still on its way, to where it is
  // at `now` (`along` 0 to 1 between the two lanes; a held one runs along its sender's lane).
  laneSegment(m, now) {
    if (m.arrivedAt !== undefined) return { t1: m.sentAt, t2: Math.min(m.arrivedAt, Math.max(now, m.sentAt)), along: m.arrivedAt <= now ? 1 : Live.progress(m, now) ?? 0 };
    const t2 = m.due === undefined ? now : Math.min(now, m.due);
    return { t1: m.sentAt, t2: Math.max(t2, m.sentAt), along: Live.progress(m, t2) ?? 0 };
  },

  // The messages on their way to and from `server`, oldest first: what it has yet to receive,
  // and what it sent that has not arrived (a held link's among them).
  queueOf(model, server) {
    const all = Object.entries(model.inFlight).filter(([, m]) => !m.lost)
      .sort((a, b) => a[1].sentAt - b[1].sentAt || (a[0] < b[0] ? -1 : 1));
    return { incoming: all.filter(([, m]) => m.to === server).map(([id, m]) => ({ id, ...m })),
             outgoing: all.filter(([, m]) => m.from === server).map(([id, m]) => ({ id, ...m })) };
  },

  // The herd's clock as the page can know it between two looks: the last reading (its time,
  // whether paused, its speed) and the wall time since at that speed, moved on by any event seen
  // later than that. Pausing stops it where it is; a step moves it to the step's delivery. A
  // reading is the herd's word, so it is taken as it is.
  HerdClock: class {
    constructor() { this.t = 0; this.wall = 0; this.paused = false; this.speed = 1; }
    // A reading of the clock at wall time `wall` (ms).
    sync(t, paused, speed, wall) { this.t = t; this.paused = paused; this.speed = speed; this.wall = wall; }
    // An event at herd time `t`: the clock has got at least that far.
    see(t, wall) { if (t > this.now(wall)) { this.t = t; this.wall = wall; } }
    now(wall) { return this.paused ? this.t : this.t + Math.max(0, wall - this.wall) / 1000 * this.speed; }
  },

  // The speed control's scale: a slider position (log10 of the speed) to virtual seconds per
  // wall second and back, from 1/100,000 to 100.
  speedOf(position) { return Math.pow(10, position); },
  speedLabel(speed) {
    if (speed >= 1) return "\u00d7" + (speed >= 10 ? speed.toFixed(0) : speed.toPrecision(2).replace(/\.0+$/, ""));
    return "1/" + Math.round(1 / speed).toLocaleString("en-US");
  },

  // What the events have said so far: each server's store, its newest update, the messages on
  // their way, and counts. The page draws it; /api/state corrects it now and then.
  Model: class {
    constructor() {
      this.stores = {};     // server -> client -> AT line
      this.sizes = {};      // server -> how many clients it holds
      this.recent = {};     // server -> the clients it stored last, newest first (at most 5)
      this.newest = {};     // server -> the AT line it stored last
      this.inFlight = {};   // message id -> {from, to, line, colour, lost, sentAt, due}
      this.undue = {};      // "Clark>Jaquez#7" -> ids sent on it with no delivery time yet, in order
      this.counts = { sent: 0, delivered: 0, dropped: 0, stored: 0, stale: 0, accepted: 0 };
      this.clients = new Set();  // clients whose updates were accepted, by the events
      this.lastReply = null;
      this.spread = new Map();  // update (client and time) -> {first, servers: Set}, oldest first
      this.converged = [];  // ms from an update's first store to its store at every server
      this.servers = 0;     // how many servers the herd has (from /api/state)
      this.serverState = {};  // server -> "crashed" or "paused", by the events ("up" when absent)
      this.linkUp = {};     // "a|b" (names sorted) -> whether the link's last event said up
      // The herd's time of the last /api/state loaded: its servers' and links' state then, and,
      // if that load carried stores, theirs (what happened before it is in it already).
      this.asOf = -Infinity;
      this.storesAsOf = -Infinity;
    }
    static pair(a, b) { return a < b ? a + "|" + b : b + "|" + a; }
    // The last word either side said of a link (a restarted server reports it, its neighbour may
    // not); up until something said otherwise.
    linkIsUp(a, b) { return this.linkUp[Live.Model.pair(a, b)] !== false; }
    // Takes /api/state's stores as the truth. A store sent in part (its newest records, when
    // store_size says it holds more) corrects those records and keeps what the events said of
    // the rest.
    // `withStores`: whether it asked for records (the page's timer asks for none: then the
    // events after an older load still keep the stores).
    load(state, withStores = true) {
      this.servers = state.servers.length;
      if (state.clock) {
        this.asOf = state.clock.now_s;
        if (withStores) this.storesAsOf = state.clock.now_s;
      }
      const stores = {};
      for (const s of state.servers) {
        const size = s.store_size === undefined ? s.store.length : s.store_size;
        const whole = size <= s.store.length;
        const store = stores[s.name] = whole ? {} : (this.stores[s.name] || {});
        for (const r of s.store) store[r.client] = r.line;
        this.sizes[s.name] = whole ? s.store.length : Math.max(size, Object.keys(store).length);
        const time = line => parseFloat(line.slice(line.lastIndexOf(" ") + 1));
        if (whole || s.store.length)
          this.recent[s.name] = s.store.slice().sort((a, b) => time(b.line) - time(a.line))
            .slice(0, Live.RECENT).map(r => r.client);
      }
      this.stores = stores;
      // The herd's word on each connection, however late the page opened; the events after it
      // keep it current. Where the servers say nothing, a crash's mark is not kept past it.
      for (const l of state.links || []) {
        const key = Live.Model.pair(l.from, l.to);
        if (l.up === undefined) delete this.linkUp[key];
        else this.linkUp[key] = l.up;
      }
    }
    // What a server shows: its newest records, newest first, and how many it holds.
    shown(server) {
      const store = this.stores[server] || {};
      return { rows: (this.recent[server] || []).filter(c => store[c] !== undefined).map(c => store[c]),
               size: this.sizes[server] || 0 };
    }
    // Applies one trace line; returns its parsed form.
    apply(line) {
      const e = Live.parse(line);
      // A page opened late is sent the events before its first load too (the slider's history):
      // a crash, a link's word or a store among them must not undo the herd's own, newer word.
      const known = e.time < this.asOf, storeKnown = e.time < this.storesAsOf;
      if (e.kind === "sent") {
        const sp = e.rest.indexOf(" "), id = e.rest.slice(0, sp), text = e.rest.slice(sp + 1);
        if (!text.startsWith("AT ")) return e;
        this.counts.sent++;
        this.inFlight[id] = { ...Live.ends(id), line: text, colour: Live.colour(text), lost: false, sentAt: e.time };
        // Waiting for the network to say when it arrives (a "due" line, the virtual network's).
        const dot = id.lastIndexOf(".");
        const waiting = this.undue[id.slice(0, dot)] = this.undue[id.slice(0, dot)] || [];
        waiting.push(id);
        e.id = id;  // the page starts a dot for it
      } else if (e.kind === "due") {
        // "due Clark>Jaquez#7.3 0.000150": line 3 and every earlier one of that direction without
        // a time arrive then.
        const [id, at] = e.rest.split(" "), dot = id.lastIndexOf(".");
        const key = id.slice(0, dot), upTo = Number(id.slice(dot + 1)), waiting = this.undue[key] || [];
        while (waiting.length && Number(waiting[0].slice(waiting[0].lastIndexOf(".") + 1)) <= upTo) {
          const m = this.inFlight[waiting.shift()];
          if (m) m.due = parseFloat(at);
        }
        if (!waiting.length) delete this.undue[key];
      } else if (e.kind === "delivered") {
        if (this.inFlight[e.rest]) { this.counts.delivered++; delete this.inFlight[e.rest]; }
      } else if (e.kind === "dropped") {
        const m = this.inFlight[e.rest.split(" ")[0]];
        if (m) { this.counts.dropped++; m.lost = true; }
      } else if (e.kind === "stored" || e.kind === "stale") {
        const server = e.rest.split(" ")[0], at = e.rest.slice(server.length + 1);
        this.counts[e.kind]++;
        e.server = server;
        e.line = at;
        if (e.kind === "stored") {
          const f = at.split(" "), client = f[3];
          // Stored by its origin: an update that server accepted (a replay's only count of them).
          if (f[1] === server) { this.counts.accepted++; this.clients.add(client); }
          if (!storeKnown) {
            const store = this.stores[server] = this.stores[server] || {};
            if (store[client] === undefined) this.sizes[server] = (this.sizes[server] || 0) + 1;
            store[client] = at;
            const recent = (this.recent[server] || []).filter(c => c !== client);
            recent.unshift(client);
            this.recent[server] = recent.slice(0, Live.RECENT);
            this.newest[server] = at;
          }
          // Time to converge: from the update's first store to its store at every server.
          const key = client + " " + f[5];
          let s = this.spread.get(key);
          if (!s) {
            this.spread.set(key, s = { first: e.time, servers: new Set() });
            // An update overtaken by a newer one never reaches everyone: forget the oldest.
            if (this.spread.size > 5000) this.spread.delete(this.spread.keys().next().value);
          }
          s.servers.add(server);
          if (this.servers > 0 && s.servers.size === this.servers) {
            this.converged.push((e.time - s.first) * 1000);
            if (this.converged.length > 1000) this.converged.shift();
            this.spread.delete(key);
          }
        }
      } else if (known && ["link-up", "link-down", "restart", "resume", "pause"].includes(e.kind)) {
        // The loaded state says what these led to.
      } else if (e.kind === "link-up" || e.kind === "link-down") {
        const ends = Live.ends(e.rest.split(" ")[0]);
        this.linkUp[Live.Model.pair(ends.from, ends.to)] = e.kind === "link-up";
      } else if (e.kind === "restart" || e.kind === "resume") {
        delete this.serverState[e.rest];
      } else if (e.kind === "pause") {
        this.serverState[e.rest] = "paused";
      } else if (e.kind === "crash") {
        if (!known) {
          this.serverState[e.rest] = "crashed";
          for (const k of Object.keys(this.linkUp)) if (k.split("|").includes(e.rest)) this.linkUp[k] = false;
        }
        if (!storeKnown) {
          this.stores[e.rest] = {};  // its memory is gone
          this.sizes[e.rest] = 0;
          this.recent[e.rest] = [];
          delete this.newest[e.rest];
        }
      } else if (e.kind === "run" || e.kind === "branch") {
        // A trace of several runs: each is a herd of its own, started afresh. A branch is a run
        // replayed from its start to a moment and changed there: its counts start again too.
        for (const k of ["stores", "sizes", "recent", "newest", "inFlight", "undue", "serverState", "linkUp"]) this[k] = {};
        this.spread = new Map();
        this.asOf = this.storesAsOf = -Infinity;  // a new herd, whose times start again
        if (e.kind === "branch") {
          for (const k in this.counts) this.counts[k] = 0;
          this.clients = new Set();
          this.converged = [];
          // "branch 2 1.250000000 crash Bona": its number, the moment, what was done there.
          const [number, at] = e.rest.split(" ");
          e.branch = { number: Number(number), at: parseFloat(at), did: e.rest.split(" ").slice(2).join(" ") };
        }
      } else if (e.kind === "client-reply") {
        this.lastReply = e.rest;
      }
      return e;
    }
    // The median time for an update to reach every server, in ms, over the last ones that did.
    medianConverge() {
      if (!this.converged.length) return null;
      const sorted = this.converged.slice().sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    }
    // The servers holding `client`'s update, by the events.
    holders(client) {
      return Object.keys(this.stores).filter(s => this.stores[s][client] !== undefined).sort();
    }
  },
};

if (typeof module !== "undefined") module.exports = Live;
