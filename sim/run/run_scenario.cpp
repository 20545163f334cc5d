#include "sim/run/run_scenario.hpp"

#include <algorithm>

#include "sim/live/live_api.hpp"
#include "sim/live/live_session.hpp"
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
  // The timeline draws at most timeline_max AT lines: about as many are kept, every one counted.
  world.record.max_messages = options.timeline_max + 1000;
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
  RunnerOptions runner_options{options.progress, options.verbose, options.on_ready};
  if (options.external) {
    runner_options.reply_timeout_ms = options.external->reply_timeout_ms;
    runner_options.lenient_replies = true;
    runner_options.concurrent_traffic = options.external->course_clients;
  }
  Runner runner(*world, scenario, runner_options);
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
  return result;
}

}  // namespace herd
