// The live view's state logic, run with Node's own test runner: node --test tests/page/
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const Live = require("../../sim/live/page_logic.js");

const at = "AT Clark +0.000050000 kiwi +34.068930-118.445127 1767225600.145100000";

test("a trace line splits into its time, kind and the rest", () => {
  assert.deepStrictEqual(Live.parse("0.145150 sent Clark>Jaquez#7.3 " + at),
                         { time: 0.14515, kind: "sent", rest: "Clark>Jaquez#7.3 " + at });
  assert.deepStrictEqual(Live.parse("1.000000 crash"), { time: 1, kind: "crash", rest: "" });
  assert.deepStrictEqual(Live.ends("Clark>Jaquez#7.3"), { from: "Clark", to: "Jaquez" });
});

test("an update keeps its colour on every link; another update of the client gets another", () => {
  assert.strictEqual(Live.colour(at), Live.colour(at.replace("Clark", "Bona")));
  assert.notStrictEqual(Live.colour(at), Live.colour(at.replace("145100000", "245100000")));
});

test("a message travels from sent to delivered, and a dropped one is marked lost", () => {
  const m = new Live.Model();
  assert.strictEqual(m.apply("0.1 sent Clark>Jaquez#7.3 " + at).id, "Clark>Jaquez#7.3");
  m.apply("0.1 sent Clark>Bona#8.3 " + at);
  m.apply("0.1 sent Clark>Bona#8.4 HERD-HELLO Clark");  // not an update: not drawn
  assert.deepStrictEqual(Object.keys(m.inFlight).sort(), ["Clark>Bona#8.3", "Clark>Jaquez#7.3"]);
  m.apply("0.2 delivered Clark>Jaquez#7.3");
  m.apply("0.2 dropped Clark>Bona#8.3 cut");
  assert.deepStrictEqual(Object.keys(m.inFlight), ["Clark>Bona#8.3"]);
  assert.strictEqual(m.inFlight["Clark>Bona#8.3"].lost, true);
  assert.deepStrictEqual(m.counts, { sent: 2, delivered: 1, dropped: 1, stored: 0, stale: 0, accepted: 0 });
});

test("stores follow stored events; a crash empties one; state loads replace them", () => {
  const m = new Live.Model();
  m.apply("0.1 stored Clark " + at);
  m.apply("0.2 stored Jaquez " + at);
  m.apply("0.3 stale Bona " + at);
  assert.deepStrictEqual(m.holders("kiwi"), ["Clark", "Jaquez"]);
  assert.strictEqual(m.newest.Jaquez, at);
  m.apply("0.4 crash Jaquez");
  assert.deepStrictEqual(m.holders("kiwi"), ["Clark"]);
  m.load({ servers: [{ name: "Bona", store: [{ client: "kiwi", line: at }] }, { name: "Clark", store: [] }] });
  assert.deepStrictEqual(m.holders("kiwi"), ["Bona"]);
});

test("a server shows its newest records as they land, and how many it holds", () => {
  const m = new Live.Model();
  const line = (client, t) => "AT Clark +0.1 " + client + " +34-118 " + t;
  for (let i = 0; i < 8; i++) m.apply("0." + i + " stored Bona " + line("c" + i, 100 + i));
  m.apply("0.9 stored Bona " + line("c2", 200));  // an old client updated: newest again, not counted twice
  const shown = m.shown("Bona");
  assert.deepStrictEqual(shown.rows.map(r => r.split(" ")[3]), ["c2", "c7", "c6", "c5", "c4"]);
  assert.strictEqual(shown.size, 8);
  m.apply("1.0 crash Bona");
  assert.deepStrictEqual(m.shown("Bona"), { rows: [], size: 0 });
});

test("a state load with part of a store keeps what the events said of the rest", () => {
  const m = new Live.Model();
  const line = (client, t) => "AT Clark +0.1 " + client + " +34-118 " + t;
  m.apply("0.1 stored Bona " + line("old", 1));
  m.load({ servers: [{ name: "Bona", store_size: 300, store: [{ client: "new", line: line("new", 9) },
                                                               { client: "newer", line: line("newer", 10) }] }] });
  assert.deepStrictEqual(m.holders("old"), ["Bona"]);
  assert.deepStrictEqual(m.shown("Bona").rows.map(r => r.split(" ")[3]), ["newer", "new"]);
  assert.strictEqual(m.shown("Bona").size, 300);
  // A look with no records (store_limit=0) changes the count only.
  m.load({ servers: [{ name: "Bona", store_size: 301, store: [] }] });
  assert.deepStrictEqual(m.shown("Bona").rows.map(r => r.split(" ")[3]), ["newer", "new"]);
  assert.strictEqual(m.shown("Bona").size, 301);
  // A whole store is the truth: what it lacks, the server lacks.
  m.load({ servers: [{ name: "Bona", store_size: 1, store: [{ client: "new", line: line("new", 9) }] }] });
  assert.deepStrictEqual(m.holders("old"), []);
  assert.strictEqual(m.shown("Bona").size, 1);
});

test("API paths keep the page's token and add their own parameters", () => {
  assert.strictEqual(Live.api("api/state", { store_limit: 50 }, "?token=abc"), "api/state?token=abc&store_limit=50");
  assert.strictEqual(Live.api("api/events", {}, ""), "api/events");
});

test("an update's time to converge runs from its first store to its store at every server", () => {
  const m = new Live.Model();
  m.load({ servers: ["Clark", "Bona", "Jaquez"].map(name => ({ name, store: [] })) });
  assert.strictEqual(m.medianConverge(), null);
  m.apply("1.000 stored Clark " + at);
  m.apply("1.002 stored Bona " + at);
  const last = m.apply("1.005 stored Jaquez " + at);
  assert.strictEqual(last.server, "Jaquez");
  assert.ok(Math.abs(m.medianConverge() - 5) < 1e-6, String(m.medianConverge()));
});

test("a click offers the steps that make sense for what is clicked", () => {
  const state = {
    servers: [{ name: "Clark", state: "up" }, { name: "Bona", state: "crashed" }, { name: "Jaquez", state: "paused" }],
    links: [{ from: "Clark", to: "Bona", faults: { cut: true } }, { from: "Bona", to: "Clark", faults: {} },
            { from: "Clark", to: "Jaquez", faults: { latency_ms: 5 } }],
  };
  const labels = sel => Live.actionsFor(sel, state).map(([label]) => label);
  assert.deepStrictEqual(labels({ server: "Clark" }), ["crash", "pause"]);
  assert.deepStrictEqual(labels({ server: "Bona" }), ["restart"]);
  assert.deepStrictEqual(labels({ server: "Jaquez" }), ["crash", "resume"]);
  assert.deepStrictEqual(Live.actionsFor({ a: "Clark", b: "Bona" }, state)[0],
                         ["restore", { do: "restore", from: "Clark", to: "Bona" }]);
  assert.deepStrictEqual(Live.linkState(state.links, "Jaquez", "Clark"), { cut: false, held: false, slow: true });
});

test("links go down and up with the events, and a crashed server's links are down", () => {
  const m = new Live.Model();
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), true);  // nothing said yet: drawn up
  m.apply("0.1 link-down Bona>Clark connection lost");
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), false);
  m.apply("0.2 link-up Bona>Clark");  // one side's word is enough: the link is one connection
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), true);
  m.apply("0.25 link-up Clark>Jaquez");
  m.apply("0.3 crash Clark");
  assert.strictEqual(m.linkIsUp("Jaquez", "Clark"), false);
  assert.strictEqual(m.serverState.Clark, "crashed");
  assert.strictEqual(m.linkIsUp("Bona", "Clark"), false);
  m.apply("0.4 restart Clark");
  assert.strictEqual(m.serverState.Clark, undefined);
  m.apply("0.5 pause Bona");
  assert.strictEqual(m.serverState.Bona, "paused");
  m.apply("0.6 resume Bona");
  assert.strictEqual(m.serverState.Bona, undefined);
});

test("the herd's word on its links replaces what the events said, however late the page opened", () => {
  const m = new Live.Model();
  // A page that heard the crash but not the restart's reconnections (nobody watched then).
  m.apply("0.1 link-up Clark>Bona");
  m.apply("0.3 crash Bona");
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), false);
  const server = name => ({ name, state: "up", store: [] });
  m.load({ servers: [server("Clark"), server("Bona"), server("Jaquez")],
           links: [{ from: "Clark", to: "Bona", up: true }, { from: "Bona", to: "Clark", up: true },
                   { from: "Clark", to: "Jaquez", up: false }] });
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), true);
  assert.strictEqual(m.linkIsUp("Jaquez", "Clark"), false);  // down, though no event said so here
  m.apply("0.5 link-up Jaquez>Clark");  // the events after the load still count
  assert.strictEqual(m.linkIsUp("Clark", "Jaquez"), true);
  // Other herds' servers say nothing of their links: a crash's mark ends with the next load.
  m.apply("0.6 crash Clark");
  m.load({ servers: [server("Clark")], links: [{ from: "Clark", to: "Bona" }] });
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), true);
});

test("events older than the loaded state do not undo it; newer ones and a branch's do", () => {
  const m = new Live.Model();
  const bona = { name: "Bona", state: "up", store: [{ client: "kiwi", line: "AT Bona +0.1 kiwi +1+1 5.0" }] };
  m.load({ servers: [bona], links: [{ from: "Bona", to: "Clark", up: true }], clock: { now_s: 10 } });
  // The backlog a late page is sent: Bona crashed and lost its store, long before the state.
  m.apply("4.0 stored Bona AT Bona +0.1 gone +1+1 3.0");
  m.apply("6.0 crash Bona");
  m.apply("6.1 link-down Clark>Bona connection lost");
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), true);
  assert.deepStrictEqual(m.shown("Bona").rows, ["AT Bona +0.1 kiwi +1+1 5.0"]);
  m.apply("11.0 crash Bona");  // after the state: it counts
  assert.strictEqual(m.linkIsUp("Clark", "Bona"), false);
  assert.deepStrictEqual(m.shown("Bona").rows, []);
  // A branch is a herd whose times start again: its replayed events all count.
  m.apply("12.0 branch 1 2.000000000 crash Clark");
  m.apply("1.0 stored Bona AT Bona +0.1 kiwi +1+1 0.5");
  assert.deepStrictEqual(m.shown("Bona").rows, ["AT Bona +0.1 kiwi +1+1 0.5"]);
});

test("a load without stores (the page's timer) leaves later-delivered store events in force", () => {
  const m = new Live.Model();
  const bona = store => ({ name: "Bona", state: "up", store, store_size: 1 });
  m.load({ servers: [bona([{ client: "kiwi", line: "AT Bona +0.1 kiwi +1+1 5.0" }])], links: [],
           clock: { now_s: 10 } });
  m.load({ servers: [bona([])], links: [], clock: { now_s: 20 } }, false);
  // An event of t = 15 the page reads only now, behind the timer's load: the stores are its own.
  m.apply("15.0 stored Bona AT Bona +0.1 kiwi +2+2 14.0");
  assert.deepStrictEqual(m.shown("Bona").rows, ["AT Bona +0.1 kiwi +2+2 14.0"]);
  m.apply("9.0 stored Bona AT Bona +0.1 kiwi +3+3 8.0");  // older than the load with stores
  assert.deepStrictEqual(m.shown("Bona").rows, ["AT Bona +0.1 kiwi +2+2 14.0"]);
});

test("a due line gives the messages it names their delivery time; held ones have none", () => {
  const m = new Live.Model();
  m.apply("0.100000 sent Clark>Jaquez#7.3 " + at);
  m.apply("0.100000 sent Clark>Jaquez#7.4 " + at.replace("kiwi", "lime"));
  m.apply("0.100000 sent Clark>Bona#8.1 " + at);  // a held link: no due line comes
  m.apply("0.100000 due Clark>Jaquez#7.4 0.400000");
  assert.strictEqual(m.inFlight["Clark>Jaquez#7.3"].due, 0.4);
  assert.strictEqual(m.inFlight["Clark>Jaquez#7.4"].due, 0.4);
  assert.strictEqual(m.inFlight["Clark>Bona#8.1"].due, undefined);
  // Its place on the link is its share of the way in the herd's time, frozen while time is.
  const msg = m.inFlight["Clark>Jaquez#7.3"];
  assert.strictEqual(Live.progress(msg, 0.1), 0);
  assert.ok(Math.abs(Live.progress(msg, 0.25) - 0.5) < 1e-9);
  assert.strictEqual(Live.progress(msg, 0.7), 1);
  assert.strictEqual(Live.progress(m.inFlight["Clark>Bona#8.1"], 0.7), null);
  // Released later, a held line gets its time from the next due line of its direction.
  m.apply("0.900000 due Clark>Bona#8.1 0.900050");
  assert.strictEqual(m.inFlight["Clark>Bona#8.1"].due, 0.90005);
  assert.deepStrictEqual(m.undue, {});
});

test("the herd's clock runs at its speed from a reading, stops when paused, events move it on", () => {
  const c = new Live.HerdClock();
  c.sync(2, false, 0.001, 1000);
  assert.ok(Math.abs(c.now(3000) - 2.002) < 1e-9);  // two wall seconds at 1/1000
  c.sync(2.002, true, 0.001, 3000);
  assert.strictEqual(c.now(60000), 2.002);          // paused: a minute later, the same place
  c.see(2.5, 61000);                                 // a step's delivery moves it on
  assert.strictEqual(c.now(61000), 2.5);
  c.see(2.4, 62000);                                 // an older event does not move it back
  assert.strictEqual(c.now(62000), 2.5);
  assert.strictEqual(Live.speedLabel(Live.speedOf(-3)), "1/1,000");
  assert.strictEqual(Live.speedLabel(Live.speedOf(1)), "\u00d710");
});

test("a branch line starts the model afresh, counts too, and says where the branch left the run", () => {
  const m = new Live.Model();
  m.apply("0.1 sent Clark>Bona#8.1 " + at);
  m.apply("0.1 stored Clark " + at);
  m.apply("0.2 crash Jaquez");
  const e = m.apply("0.000000000 branch 2 1.250000000 crash Bona; cut Clark -> Bona");
  assert.deepStrictEqual(e.branch, { number: 2, at: 1.25, did: "crash Bona; cut Clark -> Bona" });
  assert.deepStrictEqual(m.counts, { sent: 0, delivered: 0, dropped: 0, stored: 0, stale: 0, accepted: 0 });
  assert.deepStrictEqual(m.inFlight, {});
  assert.deepStrictEqual(m.holders("kiwi"), []);
  assert.deepStrictEqual(m.serverState, {});
  assert.strictEqual(m.clients.size, 0);
});

test("on real sockets a slowed link's message is due its latency after its send", () => {
  const links = [{ from: "Clark", to: "Bona", faults: { latency_ms: 300 } },
                 { from: "Bona", to: "Clark", faults: { latency_ms: 0 } }];
  assert.strictEqual(Live.expectedDue({ from: "Clark", to: "Bona", sentAt: 2 }, links), 2.3);
  assert.strictEqual(Live.expectedDue({ from: "Bona", to: "Clark", sentAt: 2 }, links), undefined);
  assert.strictEqual(Live.expectedDue({ from: "Bona", to: "Clark", sentAt: 2 }, undefined), undefined);
});

test("a lane line runs from the send to the delivery in the herd's time, or to where it is now", () => {
  const m = { sentAt: 1, due: 3 };
  assert.deepStrictEqual(Live.laneSegment(m, 2), { t1: 1, t2: 2, along: 0.5 });   // half way
  assert.deepStrictEqual(Live.laneSegment(m, 5), { t1: 1, t2: 3, along: 1 });     // arrived at 3
  assert.deepStrictEqual(Live.laneSegment({ sentAt: 1 }, 4), { t1: 1, t2: 4, along: 0 });  // held
  assert.deepStrictEqual(Live.laneSegment({ sentAt: 1, arrivedAt: 1.5 }, 4), { t1: 1, t2: 1.5, along: 1 });
});

test("a server's queue lists what is on its way to it and from it, oldest first, lost ones not", () => {
  const m = new Live.Model();
  m.apply("0.3 sent Clark>Bona#8.2 " + at);
  m.apply("0.1 sent Clark>Bona#8.1 " + at);
  m.apply("0.2 sent Bona>Jaquez#9.1 " + at);
  m.apply("0.2 sent Clark>Jaquez#7.1 " + at);
  m.apply("0.4 dropped Clark>Jaquez#7.1 cut");
  const q = Live.queueOf(m, "Bona");
  assert.deepStrictEqual(q.incoming.map(x => x.id), ["Clark>Bona#8.1", "Clark>Bona#8.2"]);
  assert.deepStrictEqual(q.outgoing.map(x => x.id), ["Bona>Jaquez#9.1"]);
  assert.deepStrictEqual(Live.queueOf(m, "Jaquez").incoming.map(x => x.id), ["Bona>Jaquez#9.1"]);
});

test("no update is drawn in red, the colour of a lost message", () => {
  for (let i = 0; i < 2000; i++) {
    const hue = Number(/hsl\((\d+),/.exec(Live.colour("AT Clark +0.1 c" + i + " +1+1 " + (1000 + i)))[1]);
    assert.ok(hue >= 25 && hue <= 335, "hue " + hue);
  }
});
