#include "sim/run/run_scenario.hpp"

#include <algorithm>

#include "sim/live/live_api.hpp"
#include "sim/live/live_session.hpp"
#include "sim/report/trace.hpp"
#include "sim/runner/runner.hpp"
#include "sim/world/process_world.hpp"
#include "sim/world/socket_world.hpp"
#include "sim/world/virtual_world.hpp"

namespace herd {
namespace {

std::unique_ptr<World> make_world(const Scenario& scenario, const SimOptions& options) {
  WorldOptions world;
  world.name = scenario.name;
  world.topology = scenario.topology;
  world.classic = scenario.classic;
  world.seed = scenario.seed;
  world.record.trace = options.trace;
  world.record.listener = options.trace_listener;
  world.record.listening = options.trace_listening;
  // The timeline draws at most timeline_max AT lines: about as many are kept, every one counted;
  // none is kept or counted for a run that writes no report.
  world.record.max_messages = options.keep_timeline ? options.timeline_max + 1000 : 0;
  if (!options.keep_timeline) world.record.max_events = 0;
  // A black box's metrics are what crossed the proxies: its lines are counted even then.
  world.record.count_messages = options.keep_timeline || options.external.has_value();
  world.node = options.node;
  world.reconnect_max_ms = options.reconnect_max_ms;
  world.reconnect_stable_ms = options.reconnect_stable_ms;
  world.connect_timeout_ms = options.connect_timeout_ms;
  if (!options.log_dir.empty()) world.log_dir = options.log_dir + "/" + scenario.name;
  world.places_url = options.places_url;
  world.places_port = options.places_port;
  world.external = options.external;
  if (options.network == NetworkKind::virtual_) return make_virtual_world(std::move(world));
  if (options.external) return make_process_world(std::move(world));
  return make_socket_world(std::move(world));
}

RunnerOptions runner_options_for(const SimOptions& options) {
  RunnerOptions runner_options{options.progress, options.verbose, options.on_ready};
  if (options.external) {
    runner_options.reply_timeout_ms = options.external->reply_timeout_ms;
    runner_options.lenient_replies = true;
    runner_options.concurrent_traffic = options.external->course_clients;
  }
  return runner_options;
}

// A branch: the run replayed in a fresh world (the virtual network is deterministic, so it
// comes back to the moment exactly), the page's steps taken there, then served as the run was.
// What the page does there can branch again: that plan is returned.
std::optional<BranchPlan> run_branch(const Scenario& scenario, const SimOptions& options,
                                     const BranchPlan& plan) {
  auto& session = *options.live_view;
  std::string did;
  for (const auto& step : plan.steps) did += (did.empty() ? "" : "; ") + describe(step);
  // The page starts its picture afresh at this line: the replay's own lines follow from 0.
  std::string announce;
  append_trace_seconds(announce, 0);
  announce += " branch " + std::to_string(plan.number) + " ";
  append_trace_seconds(announce, plan.at_ns);
  session.publish(announce + " " + did);
  // The run's trace file is the run's: a branch's events go to the page alone.
  SimOptions branch_options = options;
  branch_options.trace = nullptr;
  auto world = make_world(scenario, branch_options);
  RunnerOptions quiet = runner_options_for(options);
  quiet.progress = nullptr;  // the run's progress was printed; the branch is the page's
  quiet.on_ready = nullptr;
  Runner runner(*world, scenario, quiet);
  world->time().stop_when([&session] { return session.stop_requested(); });
  // Paused from the start, at the run's speed: the class sees what the branch did, then goes on.
  ClockRequest paused;
  paused.paused = true;
  paused.speed = plan.speed;
  (void)world->time().control(paused);
  if (auto started = runner.start(); !started) {
    session.publish(announce + " could not start: " + started.error());
    return std::nullopt;
  }
  // Time stops at the moment, even inside a step that spanned it (a traffic step stops sending
  // there): the herd is then as it was at that moment of the run.
  auto& time = world->time();
  const auto at_ns = std::max(plan.at_ns, time.now_ns());  // not before the herd was up
  time.stop_at(at_ns);
  BranchPlan replayed = plan;
  std::vector<std::optional<bool>> results(scenario.steps.size());
  for (auto& input : replayed.inputs) {
    time.advance_to(input.at_ns);
    if (input.deliver) {
      (void)world->links().release_one_line(input.deliver->first, input.deliver->second);
      continue;
    }
    // A step an earlier branch cut short stops where it did.
    const auto stop = std::min(at_ns, input.cut_at_ns.value_or(at_ns));
    time.stop_at(stop);
    for (std::size_t i = 0; i < input.steps.size(); ++i) {
      const auto index = input.first_index + i;
      auto outcome = runner.run_step(input.steps[i], index);
      // One of the scenario's that ended before the moment: its verdict stands.
      if (index < results.size() && time.now_ns() < stop) results[index] = outcome.ok;
    }
    if (time.now_ns() >= stop) input.cut_at_ns = stop;
    time.stop_at(at_ns);
  }
  time.advance_to(at_ns);
  time.stop_at(std::nullopt);
  LiveApi live(runner, session);
  live.attach();
  live.become_branch(replayed, std::move(results));
  std::size_t next_index = scenario.steps.size();
  for (const auto& input : plan.inputs)
    next_index = std::max(next_index, input.first_index + input.steps.size());
  live.number_from(next_index);
  // The page draws what was on its way at the moment once the replay is done.
  std::string branched;
  append_trace_seconds(branched, at_ns);
  session.publish(branched + " branched " + std::to_string(plan.number) + ": " + did);
  (void)live.run_posted(plan.steps);
  live.serve();
  (void)runner.finish_background();
  RunResult ignored;
  runner.finish(ignored);
  return live.take_branch();
}

}  // namespace

RunResult run_scenario(const Scenario& original, const SimOptions& options) {
  Scenario scenario = original;
  if (options.seed) scenario.seed = *options.seed;
  if (options.force_classic) scenario.classic = true;
  RunResult result;
  result.scenario = scenario;
  result.network = options.network;
  for (const auto& s : scenario.topology.servers) result.servers.push_back(s.name);

  auto world = make_world(scenario, options);
  Runner runner(*world, scenario, runner_options_for(options));
  if (auto reason = runner.cannot_run()) {
    result.skipped = *reason;
    return result;
  }
  if (options.live_view != nullptr) {
    auto* live = options.live_view;
    world->time().stop_when([live] { return live->stop_requested(); });
  }
  if (auto started = runner.start(); !started) {
    result.setup_error = started.error();
    runner.finish(result);
    return result;
  }
  std::optional<LiveApi> live;
  if (options.live_view != nullptr) {
    live.emplace(runner, *options.live_view);
    live->number_from(scenario.steps.size());
    live->attach();
  }
  if (live && options.live_paused) live->hold_steps();
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    if (live && !live->before_step(i)) break;  // stopped while the page held the step
    result.steps.push_back(runner.run_step(scenario.steps[i], i));
    if (live) {
      live->after_step(i, result.steps.back().ok);
      // The live view is answered between the scenario's steps too.
      options.live_view->run_jobs();
    }
  }
  for (auto& outcome : runner.finish_background()) result.steps.push_back(std::move(outcome));
  if (live) live->serve();
  runner.finish(result);
  result.passed = std::all_of(result.steps.begin(), result.steps.end(),
                              [](const StepOutcome& s) { return s.ok; });
  result.inconclusive = !result.passed && result.setup_error.empty() &&
                        std::all_of(result.steps.begin(), result.steps.end(),
                                    [](const StepOutcome& s) { return s.ok || s.inconclusive; });
  // Branches are the page's: served one after another, none of them in the run's report.
  if (live) {
    auto branch = live->take_branch();
    while (branch && !options.live_view->stop_requested())
      branch = run_branch(scenario, options, *branch);
  }
  return result;
}

}  // namespace herd
