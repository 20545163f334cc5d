#include "core/node.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/client_budget.hpp"
#include "core/coro.hpp"
#include "core/idle_order.hpp"
#include "core/io/environment.hpp"
#include "core/io/tcp_environment.hpp"
#include "core/lazy_sync_index.hpp"
#include "core/line_splitter.hpp"
#include "core/location_store.hpp"
#include "core/log_text.hpp"
#include "core/node_log.hpp"
#include "core/note_throttle.hpp"
#include "core/open_files.hpp"
#include "core/pausable_executor.hpp"
#include "core/peer_auth.hpp"
#include "core/peer_link.hpp"
#include "core/protocol.hpp"
#include "core/reconcile.hpp"
#include "core/stable_hash.hpp"

namespace herd {

namespace {

// A WHATSAT that passed validation and now waits for Places.
struct PendingWhatsat {
  NearbyQuery query;
  std::string at_line;
};

// "open-file limit 20000, raised from 1024 at start"
std::string describe_open_files() {
  auto raise = last_open_file_raise();
  std::string text = "open-file limit " + std::to_string(open_file_limit());
  if (raise.now > raise.before)
    text += ", raised from " + std::to_string(raise.before) + " at start";
  return text;
}

}  // namespace

constexpr std::size_t no_link = static_cast<std::size_t>(-1);

namespace {

// The client a line would be stored under, found without parsing it (an AT's fourth field, an
// IAMAT's second): only a hint for fetching the store early (LocationStore::look_ahead). Empty
// for any other line.
std::string_view client_field_guess(std::string_view line) {
  if (line.starts_with("AT ")) return at_line_client(line);
  if (line.starts_with("IAMAT ")) {
    std::array<std::string_view, 2> fields;
    return split_fields(line, fields) >= 2 ? fields[1] : std::string_view{};
  }
  return {};
}

}  // namespace

// One accepted connection: a client, or another server's link once it says so. It holds a small
// read buffer and no timer (the node's idle order times it out), so ten thousand idle clients
// cost little.
struct Session {
  Session(std::unique_ptr<io::Stream> s, std::uint64_t i) : stream(std::move(s)), id(i) {}
  std::unique_ptr<io::Stream> stream;
  std::uint64_t id;
  std::string label;             // "[127.0.0.1:60456]", or "[Jaquez]" once a neighbour greets
  std::array<char, 512> buffer;  // what the last read brought; lines are handled in place
  std::string in;                // the part of a line not yet complete
  std::string out;               // replies not yet written
  // Another server's link: it greeted us from the neighbour's address, or authenticated. Links
  // are exempt from the idle timeout and hold no client slot. An AT line alone makes no link:
  // anyone can send one.
  bool is_peer = false;
  std::string peer_name;  // the neighbour it greeted as, if it did
  // That neighbour's place among the node's links, when one link has its name: a flood skips it
  // by place, without reading the name of every link.
  std::size_t peer_link = no_link;
  // The handshake of peer_auth.hpp, with a peer secret.
  std::string hello_from, link_nonce, node_nonce;
  bool refused = false;  // a failed handshake ends the connection once the reply is written
  bool counted = true;   // holds a client slot
  std::optional<IdleOrder::Handle> idle;  // its place in the node's idle order, while listed
};

struct Node::Impl : LinkOwner, std::enable_shared_from_this<Node::Impl> {
  Impl(NodeOptions opts, EventSink events, std::shared_ptr<io::Environment> environment)
      : options(std::move(opts)),
        sink(std::move(events)),
        env(std::move(environment)),
        strand(env->strand()),
        gate(std::make_shared<PauseGate>(strand)),
        exec(env->gated(gate)),
        flush_timer(env->make_timer(exec)),
        idle_timer(env->make_timer(exec)),
        slot_free(env->make_timer(exec)) {
    if (!options.client_budget && options.max_clients == 0)
      options.client_budget = std::make_shared<ClientBudget>(
          client_budget_slots(open_file_limit(), 1, options.peers.size()));
    if (options.max_clients == 0) options.max_clients = options.client_budget->slots();
  }

  NodeOptions options;
  EventSink sink;
  // Sockets, timers, both clocks, randomness, Places and the strand: real, or the simulator's.
  std::shared_ptr<io::Environment> env;
  asio::any_io_executor strand;            // control that must reach a paused node: stop, snapshot
  std::shared_ptr<PauseGate> gate;         // closed while the node is paused
  asio::any_io_executor exec;              // everything the node does runs here
  std::unique_ptr<io::Listener> listener;  // once bound
  std::unique_ptr<io::Timer> flush_timer;
  std::unique_ptr<io::Timer> idle_timer;  // wakes when the longest-idle client times out
  std::unique_ptr<io::Timer> slot_free;   // the accept loop sleeps on it while every client is busy
  LocationStore store;
  // The same records ordered for reconciliation with neighbours (anti-entropy mode only).
  LazySyncIndex records_in_order;
  std::size_t stored_line_bytes = 0;  // what a snapshot of the store sends
  // Neighbours whose links greeted or authenticated to us: Herd servers, which reconcile.
  std::set<std::string, std::less<>> herd_neighbours;
  std::string at_scratch;  // the AT line being made for an IAMAT, reused to spare an allocation
  NodeLog log;
  std::vector<std::shared_ptr<PeerLink>> links;
  // Ordered: closing them all (a stop) must go the same way in every run of a simulation.
  std::map<std::uint64_t, Session*> sessions;
  std::unordered_map<std::string, Session*> greeted;  // each neighbour's current link to us
  IdleOrder idle;
  std::size_t counted_clients = 0;       // what max_clients caps
  ClientBudget::MemberId budget_id = 0;  // our place in options.client_budget, once started
  NoteThrottle stderr_notes{20, 1000};
  std::uint64_t next_session_id = 1;
  std::uint16_t bound_port = 0;
  bool stopped = false;
  std::atomic<bool> started{false};  // set by start(); before it nothing runs on the strand

  void emit(EventKind kind, std::string_view peer, std::string_view text, std::size_t queue = 0) {
    if (!sink || stopped) return;
    emit_at(env->wall_ns(), kind, peer, text, queue);
  }
  void emit_at(std::int64_t time_ns, EventKind kind, std::string_view peer, std::string_view text,
               std::size_t queue = 0, std::string_view client = {}) {
    if (!sink || stopped) return;
    sink(NodeEvent{kind, options.name, peer, text, time_ns, queue, client, options.herd_index});
  }
  // An update event, with the record's client as the parse found it.
  void emit_update(EventKind kind, std::string_view line, std::string_view client) {
    if (!sink || stopped) return;
    emit_at(env->wall_ns(), kind, {}, line, 0, client);
  }

  void note(std::string_view what, std::string_view text, bool also_stderr = false) {
    log.write(env->wall_ns(), what, text);
    if (also_stderr) tell_stderr(what, text);
  }

  // Repeated notes (a client hammering a limit) would flood a terminal: a few a second go out,
  // the log keeps them all.
  void tell_stderr(std::string_view what, std::string_view text) {
    if (!options.log_to_stderr) return;
    std::size_t held_back = 0;
    if (!stderr_notes.allow(env->steady_ms(), held_back)) return;
    if (held_back > 0)
      std::fprintf(stderr, "%s: (%zu more notes not shown here; the log has them)\n",
                   options.name.c_str(), held_back);
    // A client's bytes never drive the terminal (log_text.hpp).
    std::string safe;
    append_log_text(safe, text, log_text_most);
    std::fprintf(stderr, "%s: %.*s %s\n", options.name.c_str(), static_cast<int>(what.size()),
                 what.data(), safe.c_str());
  }

  // LinkOwner
  void on_link_event(const PeerEndpoint& peer, EventKind kind, std::string_view text,
                     std::size_t queue_bytes) override {
    std::string label = "[" + peer.name + "]";
    switch (kind) {
      case EventKind::link_up:
        note("LINK-UP", label + " " + peer.host + ":" + std::to_string(peer.port), true);
        break;
      case EventKind::link_down:
        note("LINK-DOWN", label + " " + std::string(text), true);
        break;
      default:
        break;
    }
    emit(kind, peer.name, text, queue_bytes);
  }

  void on_link_lines(const PeerEndpoint& peer, std::string_view label, EventKind kind,
                     std::string_view lines, std::size_t queue_bytes) override {
    // One clock reading for the batch: a write carries every line queued while the last was in
    // flight, and they went out together.
    auto now = env->wall_ns();
    bool out = kind == EventKind::line_out;
    for_each_line(lines, [&](std::string_view line) {
      if (out)
        log.write(now, "OUT", label, line);
      else
        log.write(now, "IN", label, "(reply on our link)", line);
      if (out || options.line_in_events) emit_at(now, kind, peer.name, line, queue_bytes);
    });
  }

  void on_link_note(const PeerEndpoint& peer, std::string_view text, bool also_stderr) override {
    note("NOTE", "[" + peer.name + "] " + std::string(text), also_stderr);
  }

  void for_each_record(const std::function<void(std::string_view)>& visit) const override {
    store.for_each([&visit](const RecordView& r) { visit(r.line); });
  }

  const reconcile::Index* sync_index() override {
    return options.classic ? nullptr : &records_in_order.current(store);
  }

  std::optional<std::string_view> record_of(std::string_view client) const override {
    if (auto found = store.find(client)) return found->line;
    return std::nullopt;
  }

  std::size_t store_bytes() const override { return stored_line_bytes; }

  bool speaks_herd(std::string_view neighbour) const override {
    return herd_neighbours.count(neighbour) > 0;
  }

  // A neighbour's reconciliation message, on its link to us: answered with what this store
  // holds, in bounded work (reconcile.hpp). Anyone else, or a classic node, answers "? ".
  void handle_sync(std::string_view line, Session& session, std::int64_t received_ns) {
    log.write(received_ns, "IN", session.label, line);
    if (!session.is_peer || options.classic) {
      reply(session, format_invalid(line));
      return;
    }
    auto answer = reconcile::respond(records_in_order.current(store), line);
    if (!answer) {
      note("PEER", session.label + " reconciliation message refused: " + answer.error(), true);
      reply(session, format_invalid(line));
      return;
    }
    reply(session, *answer);
  }

  void reply(Session& session, std::string_view line) { reply(session, line, env->wall_ns()); }
  // With the time the line was handled: an answer made at once is logged at that time.
  void reply(Session& session, std::string_view line, std::int64_t time_ns) {
    session.out.append(line).push_back('\n');
    log.write(time_ns, "OUT", session.label, line);
    emit(EventKind::line_out, {}, line);
  }

  // Why a record cannot be kept at all, whatever the store holds; nullopt when it can.
  std::optional<std::string> refusal(const RecordView& record, std::string_view client) const {
    if (client.size() > options.max_client_id_bytes)
      return "client ID of " + std::to_string(client.size()) + " bytes, over the " +
             std::to_string(options.max_client_id_bytes) + " allowed";
    if (options.max_clock_skew_s > 0) {
      auto limit = static_cast<__int128>(env->wall_ns()) +
                   static_cast<__int128>(options.max_clock_skew_s) * 1'000'000'000;
      if (to_nanos(record.time) > limit)
        return "client time more than " + std::to_string(options.max_clock_skew_s) +
               " s ahead of this server's clock; not stored or flooded";
    }
    if (store.size() >= options.max_records && !store.find(client))
      return "store full (" + std::to_string(options.max_records) +
             " clients); a new client is not stored or flooded";
    return std::nullopt;
  }

  enum class Offer { stored, stale, refused };

  // How the log tags a record's line in.
  static const char* offer_tag(Offer offer, bool had_extra_fields) {
    switch (offer) {
      case Offer::stored:
        return had_extra_fields ? "(stored without its extra fields)" : "(stored)";
      case Offer::stale:
        return had_extra_fields ? "(stale; extra fields ignored)" : "(stale)";
      case Offer::refused:
        return "(refused)";
    }
    return "";
  }

  // Stores a record if it is newer and floods it to every neighbour but the one it came from
  // (`from`, when that link said who it is). A record that cannot be kept is refused, with a
  // LIMIT line that says why, and goes nowhere.
  //
  // The origin is skipped only when the sender is unknown (then the origin is the likeliest
  // sender). An origin that crashed and restarted has lost its own updates, and a neighbour that
  // restarted too relearns them from the far side; skipping the origin then would leave it
  // without them for ever (virtual explore found this, seed 8234). Where the origin's own link
  // brings the update first, as it nearly always does, `from` is the origin and nothing extra is
  // sent.
  // `client` is the record's client field, as the parse that made `record` found it.
  // `from_link`: the place of `from`'s link (Session::peer_link), or no_link.
  Offer accept_record(const RecordView& record, std::string_view client, std::string_view from,
                      std::string_view label, std::size_t from_link = no_link) {
    if (auto why = refusal(record, client)) {
      note("LIMIT",
           std::string(label) + " " + *why + ": " + std::string(record.line.substr(0, 200)), true);
      emit_update(EventKind::update_refused, record.line, client);
      return Offer::refused;
    }
    each_link_but(from_link, [](const PeerLink& link) { link.look_ahead_stream(); });
    std::optional<LocationStore::Replaced> replaced;
    auto stored = store.offer(record, client, &replaced);
    if (!stored) {
      emit_update(EventKind::update_dropped, record.line, client);
      return Offer::stale;
    }
    stored_line_bytes += stored->line.size() + 1 - (replaced ? replaced->line_bytes + 1 : 0);
    if (!options.classic) records_in_order.changed(client, replaced);
    emit_update(EventKind::update_stored, stored->line, client);
    if (!from.empty() && from_link < links.size()) {
      each_link_but(from_link, [&stored](PeerLink& link) { link.push(stored->line); });
      return Offer::stored;
    }
    auto skip = from.empty() ? stored->server() : from;
    for (auto& link : links)
      if (link->peer().name != skip) link->push(stored->line);
    return Offer::stored;
  }

  // Calls visit(link) for every link but the one at `skip` (no_link: every one).
  template <typename Visit>
  void each_link_but(std::size_t skip, Visit&& visit) const {
    for (std::size_t i = 0; i < links.size(); ++i)
      if (i != skip) visit(*links[i]);
  }

  // Where the one link to a neighbour named `name` stands in links, or no_link when none or
  // several have that name. Links are made once, at the start, and kept till the node stops.
  [[nodiscard]] std::size_t link_place(std::string_view name) const {
    std::size_t place = no_link;
    for (std::size_t i = 0; i < links.size(); ++i) {
      if (links[i]->peer().name != name) continue;
      if (place != no_link) return no_link;
      place = i;
    }
    return place;
  }

  [[nodiscard]] const PeerEndpoint* neighbour(std::string_view name) const {
    for (const auto& peer : options.peers)
      if (peer.name == name) return &peer;
    return nullptr;
  }

  // A client slot and an idle-order place are for clients; links have neither.
  // A client that is busy or gone leaves the idle order.
  void unlist_idle(Session& session) {
    if (!session.idle) return;
    idle.remove(*session.idle);
    session.idle.reset();
  }

  void release_slot(Session& session) {
    unlist_idle(session);
    if (!session.counted) return;
    session.counted = false;
    --counted_clients;
    if (options.client_budget) options.client_budget->give_back(budget_id);
    slot_free->cancel();
  }

  // A client waiting for its next line joins the back of the idle order.
  void list_idle(Session& session) {
    if (idle.empty()) {
      idle_timer->cancel();  // it sleeps for ever on an empty order
      slot_free->cancel();   // a full node can admit a client again, by closing this one
    }
    session.idle = idle.add(session.id, env->steady_ms());
  }

  // The node closes a client it has to let go (idle too long, or making room), saying why.
  void close_client(Session& session, const std::string& why, bool also_stderr) {
    note("LIMIT", why, also_stderr);
    release_slot(session);
    session.stream->close();
  }

  void become_peer(Session& session) {
    session.is_peer = true;
    release_slot(session);
  }

  // A neighbour's link said who it is: label its lines by name and do not echo its updates.
  // `proven`: it authenticated, so an older connection under its name is certainly dead.
  void identify(Session& session, const std::string& name, bool proven) {
    auto current = greeted.find(name);
    Session* older =
        current != greeted.end() && current->second != &session ? current->second : nullptr;
    if (older != nullptr && !proven) {
      // Anyone can send a greeting, so without a secret it cannot be told from the neighbour's:
      // the link that greeted first keeps its place (and its exemption from the idle timeout),
      // and this one is served as a client. A neighbour that really reconnected while its old
      // connection lingers gets its place when that one closes and it greets again (a client
      // connection falls to the idle timeout like any other, and the neighbour reconnects).
      note("PEER",
           session.label + " greeted as " + name + " while " + name +
               "'s link is up; treated as a client",
           true);
      return;
    }
    // A session that greets again under another name gives up the first: the map must never
    // keep a session under a name it no longer has (it would outlive the session).
    if (!session.peer_name.empty() && session.peer_name != name)
      if (auto old = greeted.find(session.peer_name);
          old != greeted.end() && old->second == &session)
        greeted.erase(old);
    session.peer_name = name;
    session.peer_link = link_place(name);
    session.label = "[" + name + "]";
    become_peer(session);
    greeted[name] = &session;
    herd_neighbours.insert(name);
    if (older == nullptr) return;
    // Proven (an unproven greeting never gets here with an older link): a neighbour keeps one
    // link to us, so an older connection under its name is dead.
    note("PEER", session.label + " connected again; closing its older connection");
    older->stream->close();
  }

  // HERD-HELLO, and with a peer secret the handshake of peer_auth.hpp; true if `line` was one.
  bool handle_greeting(std::string_view line, Session& session) {
    auto first = line.find_first_not_of(" \t\r\n\f\v");
    if (first == std::string_view::npos || line.compare(first, 5, "HERD-") != 0) return false;
    std::array<std::string_view, 4> f{};
    std::size_t n = split_fields(line, f);
    if (n == 0 || !f[0].starts_with("HERD-")) return false;
    if (options.peer_secret.empty()) {
      if (n != 2 || f[0] != "HERD-HELLO") return false;
      const PeerEndpoint* peer = neighbour(f[1]);
      if (peer == nullptr) return false;
      if (!env->may_come_from(session.stream->peer_host(), peer->name, peer->host)) {
        log.write(env->wall_ns(), "IN", session.label, line);
        note("PEER",
             session.label + " greeted as " + peer->name + ", whose address is " + peer->host +
                 "; treated as a client",
             true);
        return true;
      }
      identify(session, peer->name, false);
      // Logged under the name it gave, when it was believed.
      log.write(env->wall_ns(), "IN", session.label, line);
      return true;
    }
    if (n == 4 && f[0] == "HERD-HELLO") {
      log.write(env->wall_ns(), "IN", session.label, line);
      if (f[2] != options.name || !is_nonce(f[3])) {
        note("PEER",
             session.label + " began a handshake as " + std::string(f[1].substr(0, 64)) +
                 (f[2] != options.name ? " meant for " + std::string(f[2].substr(0, 64)) +
                                             ", not for " + options.name
                                       : " with a malformed nonce") +
                 "; closing",
             true);
        reply(session, format_invalid(line));
        session.refused = true;
        return true;
      }
      session.hello_from = std::string(f[1]);
      session.link_nonce = std::string(f[3]);
      session.node_nonce = env->nonce();
      reply(session, "HERD-CHALLENGE " + session.node_nonce + " " +
                         node_proof(options.peer_secret, session.hello_from, options.name,
                                    session.link_nonce, session.node_nonce));
      return true;
    }
    if (n == 2 && f[0] == "HERD-AUTH" && !session.node_nonce.empty()) {
      log.write(env->wall_ns(), "IN", session.label, line);
      auto expected = link_proof(options.peer_secret, session.hello_from, options.name,
                                 session.link_nonce, session.node_nonce);
      if (secrets_equal(expected, f[1])) {
        note("PEER", session.label + " authenticated as " + session.hello_from, true);
        if (neighbour(session.hello_from) != nullptr)
          identify(session, session.hello_from, true);
        else
          become_peer(session);
      } else {
        note("PEER",
             session.label + " failed to authenticate as " + session.hello_from + "; closing",
             true);
        reply(session, format_invalid(line));
        session.refused = true;
      }
      return true;
    }
    return false;
  }

  std::optional<PendingWhatsat> handle_line(std::string_view line, Session& session) {
    if (stopped) return std::nullopt;
    // The store, and the links a flood goes on, are fetched while the line is read
    // (LocationStore::look_ahead, PeerLink::look_ahead).
    auto ahead = store.look_ahead(client_field_guess(line));
    each_link_but(session.peer_link, [](const PeerLink& link) { __builtin_prefetch(&link); });
    auto received_ns = env->wall_ns();
    if (options.line_in_events) emit(EventKind::line_in, session.peer_name, line);
    if (handle_greeting(line, session)) return std::nullopt;
    if (reconcile::is_sync_message(line)) {
      handle_sync(line, session, received_ns);
      return std::nullopt;
    }
    auto command = parse_command(line);
    store.look_ahead_line(ahead);
    each_link_but(session.peer_link, [](const PeerLink& link) { link.look_ahead(); });
    if (std::holds_alternative<AtMessage>(command) && !options.peer_secret.empty() &&
        !session.is_peer) {
      log.write(received_ns, "IN", session.label, line);
      note("PEER", session.label + " AT from a connection that did not authenticate; refused",
           true);
      reply(session, format_invalid(line));
      return std::nullopt;
    }
    if (auto* iamat = std::get_if<IamatCommand>(&command)) {
      if (iamat->client.size() > options.max_client_id_bytes) {
        // Not a client this server can keep: the reply says so, as to any line it cannot serve.
        log.write(received_ns, "IN", session.label, line);
        note("LIMIT",
             session.label + " IAMAT with a client ID of " + std::to_string(iamat->client.size()) +
                 " bytes, over the " + std::to_string(options.max_client_id_bytes) + " allowed",
             true);
        reply(session, format_invalid(line));
        return std::nullopt;
      }
      at_scratch.clear();
      append_at(at_scratch, options.name, received_ns, *iamat);
      auto offer = accept_record({iamat->time, at_scratch}, iamat->client, {}, session.label);
      // An older or refused report is still answered; the log says it changed nothing.
      log.write(received_ns, "IN", session.label, offer_tag(offer, false), line);
      reply(session, at_scratch, received_ns);
    } else if (auto* at = std::get_if<AtMessage>(&command)) {
      auto offer = accept_record(record_from_at(*at), at->client, session.peer_name, session.label,
                                 session.peer_link);
      log.write(received_ns, "IN", session.label, offer_tag(offer, at->had_extra_fields), line);
    } else if (auto* whatsat = std::get_if<WhatsatCommand>(&command)) {
      log.write(received_ns, "IN", session.label, line);
      auto known = store.find(whatsat->client);
      if (!known) {
        note("NOTE", session.label + " WHATSAT for unknown client");
        reply(session, format_invalid(line));
        return std::nullopt;
      }
      auto stored = parse_command(known->line);
      const auto& location = std::get<AtMessage>(stored).location;
      PendingWhatsat pending;
      pending.query.latitude = std::string(location.latitude_text);
      pending.query.longitude = std::string(location.longitude_text);
      pending.query.radius_metres = format_radius_metres(whatsat->radius_km);
      pending.query.bound = whatsat->bound;
      pending.at_line = std::string(known->line);
      return pending;
    } else {
      log.write(received_ns, "IN", session.label, line);
      note("NOTE", session.label + " invalid: " + std::get<InvalidCommand>(command).reason);
      reply(session, format_invalid(line));
    }
    return std::nullopt;
  }

  void close_everything() {
    if (stopped) return;
    stopped = true;
    if (listener) listener->close();
    for (auto& [id, session] : sessions) session->stream->close();
    for (auto& link : links) link->stop();
    links.clear();
    flush_timer->cancel();
    idle_timer->cancel();
    slot_free->cancel();
    if (options.client_budget && budget_id != 0) options.client_budget->leave(budget_id);
    budget_id = 0;
    if (started) note("STOP", "node stopped", true);
    log.close();
  }
};

namespace {

using ImplPtr = std::shared_ptr<Node::Impl>;

auto log_failure(ImplPtr node, const char* what) {
  return [node, what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      node->note("ERROR", std::string(what) + ": " + ex.what(), true);
    }
  };
}

// Writes what the session has to say at once, as far as the socket takes it (all of it, nearly
// always): true when something is left for an asynchronous write.
bool write_now(Session& session, error_code& ec) {
  if (session.out.empty() || ec) return false;
  std::size_t written = session.stream->write_some(asio::buffer(session.out), ec);
  if (ec) return false;
  session.out.erase(0, written);
  return !session.out.empty();
}

// The rest, when the socket did not take it all.
asio::awaitable<void> write_rest(Session& session, error_code& ec) {
  auto [write_ec, n] =
      co_await io::async_write(*session.stream, asio::buffer(session.out), use_tuple);
  ec = write_ec;
  session.out.clear();
}

asio::awaitable<void> serve_client(ImplPtr node, std::shared_ptr<Session> session) {
  auto& s = *session;
  // Its start may have been held by the pause gate past a stop: it would hold a socket no one
  // closes.
  if (node->stopped) {
    node->release_slot(s);
    s.stream->close();
    co_return;
  }
  node->sessions.emplace(s.id, &s);
  node->list_idle(s);
  struct Unregister {
    Node::Impl& node;
    Session& session;
    ~Unregister() {
      node.release_slot(session);
      node.sessions.erase(session.id);
      if (!session.peer_name.empty()) {
        auto it = node.greeted.find(session.peer_name);
        if (it != node.greeted.end() && it->second == &session) node.greeted.erase(it);
      }
    }
  } unregister{*node, s};

  error_code ec;
  bool at_eof = false, too_long = false;
  const std::size_t max_line = node->options.max_line_bytes;

  // Handles one line at once; a WHATSAT comes back to be answered after Places.
  auto handle = [&](std::string_view line) -> std::optional<PendingWhatsat> {
    if (line.size() > max_line) {
      too_long = true;
      return std::nullopt;
    }
    auto pending = node->handle_line(line, s);
    if (!pending && s.idle) node->idle.touch(*s.idle, node->env->steady_ms());
    return pending;
  };
  // A WHATSAT first sends what is already answered, then waits for Places.
  auto answer_whatsat = [&](PendingWhatsat pending) -> asio::awaitable<void> {
    // Busy: neither idle nor the one to close when the node is full.
    node->unlist_idle(s);
    if (write_now(s, ec)) co_await write_rest(s, ec);
    auto answer =
        co_await io::async_fetch_places(*node->env, node->exec, pending.query, asio::use_awaitable);
    if (!answer.problem.empty()) node->note("PLACES", answer.problem, true);
    node->reply(s, pending.at_line + "\n" + answer.body + "\n");
    if (s.counted && !node->stopped) node->list_idle(s);
  };

  std::size_t fresh = 0;  // bytes just read into s.buffer
  while (!ec && !too_long && !s.refused) {
    // Lines are read where they are: in the session's buffer when nothing was left over (the
    // usual case, one request per read), else after what was.
    std::string_view data(s.buffer.data(), fresh);
    if (!s.in.empty()) {
      s.in.append(data);
      data = s.in;
    }
    fresh = 0;
    LineCursor lines(data);
    while (!ec && !too_long && !s.refused) {
      auto line = lines.next();
      if (!line) break;
      auto pending = handle(strip_line_end(*line));
      if (pending) co_await answer_whatsat(std::move(*pending));
    }
    if (data.data() == s.in.data())
      s.in.erase(0, lines.taken());
    else
      s.in.assign(lines.rest());
    too_long = too_long || s.in.size() > max_line;
    if (at_eof && !s.in.empty() && !ec && !too_long && !s.refused) {
      // SPEC.md: a last line without a newline still counts once the client half-closes.
      auto pending = handle(strip_line_end(s.in));
      if (pending) co_await answer_whatsat(std::move(*pending));
      s.in.clear();
    }
    if (too_long) {
      // The line itself is not echoed: it may be megabytes, and the rest of it never comes.
      node->note("LIMIT", s.label + " line over " + std::to_string(max_line) + " bytes; closing",
                 true);
      node->reply(s, "? [line over " + std::to_string(max_line) + " bytes]");
    }
    if (write_now(s, ec)) co_await write_rest(s, ec);
    if (at_eof || ec || too_long || s.refused) break;
    if (s.in.capacity() > 4096 && s.in.size() < 1024) s.in.shrink_to_fit();
    // A read (not a wait and a read): Asio keeps the socket registered for input, so a request
    // costs one receive, with no epoll_ctl per wait.
    auto [read_ec, n] = co_await io::async_read_some(*s.stream, asio::buffer(s.buffer), use_tuple);
    if (read_ec == asio::error::eof) {
      at_eof = true;
    } else if (read_ec) {
      ec = read_ec;
    } else {
      fresh = n;
    }
  }
  if (at_eof || too_long || s.refused) s.stream->shutdown_send();
  s.stream->close();
}

// Closes the longest-idle client to make room for a new one, as a busy web server drops idle
// keep-alive connections; false when every client is busy.
bool evict_longest_idle(Node::Impl& node, const std::string& why) {
  if (node.idle.empty()) return false;
  auto oldest = node.idle.oldest();
  auto it = node.sessions.find(oldest.id);
  if (it == node.sessions.end()) return false;
  Session& victim = *it->second;
  node.close_client(victim,
                    why + "; closing the longest idle, " + victim.label + " (idle " +
                        std::to_string(node.env->steady_ms() - oldest.since_ms) + " ms)",
                    false);
  return true;
}

std::string full_reason(const Node::Impl& node) {
  if (node.counted_clients >= node.options.max_clients)
    return std::to_string(node.options.max_clients) + " clients open";
  return "the process's " + std::to_string(node.options.client_budget->slots()) +
         " client connections are in use";
}

[[nodiscard]] bool budget_spent(const Node::Impl& node) {
  return node.options.client_budget && node.options.client_budget->exhausted();
}

// Sleeps while no new client could be admitted: the node (or the process's budget) is full and
// none of the node's clients is idle, so none can be closed to make room. A node whose own
// clients are all busy asks the budget to have another server close an idle one.
asio::awaitable<void> wait_for_room(Node::Impl& node) {
  bool reported = false;
  while (!node.stopped && node.idle.empty() &&
         (node.counted_clients >= node.options.max_clients || budget_spent(node))) {
    if (node.counted_clients < node.options.max_clients) {
      node.options.client_budget->reclaim_for(node.budget_id);
      // A slot that came back just before we asked would wake nobody.
      if (!budget_spent(node)) continue;
    }
    if (!reported) node.note("LIMIT", full_reason(node) + " and none idle; new ones wait", true);
    reported = true;
    node.slot_free->expires_never();
    co_await io::async_wait(*node.slot_free, use_tuple);
  }
}

// Takes a client slot for a connection just accepted, closing the longest-idle client if that
// is what it takes; false if the node stopped meanwhile.
asio::awaitable<bool> take_slot(Node::Impl& node) {
  while (!node.stopped) {
    bool own_room = node.counted_clients < node.options.max_clients;
    if (own_room &&
        (!node.options.client_budget || node.options.client_budget->try_take(node.budget_id))) {
      ++node.counted_clients;
      co_return true;
    }
    if (evict_longest_idle(node, full_reason(node))) continue;
    // Every client of ours turned busy while the accept was pending: this one waits too.
    co_await wait_for_room(node);
  }
  co_return false;
}

asio::awaitable<void> accept_loop(ImplPtr node) {
  while (!node->stopped) {
    // New connections wait in the listen backlog while no client can make room.
    co_await wait_for_room(*node);
    auto [ec, stream] = co_await io::async_accept(*node->listener, use_tuple);
    if (node->stopped) break;
    if (ec) {
      bool out_of_descriptors =
          ec == asio::error::no_descriptors || ec == std::errc::too_many_files_open_in_system;
      node->note("ERROR", "accept failed: " + ec.message(), true);
      // Out of descriptors: an idle client gives one back (here or, through the budget, at
      // another server of this process). Pause rather than spin, and keep serving.
      if (out_of_descriptors && !evict_longest_idle(*node, "out of file descriptors") &&
          node->options.client_budget)
        node->options.client_budget->reclaim_for(node->budget_id);
      auto pause = node->env->make_timer(node->exec);
      pause->expires_after(std::chrono::milliseconds(50));
      co_await io::async_wait(*pause, use_tuple);
      continue;
    }
    if (!co_await take_slot(*node)) {
      stream->close();
      break;
    }
    auto session = std::make_shared<Session>(std::move(stream), node->next_session_id++);
    session->label = "[" + session->stream->peer_label() + "]";
    asio::co_spawn(node->exec, serve_client(node, std::move(session)),
                   log_failure(node, "client session"));
  }
}

// Cuts off clients that complete no line for idle_timeout_ms (slowloris included: bytes without a
// newline are no progress). One timer for the whole node, set for the longest-idle client.
asio::awaitable<void> expire_idle_clients(ImplPtr node) {
  const auto timeout = node->options.idle_timeout_ms;
  while (!node->stopped) {
    if (node->idle.empty()) {
      node->idle_timer->expires_never();
      co_await io::async_wait(*node->idle_timer, use_tuple);
      continue;
    }
    auto oldest = node->idle.oldest();
    auto idle_for = node->env->steady_ms() - oldest.since_ms;
    if (idle_for < timeout) {
      node->idle_timer->expires_after(std::chrono::milliseconds(timeout - idle_for));
      co_await io::async_wait(*node->idle_timer, use_tuple);
      continue;
    }
    auto it = node->sessions.find(oldest.id);
    if (it == node->sessions.end()) break;  // cannot happen: a listed session is open
    Session& session = *it->second;
    node->close_client(session,
                       session.label + " idle for " + std::to_string(timeout) +
                           " ms without a complete line; closing",
                       true);
  }
}

asio::awaitable<void> flush_logs_periodically(ImplPtr node) {
  while (!node->stopped) {
    node->flush_timer->expires_after(std::chrono::milliseconds(500));
    co_await io::async_wait(*node->flush_timer, use_tuple);
    node->log.flush();
  }
}

}  // namespace

Node::Node(NodeOptions options, EventSink sink, std::shared_ptr<io::Environment> environment)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(sink), std::move(environment))) {}

Node::~Node() {
  stop();
}

Expected<void> Node::bind() {
  auto& node = *impl_;
  error_code ec;
  node.listener = node.env->listen(node.exec, node.options.listen_host, node.options.port, ec);
  if (ec)
    return fail("cannot listen on " + node.options.listen_host + ":" +
                std::to_string(node.options.port) + ": " + ec.message());
  node.bound_port = node.listener->port();
  if (auto opened = node.log.open(node.options.log_dir, node.options.name); !opened) {
    node.listener->close();
    return opened.failure();
  }
  // A full disk would otherwise lose log lines without a word.
  std::weak_ptr<Impl> weak = impl_;
  node.log.on_trouble([weak](const std::string& trouble) {
    if (auto n = weak.lock()) n->tell_stderr("ERROR", trouble);
  });
  return {};
}

std::uint16_t Node::port() const {
  return impl_->bound_port;
}
const std::string& Node::name() const {
  return impl_->options.name;
}

void Node::set_peers(std::vector<PeerEndpoint> peers) {
  impl_->options.peers = std::move(peers);
}

void Node::start() {
  auto node = impl_;
  node->started = true;
  asio::post(node->exec, [node] {
    if (node->stopped) return;
    if (auto& budget = node->options.client_budget) {
      std::weak_ptr<Impl> weak = node;
      auto exec = node->exec;
      node->budget_id =
          budget->join({[weak, exec] {
                          asio::post(exec, [weak] {
                            auto n = weak.lock();
                            if (n && !n->stopped)
                              (void)evict_longest_idle(*n, "another server needs a client slot");
                          });
                        },
                        [weak, exec] {
                          asio::post(exec, [weak] {
                            if (auto n = weak.lock()) n->slot_free->cancel();
                          });
                        }});
    }
    std::string clients = std::to_string(node->options.max_clients) + " clients";
    if (node->options.client_budget &&
        node->options.client_budget->slots() <= node->options.max_clients)
      clients = std::to_string(node->options.client_budget->slots()) +
                " clients in all, shared by this process's servers";
    node->note("START",
               "listening on " + node->options.listen_host + ":" +
                   std::to_string(node->bound_port) +
                   (node->options.classic ? " (classic)" : " (anti-entropy)") + "; up to " +
                   clients + " (" + describe_open_files() + ")",
               true);
    LinkSettings settings{node->options.classic,
                          node->options.reconnect_initial_ms,
                          node->options.reconnect_max_ms,
                          node->options.reconnect_stable_ms,
                          node->options.connect_timeout_ms,
                          node->options.seed ^ stable_hash(node->options.name),
                          node->options.name,
                          node->options.peer_secret};
    for (const auto& peer : node->options.peers) {
      node->links.push_back(
          std::make_shared<PeerLink>(node->exec, node->env, node, peer, settings));
      node->links.back()->start();
    }
    asio::co_spawn(node->exec, accept_loop(node), log_failure(node, "accept loop"));
    asio::co_spawn(node->exec, expire_idle_clients(node), log_failure(node, "idle clients"));
    if (node->log.enabled())
      asio::co_spawn(node->exec, flush_logs_periodically(node), log_failure(node, "log flush"));
  });
}

void Node::stop(std::function<void()> done) {
  auto node = impl_;
  if (!node->started) {
    // Only bound: nothing runs on the strand yet, and the io_context may not run at all (a herd
    // whose next server could not bind), so close here rather than wait for it.
    node->close_everything();
    if (done) done();
    return;
  }
  // Straight to the strand, past the pause gate: a paused node can be crashed. What it held back
  // then runs, finds everything closed, and ends.
  asio::post(node->strand, [node, done = std::move(done)] {
    node->close_everything();
    node->gate->resume();
    if (done) done();
  });
}

void Node::stop_and_wait() {
  // Where the caller runs the io_context itself, its next poll closes what the node held.
  if (impl_->env->runs_on_caller()) return stop();
  std::promise<void> closed;
  auto future = closed.get_future();
  stop([&closed] { closed.set_value(); });
  future.wait();
}

void Node::pause() {
  impl_->gate->pause();
  // Between the caller's own polls nothing of the node is running.
  if (impl_->env->runs_on_caller()) return;
  // Once this has run on the strand, whatever was running there has finished, and everything
  // after it is held by the gate.
  std::promise<void> quiet;
  auto future = quiet.get_future();
  asio::post(impl_->strand, [&quiet] { quiet.set_value(); });
  future.wait();
}

void Node::resume() {
  impl_->gate->resume();
}

void Node::snapshot(std::function<void(std::vector<std::string>)> done, std::size_t newest) const {
  auto node = impl_;
  // Past the pause gate: reading a paused node's memory is what a debugger does.
  asio::post(node->strand, [node, newest, done = std::move(done)] {
    std::vector<std::string> lines;
    if (newest >= node->store.size()) {
      lines.reserve(node->store.size());
      node->store.for_each([&lines](const RecordView& r) { lines.emplace_back(r.line); });
      return done(std::move(lines));
    }
    std::vector<RecordView> views;
    views.reserve(node->store.size());
    node->store.for_each([&views](const RecordView& r) { views.push_back(r); });
    auto later = [](const RecordView& a, const RecordView& b) {
      return a.time != b.time ? a.time > b.time : a.line < b.line;
    };
    auto keep = views.begin() + static_cast<std::ptrdiff_t>(newest);
    std::nth_element(views.begin(), keep, views.end(), later);
    for (auto it = views.begin(); it != keep; ++it) lines.emplace_back(it->line);
    done(std::move(lines));
  });
}

std::vector<std::string> Node::snapshot_wait(std::size_t newest) const {
  std::promise<std::vector<std::string>> result;
  auto future = result.get_future();
  snapshot([&result](std::vector<std::string> lines) { result.set_value(std::move(lines)); },
           newest);
  return future.get();
}

}  // namespace herd
