#include "sim/runner/scenario_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <variant>

#include "core/location_store.hpp"
#include "core/protocol.hpp"
#include "sim/live/json_text.hpp"
#include "sim/report/metrics.hpp"
#include "sim/report/progress.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {

ScenarioRunner::ScenarioRunner(const Scenario& scenario, const SimOptions& options)
    : scenario_(scenario), options_(options), random_(scenario.seed ^ 0x7a11c0ffeeULL) {}

RunResult ScenarioRunner::run() {
  RunResult result;
  result.scenario = scenario_;
  result.network = options_.network;
  for (const auto& s : scenario_.topology.servers) result.servers.push_back(s.name);
  auto began = std::chrono::steady_clock::now();
  auto finish = [&] {
    clients_.clear();
    background_.clear();
    tear_down();
    collect(result);
    result.metrics = compute_metrics(result.events, scenario_.topology.servers.size());
    if (result.black_box) {
      auto& m = result.metrics;
      m.updates = history_.accepted();
      m.at_messages = static_cast<std::size_t>(std::count_if(
          result.messages.begin(), result.messages.end(),
          [](const TracedMessage& message) { return message.line.starts_with("AT "); }));
      m.messages_per_update =
          m.updates == 0 ? 0 : static_cast<double>(m.at_messages) / static_cast<double>(m.updates);
    }
    result.duration_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  };
  if (auto reason = cannot_run()) {
    result.skipped = *reason;
    return result;
  }
  if (auto error = set_up()) {
    result.setup_error = *error;
    finish();
    return result;
  }
  for (const auto& s : scenario_.topology.servers) live_.insert(s.name);
  up_ns_ = clock_ns();
  if (options_.on_ready) options_.on_ready();
  if (options_.live)
    options_.live->set_api({[this](std::size_t limit) { return live_state(limit); },
                            [this](const std::string& body) { return live_steps(body); },
                            [this](const std::string& body) { return live_clock(body); }});
  next_live_index_ = scenario_.steps.size();
  for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
    StepOutcome outcome;
    outcome.index = i;
    run_one_step(scenario_.steps[i], outcome);
    result.steps.push_back(std::move(outcome));
    // The live view is answered between the scenario's steps too.
    if (options_.live) options_.live->run_jobs();
  }
  finish_background(result.steps);
  if (options_.live) serve_live(*options_.live);
  finish();
  result.passed = true;
  for (const auto& s : result.steps) result.passed = result.passed && s.ok;
  return result;
}

void ScenarioRunner::run_one_step(const Step& step, StepOutcome& outcome) {
  outcome.kind = step.kind;
  outcome.description = describe(step);
  outcome.started_s = seconds_since_up();
  auto index = std::to_string(outcome.index);
  trace("step-start", "steps[" + index + "] " + printable(outcome.description));
  apply_step(step, *this, outcome);
  after_step(outcome);
  outcome.finished_s = seconds_since_up();
  trace("step-end", "steps[" + index + "] " + (outcome.ok ? "ok" : "FAIL") +
                        (outcome.message.empty() ? "" : ": " + printable(outcome.message)));
  print(outcome);
}

// --- the live view ------------------------------------------------------------------------

void ScenarioRunner::idle_live(LiveSession& live) {
  live.wait_for_job(std::chrono::milliseconds(50));
}

void ScenarioRunner::serve_live(LiveSession& live) {
  // The report's timeline covers the scenario's steps; what the live view does after them is
  // not kept, so a herd left up for days does not grow.
  keep_messages(false);
  live.publish_only_when_watched();
  while (!live.stop_requested()) {
    live.run_jobs();
    idle_live(live);
  }
  live.run_jobs();  // whatever arrived as it stopped gets its answer
}

LiveAnswer ScenarioRunner::live_clock(const std::string&) {
  return {400,
          "{\"error\": \"the real network runs on the wall clock: only --net virtual can "
          "be paused, slowed or stepped\"}\n"};
}

std::vector<std::string> ScenarioRunner::newest_of(const std::string& node, std::size_t limit) {
  std::vector<Record> records;
  for (const auto& [client, line] : store_of(node)) {
    Record record;
    if (record_from_at_line(line, record)) records.push_back(std::move(record));
  }
  auto later = [](const Record& a, const Record& b) {
    return a.time != b.time ? a.time > b.time : a.line < b.line;
  };
  if (records.size() > limit) {
    std::nth_element(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(limit),
                     records.end(), later);
    records.resize(limit);
  }
  std::vector<std::string> lines;
  for (auto& r : records) lines.push_back(std::move(r.line));
  return lines;
}

LiveAnswer ScenarioRunner::live_state(std::size_t store_limit) {
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& s : scenario_.topology.servers) {
    bool up = live_.count(s.name) != 0;
    nlohmann::json store = nlohmann::json::array();
    // A herd under load holds more clients than a page can show: the newest are what it draws,
    // and no more is copied.
    std::vector<std::string> newest;
    if (up && store_limit > 0) newest = newest_of(s.name, store_limit);
    std::size_t size = up ? held_count(s.name) : 0;
    std::vector<std::pair<std::string, std::string>> records;
    for (auto& line : newest) records.emplace_back(std::string(at_line_client(line)), line);
    std::sort(records.begin(), records.end());
    for (const auto& [client, line] : records) {
      RecordView record;
      nlohmann::json entry = {{"client", client}, {"line", line}};
      if (record_from_at_line(line, record)) {
        entry["origin"] = std::string(record.server());
        entry["time"] = line.substr(line.rfind(' ') + 1);
      }
      store.push_back(entry);
    }
    servers.push_back({{"name", s.name},
                       {"state", !up                     ? "crashed"
                                 : paused_.count(s.name) ? "paused"
                                                         : "up"},
                       {"store", store},
                       {"store_size", std::max(size, records.size())}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const auto& [from, to] : directed_links()) {
    auto f = link_faults(from, to);
    auto held = held_lines(from, to);
    if (held.size() > 20) held.resize(20);  // the next few are what a demo chooses among
    links.push_back({{"from", from},
                     {"to", to},
                     {"held", held},
                     {"faults",
                      {{"cut", f.cut},
                       {"drop", f.drop},
                       {"hold", f.hold},
                       {"latency_ms", f.latency_ms},
                       {"jitter_ms", f.jitter_ms},
                       {"bytes_per_s", f.bytes_per_s},
                       {"slice_bytes", f.slice_bytes}}}});
  }
  nlohmann::json state = {
      {"scenario", scenario_.name},
      {"network", options_.network == NetworkKind::virtual_ ? "virtual" : "real"},
      {"mode", scenario_.classic ? "classic" : "anti-entropy"},
      {"time_s", seconds_since_up()},
      {"servers", servers},
      {"links", links},
      {"counters",
       {{"updates_accepted", history_.accepted()}, {"clients", history_.expected().size()}}},
      {"watchers", options_.live != nullptr ? options_.live->watchers() : 0}};
  return {200, json_text(state)};
}

LiveAnswer ScenarioRunner::live_steps(const std::string& body) {
  auto parsed = parse_steps(body, scenario_.topology);
  if (auto* error = std::get_if<ScenarioError>(&parsed))
    return {400, json_text({{"error", error->message}})};
  // Kept for the run: a background send's reply is read when the run ends.
  auto& steps = live_steps_.emplace_back(std::get<std::vector<Step>>(std::move(parsed)));
  nlohmann::json outcomes = nlohmann::json::array();
  for (const auto& step : steps) {
    StepOutcome outcome;
    outcome.index = next_live_index_++;
    run_one_step(step, outcome);
    outcomes.push_back({{"index", outcome.index},
                        {"description", outcome.description},
                        {"ok", outcome.ok},
                        {"message", outcome.message},
                        {"details", outcome.details}});
  }
  return {200, json_text(outcomes)};
}

void ScenarioRunner::print(const StepOutcome& outcome) const {
  if (options_.progress != nullptr) print_step(*options_.progress, outcome);
}

std::vector<std::pair<std::string, std::string>> ScenarioRunner::directed_links() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [a, b] : scenario_.topology.links) {
    out.emplace_back(a, b);
    out.emplace_back(b, a);
  }
  return out;
}

bool ScenarioRunner::matches(const Step& step,
                             const std::pair<std::string, std::string>& link) const {
  bool forward = link.first == step.from && link.second == step.to;
  bool backward = link.first == step.to && link.second == step.from;
  return step.from.empty() || forward || (backward && !step.one_way);
}

// --- clients ------------------------------------------------------------------------------

bool ScenarioRunner::exchange(ClientConnection& client, const std::string& line, std::string& reply,
                              std::string& why, const std::string& node, bool send_now) {
  if (send_now) {
    trace("client-send", node + " " + printable(line));
    if (!client.send(line + "\n")) {
      why = node + " closed the connection";
      return false;
    }
  }
  auto command = parse_command(line);
  if (std::holds_alternative<AtMessage>(command)) {
    history_.accept(line);  // a peer's AT gets no reply
    return true;
  }
  auto first = client.read_through("\n", reply_timeout_ms);
  if (!first) {
    why = "no reply from " + node;
    return false;
  }
  reply = first->substr(0, first->size() - 1);
  if (reply_has_body(line, reply)) {
    auto rest = client.read_through("\n\n", reply_timeout_ms);
    if (!rest) {
      why = node + " sent the AT line of a WHATSAT reply but no JSON";
      return false;
    }
    reply += "\n" + *rest;
  }
  trace("client-reply", node + " " + printable(reply));
  if (std::holds_alternative<IamatCommand>(command) && reply.starts_with("AT "))
    history_.accept(reply);
  return true;
}

void ScenarioRunner::send(const Step& step, StepOutcome& out) {
  auto line = expand_now(step.line, wall_ns());
  auto client = live_.count(step.node) ? connect(step.node) : nullptr;
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

void ScenarioRunner::finish_background(std::vector<StepOutcome>& outcomes) {
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
}

void ScenarioRunner::finish_send(const Step& step, const std::string& line,
                                 ClientConnection& client, StepOutcome& out, bool send_now) {
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
  auto verdict = judge_reply(step, line, reply, wall_ns());
  out.ok = verdict.ok;
  if (!verdict.ok) out.message = verdict.message;
}

void ScenarioRunner::traffic(const Step& step, StepOutcome& out) {
  std::vector<std::string> targets;
  // A paused server answers nobody, so traffic goes to the others.
  std::vector<std::string> named = step.nodes;
  if (named.empty())
    for (const auto& s : scenario_.topology.servers) named.push_back(s.name);
  for (const auto& name : named)
    if (live_.count(name) && !paused_.count(name)) targets.push_back(name);
  if (targets.empty()) {
    out.ok = false;
    out.message = "no live, unpaused node to send to";
    return;
  }
  TrafficPlan plan(step, targets, random_);
  auto begin = clock_ns();
  // A schedule the herd cannot keep is given up once it runs this far over, rather than sending
  // for hours: a step has a time budget.
  const std::int64_t budget_ns =
      std::max<std::int64_t>(2LL * step.duration_ms, step.duration_ms + 10'000) * 1'000'000;
  std::size_t accepted = 0, sent = 0;
  std::string first_error, stopped_early;
  while (!plan.done()) {
    if (clock_ns() - begin > budget_ns) {
      stopped_early = "stopped " + std::to_string((budget_ns / 1'000'000'000)) +
                      " s after it began, the herd too slow for the schedule";
      break;
    }
    if (options_.live != nullptr && options_.live->stop_requested()) {
      stopped_early = "stopped: the run is ending";
      break;
    }
    auto update = plan.next();
    ++sent;
    // The schedule, not the replies, sets the pace.
    if (begin + update.offset_ns > clock_ns()) run_until_clock(begin + update.offset_ns);
    auto line = iamat_line(update, wall_ns());
    auto& client = clients_[update.node];
    if (!client) client = connect(update.node);
    std::string reply, why;
    if (client && exchange(*client, line, reply, why, update.node, true) &&
        reply.starts_with("AT ")) {
      ++accepted;
      continue;
    }
    if (first_error.empty()) first_error = client ? why : update.node + " refused the connection";
    client.reset();
  }
  out.ok = accepted == plan.size();
  out.message =
      std::to_string(accepted) + " of " + std::to_string(plan.size()) + " updates accepted";
  if (!stopped_early.empty())
    out.message += " (" + std::to_string(sent) + " sent; " + stopped_early + ")";
  if (!first_error.empty()) out.message += " (first error: " + first_error + ")";
}

// --- faults -------------------------------------------------------------------------------

void ScenarioRunner::change_links(const Step& step,
                                  const std::function<void(LinkFaults&)>& change) {
  for (const auto& link : directed_links())
    if (matches(step, link)) change_link(link.first, link.second, change);
}

void ScenarioRunner::reset_links(const Step& step) {
  for (const auto& link : directed_links())
    if (matches(step, link)) reset_link(link.first, link.second);
}

void ScenarioRunner::partition(const Step& step) {
  std::map<std::string, std::size_t> group_of;
  for (std::size_t g = 0; g < step.groups.size(); ++g)
    for (const auto& name : step.groups[g]) group_of[name] = g;
  auto group = [&](const std::string& name) {
    auto it = group_of.find(name);
    return it == group_of.end() ? step.groups.size() : it->second;  // the unnamed form a group
  };
  for (const auto& link : directed_links()) {
    bool apart = group(link.first) != group(link.second);
    change_link(link.first, link.second, [apart](LinkFaults& f) { f.cut = apart; });
  }
}

void ScenarioRunner::heal() {
  for (const auto& link : directed_links())
    change_link(link.first, link.second, [](LinkFaults& f) { f = LinkFaults{}; });
}

void ScenarioRunner::crash(const std::string& node, StepOutcome&) {
  trace("crash", node);
  paused_.erase(node);
  clients_.erase(node);
  crash_server(node);
  live_.erase(node);
}

void ScenarioRunner::restart(const std::string& node, StepOutcome& out) {
  trace("restart", node);
  paused_.erase(node);
  clients_.erase(node);
  if (auto error = restart_server(node)) {
    out.ok = false;
    out.message = *error;
    live_.erase(node);
  } else {
    live_.insert(node);
  }
}

void ScenarioRunner::pause(const std::string& node, StepOutcome& out) {
  if (!live_.count(node)) {
    out.ok = false;
    out.message = node + " is crashed";
  } else if (paused_.insert(node).second) {
    trace("pause", node);
    pause_server(node);
  }
}

void ScenarioRunner::resume(const std::string& node, StepOutcome&) {
  if (paused_.erase(node) && live_.count(node)) {
    trace("resume", node);
    resume_server(node);
  }
}

void ScenarioRunner::set_places(const PlacesFaults& faults) {
  set_places_faults(faults);
}

void ScenarioRunner::wait(int ms) {
  run_until_clock(clock_ns() + static_cast<std::int64_t>(ms) * 1'000'000);
}

// --- checks -------------------------------------------------------------------------------

void ScenarioRunner::expect_converged(const Step& step, StepOutcome& out, bool want_converged) {
  auto start = clock_ns();
  // Checked on every event, so it stops at the first mismatch and copies nothing.
  bool converged = run_until_held(
      [this](const Holdings& held) {
        const auto& expected = history_.expected();
        for (const auto& node : live_) {
          auto it = held.find(node);
          std::size_t count = it == held.end() ? 0 : it->second.size();
          if (count != expected.size()) return false;
          for (const auto& [client, record] : expected) {
            auto found = it->second.find(client);
            if (found == it->second.end() || found->second != record.line) return false;
          }
        }
        return true;
      },
      step.ms);
  double waited_ms = static_cast<double>(clock_ns() - start) / 1e6;
  // The events said so; the servers' own stores have the last word.
  Holdings stores;
  for (const auto& node : live_) stores[node] = store_of(node);
  auto verdict = check_convergence(history_, stores);
  char took[64];
  std::snprintf(took, sizeof took, "%.1f ms", waited_ms);
  if (want_converged) {
    out.ok = verdict.converged;
    out.message = verdict.converged
                      ? "converged after " + std::string(took) + " (" +
                            std::to_string(history_.expected().size()) + " clients on " +
                            std::to_string(live_.size()) + " live nodes)"
                      : summarize_verdict(verdict, options_.verbose, out.details);
  } else {
    out.ok = !converged && !verdict.converged;
    out.message = out.ok ? "diverged as expected: " +
                               summarize_verdict(verdict, options_.verbose, out.details)
                         : "expected divergence, but the herd converged after " + std::string(took);
  }
}

void ScenarioRunner::expect_record(const Step& step, StepOutcome& out) {
  if (!live_.count(step.node)) {
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
        [&](const Holdings& held) {
          auto it = held.find(step.node);
          if (it == held.end()) return false;
          auto found = it->second.find(step.client);
          return found != it->second.end() && matches(found->second);
        },
        step.ms);
  auto held = store_of(step.node);
  auto it = held.find(step.client);
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
