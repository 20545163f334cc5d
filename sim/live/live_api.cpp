#include "sim/live/live_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/json_limits.hpp"
#include "core/location_store.hpp"
#include "sim/live/branch_request.hpp"
#include "sim/live/json_text.hpp"
#include "sim/live/link_faults_json.hpp"
#include "sim/runner/runner.hpp"
#include "sim/world/clock_request.hpp"

namespace herd {

LiveApi::LiveApi(Runner& runner, LiveSession& session) : runner_(runner), session_(session) {}

void LiveApi::attach() {
  session_.set_api({[this](std::size_t limit) { return state(limit); },
                    [this](const std::string& body) { return steps(body); },
                    [this](const std::string& body) { return clock(body); },
                    [this](const std::string& body) { return scenario(body); },
                    [this](const std::string& body) { return branch(body); }});
  results_.assign(runner_.scenario().steps.size(), std::nullopt);
}

bool LiveApi::before_step(std::size_t index) {
  auto& time = runner_.world().time();
  while (held_ && allowed_steps_ <= index && !session_.stop_requested() && !branch_) {
    session_.run_jobs();
    session_.wait_for_job(time.keep_pace());
  }
  // A branch leaves the scenario's remaining steps behind.
  if (session_.stop_requested() || branch_) return false;
  if (runner_.world().network() == NetworkKind::virtual_)
    inputs_.push_back(
        {time.now_ns(), {runner_.scenario().steps[index]}, index, std::nullopt, std::nullopt});
  // A scenario not held ran before the page could open: only a held one is watched as it runs.
  if (held_) answer_while_running("the scenario's steps[" + std::to_string(index) + "]");
  running_index_ = index;
  return true;
}

void LiveApi::after_step(std::size_t index, bool ok) {
  done_running();
  running_index_.reset();
  if (index < results_.size()) results_[index] = ok;
}

void LiveApi::answer_while_running(std::string what) {
  running_ = std::move(what);
  // The step's waits answer the page (its requests run here, one at a time) and keep virtual
  // time at the page's pace, so a long step neither stalls the page nor rushes past it.
  runner_.world().time().pace_with([this](std::chrono::milliseconds wait) {
    session_.run_jobs();
    session_.wait_for_job(wait);
  });
}

void LiveApi::done_running() {
  runner_.world().time().pace_with({});
  running_.reset();
}

LiveAnswer LiveApi::scenario(const std::string& body) {
  const std::string shape = R"(expected {"run": "next"} or {"run": "all"})";
  if (!check_json_nesting(body)) return {400, json_text({{"error", shape}})};
  auto request = nlohmann::json::parse(body, nullptr, false);
  if (!request.is_object() || request.size() != 1 || !request.contains("run") ||
      !request["run"].is_string())
    return {400, json_text({{"error", shape}})};
  const auto run = request["run"].get<std::string>();
  const auto total = results_.size();
  if (run == "next") {
    if (allowed_steps_ >= total)
      return {409, json_text({{"error", "every step of the scenario has been let go already"}})};
    ++allowed_steps_;
  } else if (run == "all") {
    allowed_steps_ = total;
  } else {
    return {400, json_text({{"error", shape}})};
  }
  return {200, json_text({{"allowed", allowed_steps_}, {"steps", total}})};
}

void LiveApi::serve() {
  // The report covers the scenario's steps; what the live view does after them is not kept, so a
  // herd left up for days does not grow.
  runner_.stop_keeping();
  session_.publish_only_when_watched();
  auto& time = runner_.world().time();
  while (!session_.stop_requested() && !branch_) {
    session_.run_jobs();
    session_.wait_for_job(time.keep_pace());
  }
  if (!branch_) session_.run_jobs();  // whatever arrived as it stopped gets its answer
}

LiveAnswer LiveApi::state(std::size_t store_limit) {
  auto& world = runner_.world();
  auto& herd = world.herd();
  const auto& scenario = runner_.scenario();
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& s : scenario.topology.servers) {
    bool up = runner_.up().count(s.name) != 0;
    nlohmann::json store = nlohmann::json::array();
    // A herd under load holds more clients than a page can show: the newest are what it draws,
    // and no more is copied.
    std::vector<std::pair<std::string, std::string>> records;
    if (up && store_limit > 0)
      for (auto& line : herd.newest(s.name, store_limit))
        records.emplace_back(std::string(at_line_client(line)), line);
    std::sort(records.begin(), records.end());
    std::size_t size = up ? herd.held().count(s.name) : 0;
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
                       {"state", !up                              ? "crashed"
                                 : runner_.paused().count(s.name) ? "paused"
                                                                  : "up"},
                       {"store", store},
                       {"store_size", std::max(size, records.size())}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const auto& [from, to] : runner_.directed_links()) {
    auto f = world.links().faults(from, to);
    auto held = world.links().held_lines(from, to);
    if (held.size() > 20) held.resize(20);  // the next few are what a demo chooses among
    nlohmann::json link = {
        {"from", from}, {"to", to}, {"held", held}, {"faults", link_faults_json(f)}};
    // Whether its servers last said it was connected: absent where they say nothing.
    if (auto up = world.record().link_up(from, to)) link["up"] = *up;
    links.push_back(std::move(link));
  }
  const auto& history = runner_.history();
  // The herd's own counts since it started; the runner's history knows the clients it sent for.
  const auto counts = world.record().counts();
  const auto& at = counts.at_lines;
  const auto clock = world.time().clock_state();
  nlohmann::json state = {
      {"scenario", scenario.name},
      {"network", world.network() == NetworkKind::virtual_ ? "virtual" : "real"},
      {"mode", scenario.classic ? "classic" : "anti-entropy"},
      {"time_s", runner_.seconds_since_up()},
      {"servers", servers},
      {"links", links},
      // The run's clock as its trace lines read it, so a page can tell where a message is
      // between its send and its delivery between two looks.
      {"clock",
       {{"now_s", static_cast<double>(world.time().now_ns()) / 1e9},
        {"paused", clock.paused},
        {"speed", clock.speed}}},
      {"counters",
       {{"updates_accepted", std::max<std::uint64_t>(counts.updates_accepted, history.accepted())},
        {"clients", std::max<std::uint64_t>(counts.clients, history.expected().size())},
        {"messages_sent", at.sent},
        {"messages_delivered", at.delivered},
        {"messages_dropped", at.dropped},
        {"messages_in_flight", at.sent - at.delivered - at.dropped}}},
      {"watchers", session_.watchers()}};
  // The scenario's own steps, for a page that lets them go one at a time (--paused).
  nlohmann::json script = nlohmann::json::array();
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    std::string status = running_index_ == i                  ? "running"
                         : i < results_.size() && results_[i] ? (*results_[i] ? "passed" : "failed")
                         : branched_from_                     ? "left behind"
                         : held_ && i >= allowed_steps_       ? "waiting"
                                                              : "next";
    script.push_back(
        {{"index", i}, {"description", describe(scenario.steps[i])}, {"status", status}});
  }
  // A branch says so, with the moment it left the run and what was done there.
  if (branched_from_)
    state["branch"] = {{"number", branches_},
                       {"at_s", static_cast<double>(branched_from_->first) / 1e9},
                       {"did", branched_from_->second}};
  state["script"] = {{"held", held_ && allowed_steps_ < scenario.steps.size()},
                     {"steps", std::move(script)}};
  return {200, json_text(state)};
}

LiveAnswer LiveApi::steps(const std::string& body) {
  // The page's requests are answered inside a paced scenario step; a step of its own there would
  // run inside that one.
  if (running_)
    return {
        409,
        json_text({{"error", *running_ + " is running: pause the clock or wait for it to end"}})};
  auto parsed = parse_steps(body, runner_.scenario().topology);
  if (!parsed) return {400, json_text({{"error", parsed.error()}})};
  return run_posted(std::move(*parsed));
}

LiveAnswer LiveApi::run_posted(std::vector<Step> posted) {
  if (runner_.world().network() == NetworkKind::virtual_)
    inputs_.push_back(
        {runner_.world().time().now_ns(), posted, next_index_, std::nullopt, std::nullopt});
  auto& steps = posted_.emplace_back(std::move(posted));
  nlohmann::json outcomes = nlohmann::json::array();
  // On real sockets a step takes its time on the wall clock (an hour's traffic), and the page is
  // answered meanwhile. On the virtual network a posted step runs at once, even while the clock
  // is paused: a send then starts a flood that the page steps through.
  if (runner_.world().network() != NetworkKind::virtual_)
    answer_while_running("a step posted before (steps[" + std::to_string(next_index_) + "])");
  for (const auto& step : steps) {
    auto outcome = runner_.run_step(step, next_index_++);
    outcomes.push_back({{"index", outcome.index},
                        {"description", outcome.description},
                        {"ok", outcome.ok},
                        {"message", outcome.message},
                        {"details", outcome.details}});
  }
  done_running();
  return {200, json_text(outcomes)};
}

LiveAnswer LiveApi::clock(const std::string& body) {
  auto error = [](const std::string& message) {
    return LiveAnswer{400, json_text({{"error", message}})};
  };
  auto request = parse_clock_request(body);
  if (!request) return error(request.error());
  auto state = runner_.world().time().control(*request);
  if (!state) return error(state.error());
  // A held line let through by hand changes the run: a branch replays it.
  if (request->deliver && state->delivered > 0 &&
      runner_.world().network() == NetworkKind::virtual_)
    inputs_.push_back({runner_.world().time().now_ns(), {}, 0, request->deliver, std::nullopt});
  nlohmann::json answer = {{"paused", state->paused},
                           {"speed", state->speed},
                           {"time_s", runner_.seconds_since_up()},
                           {"now_s", static_cast<double>(runner_.world().time().now_ns()) / 1e9},
                           {"delivered", state->delivered}};
  if (!state->note.empty()) answer["note"] = state->note;
  return {200, json_text(answer)};
}

LiveAnswer LiveApi::branch(const std::string& body) {
  auto& world = runner_.world();
  if (world.network() != NetworkKind::virtual_)
    return {409, json_text({{"error",
                             "a branch replays the run to a past moment, which only the virtual "
                             "network can (--net virtual): on real sockets the past is gone"}})};
  if (running_)
    return {409,
            json_text({{"error", *running_ + " is running: wait for it to end, then branch"}})};
  if (branch_) return {409, json_text({{"error", "a branch is being made already"}})};
  const auto now = world.time().now_ns();
  auto request = parse_branch_request(body, runner_.scenario().topology, now);
  if (!request) return {400, json_text({{"error", request.error()}})};
  BranchPlan plan;
  plan.number = branches_ + 1;
  plan.at_ns = request->at_ns;
  plan.steps = std::move(request->steps);
  plan.speed = world.time().clock_state().speed;
  // What happened at the moment itself stays in: the branch acts just after it.
  for (const auto& input : inputs_)
    if (input.at_ns <= plan.at_ns) plan.inputs.push_back(input);
  nlohmann::json answer = {{"branch", plan.number},
                           {"at_s", static_cast<double>(plan.at_ns) / 1e9},
                           {"replays", plan.inputs.size()}};
  branch_ = std::move(plan);
  return {202, json_text(answer)};
}

void LiveApi::become_branch(const BranchPlan& plan,
                            std::vector<std::optional<bool>> replayed_results) {
  branches_ = plan.number;
  inputs_ = plan.inputs;
  std::string did;
  for (const auto& step : plan.steps) did += (did.empty() ? "" : "; ") + describe(step);
  branched_from_.emplace(plan.at_ns, did);
  replayed_results.resize(results_.size());
  results_ = std::move(replayed_results);
}

}  // namespace herd
