#include "sim/scenario/shrink.hpp"

#include <algorithm>
#include <set>

namespace herd {
namespace {

class Shrinker {
 public:
  Shrinker(const Scenario& failing, std::size_t failing_step, std::string signature,
           const std::function<std::string(const Scenario&)>& signature_of,
           const std::function<void(const ShrinkProgress&)>& report)
      : best_(failing),
        failing_step_(failing_step),
        signature_(std::move(signature)),
        signature_of_(signature_of),
        report_(report) {}

  Scenario run() {
    // What comes after the failing step cannot change that it fails.
    best_.steps.resize(failing_step_ + 1);
    progress_.steps = best_.steps.size();
    remove_steps();
    halve_numbers();
    return best_;
  }

 private:
  bool fails(const Scenario& candidate, const std::string& what) {
    ++progress_.runs;
    progress_.last = what;
    bool same = signature_of_(candidate) == signature_;
    if (same) progress_.steps = candidate.steps.size();
    if (report_) report_(progress_);
    return same;
  }

  // Delta debugging (ddmin) over units: a step, or a fault with its repair.
  void remove_steps() {
    const auto& steps = best_.steps;
    const std::size_t check = steps.size() - 1;
    std::set<std::size_t> fixed = {check};
    for (std::size_t i = check; i-- > 0;)
      if (steps[i].kind == StepKind::heal) {
        fixed.insert(i);  // the final heal stays: without it a partition never ends
        break;
      }
    std::vector<std::vector<std::size_t>> units;
    std::set<std::size_t> paired;
    for (std::size_t i = 0; i < check; ++i) {
      if (fixed.count(i) || paired.count(i)) continue;
      std::vector<std::size_t> unit = {i};
      for (std::size_t j = i + 1; j < check; ++j)
        if (!paired.count(j) && repairs(steps[i], steps[j])) {
          if (!fixed.count(j)) unit.push_back(j);
          paired.insert(j);
          break;
        }
      units.push_back(unit);
    }
    auto build = [&](const std::vector<std::vector<std::size_t>>& kept) {
      std::set<std::size_t> indexes(fixed.begin(), fixed.end());
      for (const auto& unit : kept) indexes.insert(unit.begin(), unit.end());
      Scenario candidate = best_;
      candidate.steps.clear();
      for (auto i : indexes) candidate.steps.push_back(steps[i]);
      return candidate;
    };
    std::size_t n = 2;
    while (!units.empty()) {
      n = std::min(n, units.size());
      const std::size_t chunk = (units.size() + n - 1) / n;
      bool reduced = false;
      for (std::size_t start = 0; start < units.size() && !reduced; start += chunk) {
        std::vector<std::vector<std::size_t>> rest(units.begin(), units.begin() + start);
        rest.insert(rest.end(), units.begin() + std::min(units.size(), start + chunk), units.end());
        auto candidate = build(rest);
        if (fails(candidate, "without " + std::to_string(units.size() - rest.size()) + " of " +
                                 std::to_string(units.size()) + " parts")) {
          units = std::move(rest);
          n = std::max<std::size_t>(n - 1, 2);
          reduced = true;
        }
      }
      if (reduced) continue;
      if (n >= units.size()) break;
      n = std::min(2 * n, units.size());
    }
    best_ = build(units);
  }

  // Then each number a step has that makes the run bigger, halved while the run still fails.
  void halve_numbers() {
    for (std::size_t i = 0; i + 1 < best_.steps.size(); ++i) {
      auto halve = [&](auto member, auto smallest, const char* name) {
        while (best_.steps[i].*member > smallest) {
          Scenario candidate = best_;
          auto& value = candidate.steps[i].*member;
          value = std::max<std::remove_reference_t<decltype(value)>>(smallest, value / 2);
          if (!fails(candidate, "steps[" + std::to_string(i) + "]." + name + " halved")) break;
          best_ = std::move(candidate);
        }
      };
      switch (best_.steps[i].kind) {
        case StepKind::traffic:
          halve(&Step::clients, 1, "clients");
          halve(&Step::rate, 1.0, "rate");
          halve(&Step::duration_ms, 10, "duration_ms");
          break;
        case StepKind::wait:
          halve(&Step::ms, 1, "ms");
          break;
        default:
          break;
      }
    }
  }

  Scenario best_;
  std::size_t failing_step_;
  std::string signature_;
  const std::function<std::string(const Scenario&)>& signature_of_;
  const std::function<void(const ShrinkProgress&)>& report_;
  ShrinkProgress progress_;
};

}  // namespace

std::string failure_signature(const std::vector<StepOutcome>& steps) {
  for (const auto& step : steps) {
    if (step.ok) continue;
    std::string text = step.message;
    for (const auto& d : step.details) text += "\n" + d;
    // The word before each " lacks the update" names a server.
    std::set<std::string> servers;
    static const std::string lacks = " lacks the update";
    for (auto at = text.find(lacks); at != std::string::npos; at = text.find(lacks, at + 1)) {
      auto start = text.find_last_of(" \t\n", at == 0 ? 0 : at - 1);
      start = start == std::string::npos ? 0 : start + 1;
      if (start < at) servers.insert(text.substr(start, at - start));
    }
    std::string out = std::string(to_string(step.kind)) + ":";
    if (!servers.empty()) {
      for (const auto& s : servers) out += " " + s;
      out += " lack";
    } else if (text.find("lost update") != std::string::npos) {
      out += " an update lost";
    } else {
      out += " " + step.description;
    }
    return out;
  }
  return {};
}

Scenario shrink_scenario(const Scenario& failing, const std::vector<StepOutcome>& failed_run,
                         const std::function<std::string(const Scenario&)>& signature_of,
                         const std::function<void(const ShrinkProgress&)>& report) {
  auto first = std::find_if(failed_run.begin(), failed_run.end(),
                            [](const StepOutcome& s) { return !s.ok; });
  // A run that failed nowhere, or at a step the scenario does not have (a background reply
  // checked at the end), gives nothing to aim at.
  if (first == failed_run.end() || first->index >= failing.steps.size()) return failing;
  return Shrinker(failing, first->index, failure_signature(failed_run), signature_of, report).run();
}

}  // namespace herd
