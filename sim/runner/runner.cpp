#include "sim/runner/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <variant>

#include "core/location_store.hpp"
#include "core/protocol.hpp"
#include "sim/report/progress.hpp"
#include "sim/report/run_record.hpp"
#include "sim/runner/request_pool.hpp"
#include "sim/workload/at_reading.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {
namespace {

// Why a traffic schedule stops before its end, if it must: it ran over its time budget (a herd
// too slow for the schedule), or the run is ending. Empty: go on.
std::string why_traffic_stops(Time& time, std::int64_t begin, std::int64_t budget_ns) {
  if (time.now_ns() - begin > budget_ns)
    return "stopped " + std::to_string(budget_ns / 1'000'000'000) +
           " s after it began, the herd too slow for the schedule";
  // The run is ending, or a branch's replay reached its moment (stop_at).
  if (time.stopping()) return "stopped: the run ended here";
  return {};
}

// "452 of 500 updates accepted (first error: ...)", as both senders end a traffic step.
std::string traffic_summary(std::size_t accepted, std::size_t planned, std::size_t sent,
                            const std::string& stopped_early, const std::string& first_error) {
  auto text = std::to_string(accepted) + " of " + std::to_string(planned) + " updates accepted";
  if (!stopped_early.empty()) text += " (" + std::to_string(sent) + " sent; " + stopped_early + ")";
  if (!first_error.empty()) text += " (first error: " + first_error + ")";
  return text;
}

}  // namespace

Runner::Runner(World& world, const Scenario& scenario, RunnerOptions options)
    : world_(world),
      scenario_(scenario),
      options_(std::move(options)),
      random_(scenario.seed ^ 0x7a11c0ffeeULL),
      began_(std::chrono::steady_clock::now()) {}

std::optional<std::string> Runner::cannot_run() const {
  if (auto why = world_.herd().why_not_this_topology()) return why;
  auto why = world_.links().why_no_faults();
  if (!why) return std::nullopt;
  for (std::size_t i = 0; i < scenario_.steps.size(); ++i)
    if (needs_link_faults(scenario_.steps[i].kind))
      return "steps[" + std::to_string(i) + "] (" + describe(scenario_.steps[i]) +
             ") needs a fault proxy between two servers, and " + *why +
             "; traffic and server faults can run, link faults cannot";
  return std::nullopt;
}

Expected<void> Runner::start() {
  started_ = true;
  if (auto up = world_.herd().start(); !up) return up;
  for (const auto& s : scenario_.topology.servers) up_.insert(s.name);
  up_ns_ = world_.time().now_ns();
  if (options_.on_ready) options_.on_ready();
  return {};
}

double Runner::seconds_since_up() const {
  return static_cast<double>(world_.time().now_ns() - up_ns_) / 1e9;
}

void Runner::trace(std::string_view kind, const std::string& text) {
  // In the record's time, as the nodes' events and the links' messages are: one time line.
  world_.record().event(world_.record_now_ns(), kind, text);
}

StepOutcome Runner::run_step(const Step& step, std::size_t index) {
  StepOutcome outcome;
  outcome.index = index;
  outcome.kind = step.kind;
  outcome.description = describe(step);
  outcome.started_s = seconds_since_up();
  auto number = std::to_string(index);
  trace("step-start", "steps[" + number + "] " + printable(outcome.description));
  apply_step(step, *this, outcome);
  // A server that ended by itself fails the step that saw it go, and is no longer up.
  for (const auto& [server, how] : world_.herd().take_ended()) {
    set_up(server, false);
    clients_.erase(server);
    outcome.ok = false;
    outcome.message += (outcome.message.empty() ? "" : "; ") + server + " " + how;
    trace("exited", server + " " + how.substr(0, how.find('\n')));
  }
  outcome.finished_s = seconds_since_up();
  trace("step-end", "steps[" + number + "] " + (outcome.ok ? "ok" : "FAIL") +
                        (outcome.message.empty() ? "" : ": " + printable(outcome.message)));
  print(outcome);
  return outcome;
}

void Runner::stop_keeping() {
  world_.record().keep(false);
}

void Runner::finish(RunResult& result) {
  clients_.clear();
  background_.clear();
  if (started_) world_.herd().stop();
  world_.collect(result, up_ns_);
  if (result.black_box) {
    // Nothing is known from inside the servers: the updates are what the herd accepted, and the
    // messages are what crossed the proxies.
    auto& m = result.metrics;
    m.updates = history_.accepted();
    m.at_messages = result.at_lines_sent;
    m.messages_per_update =
        m.updates == 0 ? 0 : static_cast<double>(m.at_messages) / static_cast<double>(m.updates);
  }
  result.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
}

void Runner::print(const StepOutcome& outcome) const {
  if (options_.progress != nullptr) print_step(*options_.progress, outcome);
}

std::vector<std::pair<std::string, std::string>> Runner::directed_links() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [a, b] : scenario_.topology.links) {
    out.emplace_back(a, b);
    out.emplace_back(b, a);
  }
  return out;
}

bool Runner::matches(const Step& step, const std::pair<std::string, std::string>& link) const {
  bool forward = link.first == step.from && link.second == step.to;
  bool backward = link.first == step.to && link.second == step.from;
  return step.from.empty() || forward || (backward && !step.one_way);
}

void Runner::set_up(const std::string& server, bool up) {
  if (up)
    up_.insert(server);
  else
    up_.erase(server), paused_.erase(server);
  world_.herd().held().set_live(server, up);
}

void Runner::accept(std::string_view at_line) {
  history_.accept(at_line);
  auto client = at_line_client(at_line);
  auto newest = history_.expected().find(client);
  if (newest != history_.expected().end()) world_.herd().held().expect(newest->second.line);
}

// --- clients ------------------------------------------------------------------------------

bool Runner::exchange(ClientConnection& client, const std::string& line, std::string& reply,
                      std::string& why, const std::string& node, bool send_now) {
  if (send_now) {
    trace("client-send", node + " " + printable(line));
    if (!client.send(line + "\n")) {
      why = client.why_nothing().empty() ? node + " closed the connection" : client.why_nothing();
      return false;
    }
  }
  auto command = parse_command(line);
  if (std::holds_alternative<AtMessage>(command)) {
    accept(line);  // a peer's AT gets no reply
    return true;
  }
  auto first = client.read_through("\n", options_.reply_timeout_ms);
  if (!first) {
    why = client.why_nothing().empty() ? "no reply from " + node : client.why_nothing();
    return false;
  }
  reply = first->substr(0, first->size() - 1);
  if (reply_has_body(line, reply)) {
    auto rest = client.read_through("\n\n", options_.reply_timeout_ms);
    if (!rest) {
      why = node + " sent the AT line of a WHATSAT reply but no JSON" +
            (client.why_nothing().empty() ? "" : " (" + client.why_nothing() + ")");
      return false;
    }
    reply += "\n" + *rest;
  }
  trace("client-reply", node + " " + printable(reply));
  if (std::holds_alternative<IamatCommand>(command) && reply.starts_with("AT ")) accept(reply);
  return true;
}

void Runner::send(const Step& step, StepOutcome& out) {
  auto line = expand_now(step.line, world_.time().wall_ns());
  auto client = up_.count(step.node) ? world_.herd().connect(step.node) : nullptr;
  if (!client) {
    out.ok = step.expect == ReplyKind::none;
    out.message = step.node + " refused the connection";
    return;
  }
  if (step.background) {
    trace("client-send", step.node + " " + printable(line));
    if (!client->send(line + "\n")) {
      out.ok = false;
      out.message = step.node + " closed the connection";
      return;
    }
    // Its reply is read when the run ends, so that later steps run while it waits.
    out.message = "the reply is checked when the run ends";
    background_.push_back({&step, out.index, line, std::move(client)});
    return;
  }
  finish_send(step, line, *client, out, true);
}

std::vector<StepOutcome> Runner::finish_background() {
  std::vector<StepOutcome> outcomes;
  for (auto& b : background_) {
    StepOutcome out;
    out.index = b.index;
    out.kind = StepKind::send;
    out.description = "reply to steps[" + std::to_string(b.index) + "] (" + b.line + ")";
    out.started_s = seconds_since_up();
    finish_send(*b.step, b.line, *b.client, out, false);
    out.finished_s = seconds_since_up();
    print(out);
    outcomes.push_back(std::move(out));
  }
  background_.clear();
  return outcomes;
}

void Runner::finish_send(const Step& step, const std::string& line, ClientConnection& client,
                         StepOutcome& out, bool send_now) {
  std::string reply, why;
  if (!exchange(client, line, reply, why, step.node, send_now)) {
    out.ok = false;
    out.message = why;
    return;
  }
  auto newline = reply.find('\n');
  out.message = reply.empty()                  ? "no reply (an AT from a peer gets none)"
                : newline == std::string::npos ? reply
                                               : reply.substr(0, newline) + " ...";
  if (options_.lenient_replies && step.expect == ReplyKind::at) {
    // What the herd said is its update; how it said it is a finding of its own.
    auto reading = read_iamat_reply(reply, step.node, line);
    out.ok = reading.is_the_reply;
    if (!out.ok) out.message = "unexpected reply: " + reply + " (" + reading.why_not + ")";
    for (const auto& d : reading.deviations) world_.record().findings().add(d.kind, d.text);
    return;
  }
  auto verdict = judge_reply(step, line, reply, world_.time().wall_ns());
  out.ok = verdict.ok;
  if (!verdict.ok) out.message = verdict.message;
  if (verdict.ok && step.expect == ReplyKind::origin_line)
    judge_origin_line(step, line, reply, out);
}

void Runner::judge_origin_line(const Step& step, const std::string& line, const std::string& reply,
                               StepOutcome& out) {
  auto command = parse_command(line);
  auto* whatsat = std::get_if<WhatsatCommand>(&command);
  auto origin = whatsat ? history_.expected().find(whatsat->client) : history_.expected().end();
  if (origin == history_.expected().end()) {
    out.ok = false;
    out.inconclusive = true;
    out.message = "no update of this client was accepted, so there is no origin's line to expect";
    return;
  }
  const auto answered = reply.substr(0, reply.find('\n'));
  const auto& said = origin->second.line;
  if (answered == said) return;
  auto deviations =
      options_.lenient_replies ? whatsat_line_deviations(answered, said, step.node) : std::nullopt;
  if (!deviations) {
    out.ok = false;
    out.message = "answers with \"" + printable(answered) +
                  "\", but the newest update the origin " + "accepted is \"" + printable(said) +
                  "\"";
    return;
  }
  for (const auto& d : *deviations) world_.record().findings().add(d.kind, d.text);
}

void Runner::traffic(const Step& step, StepOutcome& out) {
  std::vector<std::string> targets;
  // A paused server answers nobody, so traffic goes to the others.
  std::vector<std::string> named = step.nodes;
  if (named.empty())
    for (const auto& s : scenario_.topology.servers) named.push_back(s.name);
  for (const auto& name : named)
    if (up_.count(name) && !paused_.count(name)) targets.push_back(name);
  if (targets.empty()) {
    out.ok = false;
    out.message = "no live, unpaused node to send to";
    return;
  }
  auto& time = world_.time();
  TrafficPlan plan(step, targets, random_);
  if (options_.concurrent_traffic) return traffic_in_flight(plan, step, out);
  auto begin = time.now_ns();
  // A schedule the herd cannot keep is given up once it runs this far over, rather than sending
  // for hours: a step has a time budget.
  const std::int64_t budget_ns =
      std::max<std::int64_t>(2LL * step.duration_ms, step.duration_ms + 10'000) * 1'000'000;
  std::size_t accepted = 0, sent = 0;
  std::string first_error, stopped_early;
  while (!plan.done()) {
    stopped_early = why_traffic_stops(time, begin, budget_ns);
    if (!stopped_early.empty()) break;
    auto update = plan.next();
    ++sent;
    // The schedule, not the replies, sets the pace.
    if (begin + update.offset_ns > time.now_ns())
      time.advance_to(begin + update.offset_ns);
    else
      time.let_idle_work_run();  // behind the schedule, it never waits: the page still gets in
    auto line = iamat_line(update, time.wall_ns());
    auto& client = clients_[update.node];
    if (!client) client = world_.herd().connect(update.node);
    std::string reply, why;
    if (client && exchange(*client, line, reply, why, update.node, true) &&
        reply.starts_with("AT ")) {
      ++accepted;
      if (options_.lenient_replies)
        for (const auto& d : read_iamat_reply(reply, update.node, line).deviations)
          world_.record().findings().add(d.kind, d.text);
      continue;
    }
    if (first_error.empty())
      first_error = !client       ? update.node + " refused the connection"
                    : why.empty() ? "unexpected reply from " + update.node + ": " + printable(reply)
                                  : why;
    client.reset();
  }
  out.ok = accepted == plan.size();
  out.message = traffic_summary(accepted, plan.size(), sent, stopped_early, first_error);
}

bool Runner::take_traffic_reply(const std::string& node, const std::string& line,
                                const std::string& reply) {
  trace("client-reply", node + " " + printable(reply));
  if (!reply.starts_with("AT ")) return false;
  accept(reply);
  if (options_.lenient_replies)
    for (const auto& d : read_iamat_reply(reply, node, line).deviations)
      world_.record().findings().add(d.kind, d.text);
  return true;
}

void Runner::traffic_in_flight(TrafficPlan& plan, const Step& step, StepOutcome& out) {
  auto& time = world_.time();
  const auto begin = time.now_ns();
  // As traffic() gives up a schedule the herd cannot keep, with the replies' own timeout on top.
  const std::int64_t budget_ns =
      std::max<std::int64_t>(2LL * step.duration_ms, step.duration_ms + 10'000) * 1'000'000;
  RequestPool pool([this](const std::string& node) { return world_.herd().connect(node); },
                   options_.reply_timeout_ms, std::min<std::size_t>(plan.size(), 64));
  std::size_t accepted = 0, sent = 0;
  std::string first_error, stopped_early;
  auto collect = [&] {
    for (auto& done : pool.take_done()) {
      if (done.answered && take_traffic_reply(done.node, done.line, done.reply)) {
        ++accepted;
        continue;
      }
      if (first_error.empty())
        first_error = done.answered
                          ? "unexpected reply from " + done.node + ": " + printable(done.reply)
                          : done.why;
    }
  };
  while (!plan.done()) {
    stopped_early = why_traffic_stops(time, begin, budget_ns);
    if (!stopped_early.empty()) break;
    auto update = plan.next();
    if (begin + update.offset_ns > time.now_ns())
      time.advance_to(begin + update.offset_ns);
    else
      time.let_idle_work_run();  // behind the schedule, it never waits: the page still gets in
    auto line = iamat_line(update, time.wall_ns());
    trace("client-send", update.node + " " + printable(line));
    pool.submit(update.node, line);
    ++sent;
    collect();
  }
  pool.wait_all(std::chrono::steady_clock::now() +
                std::chrono::milliseconds(options_.reply_timeout_ms + 1000));
  collect();
  if (auto unanswered = pool.unfinished(); unanswered > 0 && first_error.empty())
    first_error = std::to_string(unanswered) + " still unanswered " +
                  std::to_string(options_.reply_timeout_ms / 1000 + 1) +
                  " s after the last was sent";
  out.ok = accepted == plan.size();
  out.message = traffic_summary(accepted, plan.size(), sent, stopped_early, first_error);
}

// --- faults -------------------------------------------------------------------------------

void Runner::change_links(const Step& step, const std::function<void(LinkFaults&)>& change) {
  auto& links = world_.links();
  for (const auto& link : directed_links()) {
    if (!matches(step, link)) continue;
    auto faults = links.faults(link.first, link.second);
    change(faults);
    links.set_faults(link.first, link.second, faults);
  }
}

void Runner::reset_links(const Step& step) {
  for (const auto& link : directed_links())
    if (matches(step, link)) world_.links().reset(link.first, link.second);
}

void Runner::partition(const Step& step) {
  std::map<std::string, std::size_t> group_of;
  for (std::size_t g = 0; g < step.groups.size(); ++g)
    for (const auto& name : step.groups[g]) group_of[name] = g;
  auto group = [&](const std::string& name) {
    auto it = group_of.find(name);
    return it == group_of.end() ? step.groups.size() : it->second;  // the unnamed form a group
  };
  auto& links = world_.links();
  for (const auto& [from, to] : directed_links()) {
    auto faults = links.faults(from, to);
    faults.cut = group(from) != group(to);
    links.set_faults(from, to, faults);
  }
}

void Runner::heal() {
  for (const auto& [from, to] : directed_links()) world_.links().set_faults(from, to, {});
}

void Runner::crash(const std::string& node, StepOutcome&) {
  trace("crash", node);
  paused_.erase(node);
  clients_.erase(node);
  world_.herd().crash(node);
  world_.record().server_crashed(node);
  set_up(node, false);
}

void Runner::restart(const std::string& node, StepOutcome& out) {
  trace("restart", node);
  paused_.erase(node);
  clients_.erase(node);
  if (auto restarted = world_.herd().restart(node); !restarted) {
    out.ok = false;
    out.message = restarted.error();
    set_up(node, false);
  } else {
    set_up(node, true);
  }
}

void Runner::pause(const std::string& node, StepOutcome& out) {
  if (!up_.count(node)) {
    out.ok = false;
    out.message = node + " is crashed";
  } else if (paused_.insert(node).second) {
    trace("pause", node);
    world_.herd().pause(node);
  }
}

void Runner::resume(const std::string& node, StepOutcome&) {
  if (paused_.erase(node) && up_.count(node)) {
    trace("resume", node);
    world_.herd().resume(node);
  }
}

void Runner::set_places(const PlacesFaults& faults) {
  world_.herd().set_places_faults(faults);
}

void Runner::wait(int ms) {
  auto& time = world_.time();
  time.advance_to(time.now_ns() + static_cast<std::int64_t>(ms) * 1'000'000);
}

// --- checks -------------------------------------------------------------------------------

bool Runner::run_until_held(const std::function<bool(const HeldRecords&)>& done, int ms) {
  auto& time = world_.time();
  auto& herd = world_.herd();
  // Servers seen from outside are read by asking each about every client, which costs them as
  // much CPU as it costs us. Between rounds they are left alone at least as long as the last
  // round took, so that on a loaded machine the asking cannot starve the flooding it waits for.
  std::int64_t next_round_ns = 0;
  auto ask = [&] {
    const auto began = time.wall_ns();
    herd.refresh_held();
    const auto ended = time.wall_ns();
    next_round_ns = ended + (ended - began);
  };
  const bool held = time.run_until(time.now_ns() + static_cast<std::int64_t>(ms) * 1'000'000, [&] {
    if (!herd.held_is_answers() || time.wall_ns() >= next_round_ns) ask();
    return done(herd.held());
  });
  if (held || !herd.held_is_answers()) return held;
  ask();  // the verdict rests on answers given now, not on a round skipped to pace the asking
  return done(herd.held());
}

bool Runner::converge_while_progressing(int asked_ms, std::size_t& off_at_deadline,
                                        std::size_t& off_at_end) {
  auto& held = world_.herd().held();
  off_at_deadline = off_at_end = held.off_count();
  // A round of deliveries must cut the count of pairs off within this long to count as progress.
  const int window_ms = std::clamp(asked_ms / 2, 500, 5000);
  const int most_ms = std::clamp(asked_ms * 4, 5000, 60000);
  for (int extra_ms = 0; extra_ms < most_ms; extra_ms += window_ms) {
    const auto before = off_at_end;
    const bool converged =
        run_until_held([](const HeldRecords& h) { return h.all_hold_expected(); }, window_ms);
    off_at_end = held.off_count();
    if (converged) return true;
    if (off_at_end >= before) return false;
  }
  return false;
}

StoreRecords Runner::records_of(const std::string& server) {
  auto& herd = world_.herd();
  return herd.held_is_answers() ? herd.held().records(server) : herd.read_store(server);
}

bool Runner::stores_hold_exactly_expected() {
  // Servers seen from outside are asked client by client: only the full check does that.
  auto& herd = world_.herd();
  if (herd.held_is_answers()) return false;
  // A store keeps one record per client, and an AT line names its client: a store with as many
  // lines as there are expected ones, each of them expected, holds exactly those. A converged
  // ring of hundreds is read this way without a map of strings per server.
  std::unordered_set<std::string_view> expected;
  expected.reserve(history_.expected().size());
  for (const auto& [client, record] : history_.expected()) expected.insert(record.line);
  for (const auto& node : up_) {
    if (!herd.held().unreadable(node).empty()) return false;
    auto lines = herd.newest(node, static_cast<std::size_t>(-1));
    if (lines.size() != expected.size()) return false;
    for (const auto& line : lines)
      if (!expected.contains(line)) return false;
  }
  return true;
}

void Runner::expect_converged(const Step& step, StepOutcome& out, bool want_converged) {
  if (history_.expected().empty()) {
    // Every herd agrees on nothing: there is no flooding to judge.
    out.ok = false;
    out.inconclusive = true;
    out.message = "no update has been accepted yet, so there is nothing to converge on";
    return;
  }
  auto start = world_.time().now_ns();
  // Asked after every event: the herd keeps the count of what is off, so it costs nothing.
  bool converged =
      run_until_held([](const HeldRecords& held) { return held.all_hold_expected(); }, step.ms);
  // On the wall clock a herd can be slow rather than stuck: a loaded machine (a class graded in
  // parallel, a CI runner) delays every delivery. While the pairs that are off keep falling it
  // is given more time, round by round, and converging late passes with the lateness said; a
  // count that stops falling fails as before. Virtual time has no load, so no grace.
  std::optional<std::pair<std::size_t, std::size_t>> late;  // pairs off at the deadline, at end
  if (!converged && want_converged && world_.network() != NetworkKind::virtual_) {
    std::size_t at_deadline = 0, at_end = 0;
    converged = converge_while_progressing(step.ms, at_deadline, at_end);
    if (at_end < at_deadline) late.emplace(at_deadline, at_end);
  }
  double waited_ms = static_cast<double>(world_.time().now_ns() - start) / 1e6;
  // The events said so; the servers' own stores have the last word.
  Verdict verdict;
  if (stores_hold_exactly_expected()) {
    verdict.converged = true;
  } else {
    Holdings stores;
    Unreadable unreadable;
    for (const auto& node : up_) {
      stores[node] = records_of(node);
      if (auto unread = world_.herd().held().unreadable(node); !unread.empty())
        unreadable[node] = std::move(unread);
    }
    verdict = check_convergence(history_, stores, 8, unreadable);
  }
  char took[64];
  std::snprintf(took, sizeof took, "%.1f ms", waited_ms);
  const bool found_problem = !verdict.converged;
  const bool looked_everywhere = verdict.unreadable == 0;
  if (want_converged) {
    out.ok = !found_problem && looked_everywhere;
    if (found_problem) {
      out.message = summarize_verdict(verdict, options_.verbose, out.details);
      if (late)
        out.message += " (given " + std::string(took) + " in all, past the " +
                       std::to_string(step.ms) + " ms asked, while the pairs off fell from " +
                       std::to_string(late->first) + " to " + std::to_string(late->second) + ")";
    } else if (!looked_everywhere) {
      out.inconclusive = true;
      out.message = unreadable_summary(verdict);
    } else {
      out.message = "converged after " + std::string(took) + " (" +
                    std::to_string(history_.expected().size()) + " clients on " +
                    std::to_string(up_.size()) + " live nodes)";
      if (late)
        out.message += ", past the " + std::to_string(step.ms) +
                       " ms asked: " + std::to_string(late->first) +
                       " (server, client) pairs were still off then, and the count kept "
                       "falling, so the herd was slow (or the machine loaded), not stuck";
    }
  } else {
    out.ok = !converged && found_problem;
    if (out.ok) {
      out.message =
          "diverged as expected: " + summarize_verdict(verdict, options_.verbose, out.details);
    } else if (!looked_everywhere) {
      out.inconclusive = true;
      out.message = unreadable_summary(verdict);
    } else {
      out.message = "expected divergence, but the herd converged after " + std::string(took);
    }
  }
}

std::string Runner::unreadable_summary(const Verdict& verdict) const {
  std::string out = "inconclusive: " + (verdict.unreadable_reasons.empty()
                                            ? std::string("a server could not be read")
                                            : verdict.unreadable_reasons.front());
  if (verdict.unreadable > 1)
    out += " (" + std::to_string(verdict.unreadable - 1) + " more (server, client) pairs unread)";
  return out + "; what could be read showed no problem";
}

void Runner::expect_record(const Step& step, StepOutcome& out) {
  if (!up_.count(step.node)) {
    out.ok = false;
    out.message = step.node + " is crashed";
    return;
  }
  auto matches = [&step](const std::string& line) {
    auto command = parse_command(line);
    auto* at = std::get_if<AtMessage>(&command);
    return at != nullptr && (step.time.empty() || at->time_text == step.time) &&
           (step.origin.empty() || at->server == step.origin);
  };
  if (step.ms > 0)
    run_until_held(
        [&](const HeldRecords& held) {
          auto line = held.record(step.node, step.client);
          return line && matches(*line);
        },
        step.ms);
  else
    world_.herd().refresh_held();  // servers seen from outside are asked now
  auto held = records_of(step.node);
  auto it = held.find(step.client);
  if (it == held.end()) {
    auto unread = world_.herd().held().unreadable(step.node);
    if (auto why = unread.find(step.client); why != unread.end()) {
      out.ok = false;
      out.inconclusive = true;
      out.message =
          "inconclusive: cannot read " + step.node + " about " + step.client + ": " + why->second;
      return;
    }
  }
  if (step.absent) {
    out.ok = it == held.end();
    out.message = out.ok ? "holds nothing for " + step.client : "holds \"" + it->second + "\"";
    return;
  }
  if (it == held.end()) {
    out.ok = false;
    out.message = "holds nothing for " + step.client;
    return;
  }
  out.ok = matches(it->second);
  out.message = "holds \"" + it->second + "\"";
}

}  // namespace herd
