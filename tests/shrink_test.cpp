// Shrinking a failing scenario: which steps go, which stay together, which numbers halve, and
// that a candidate failing for another reason is not taken for the original failure.

#include "sim/scenario/shrink.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace herd;

namespace {

Step step(StepKind kind, std::string node = {}) {
  Step s;
  s.kind = kind;
  s.node = std::move(node);
  return s;
}

Step traffic(int clients, double rate, int duration_ms) {
  Step s = step(StepKind::traffic);
  s.clients = clients;
  s.rate = rate;
  s.duration_ms = duration_ms;
  return s;
}

bool has(const Scenario& s, StepKind kind, const std::string& node = {}) {
  return std::any_of(s.steps.begin(), s.steps.end(),
                     [&](const Step& x) { return x.kind == kind && x.node == node; });
}

// The failing run: its check, last, failed naming Bona.
std::vector<StepOutcome> failed_at_last(const Scenario& s) {
  std::vector<StepOutcome> out(s.steps.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].index = i;
    out[i].kind = s.steps[i].kind;
  }
  out.back().ok = false;
  out.back().message = "not converged: Bona lacks the update \"AT Clark +0.1 c +1+1 5.0\"";
  return out;
}

}  // namespace

TEST_CASE("a failure's signature is the kind of step that failed and the servers lacking") {
  std::vector<StepOutcome> run(2);
  run[0].kind = StepKind::traffic;
  run[1].kind = StepKind::expect_converged;
  run[1].ok = false;
  run[1].message = "not converged: Clark lacks the update \"AT x\"";
  run[1].details = {"Bona lacks the update \"AT y\"", "Clark lacks the update \"AT z\""};
  CHECK(failure_signature(run) == "expect_converged: Bona Clark lack");
  run[1].message = "lost update: \"AT x\" was accepted";
  run[1].details.clear();
  CHECK(failure_signature(run) == "expect_converged: an update lost");
  run[1].ok = true;
  CHECK(failure_signature(run).empty());
}

TEST_CASE("steps go unless the failure needs them, a crash leaves only with its restart") {
  Scenario s;
  s.steps = {traffic(10, 100, 400),         step(StepKind::wait),
             step(StepKind::crash, "Bona"), step(StepKind::restart, "Bona"),
             step(StepKind::partition),     step(StepKind::heal),
             step(StepKind::send, "Clark"), step(StepKind::expect_converged)};
  s.steps[1].ms = 100;
  int runs = 0;
  // Fails as the original did exactly when Bona is crashed before the check.
  auto signature_of = [&](const Scenario& c) {
    ++runs;
    bool crashed = has(c, StepKind::crash, "Bona");
    CHECK(crashed == has(c, StepKind::restart, "Bona"));  // never one without the other
    CHECK(c.steps.back().kind == StepKind::expect_converged);
    return crashed ? std::string("expect_converged: Bona lack") : std::string();
  };
  auto small = shrink_scenario(s, failed_at_last(s), signature_of);
  REQUIRE(small.steps.size() == 4);
  CHECK(small.steps[0].kind == StepKind::crash);
  CHECK(small.steps[1].kind == StepKind::restart);
  CHECK(small.steps[2].kind == StepKind::heal);  // the final heal stays
  CHECK(small.steps[3].kind == StepKind::expect_converged);
  CHECK(runs > 0);
  CHECK(runs < 40);
}

TEST_CASE("numbers halve while the run still fails, and stop where it would pass") {
  Scenario s;
  s.steps = {traffic(10, 100, 400), step(StepKind::expect_converged)};
  // Needs three clients or more; the rate and the duration do not matter.
  auto signature_of = [](const Scenario& c) {
    return c.steps.size() == 2 && c.steps[0].clients >= 3
               ? std::string("expect_converged: Bona lack")
               : std::string();
  };
  auto small = shrink_scenario(s, failed_at_last(s), signature_of);
  REQUIRE(small.steps.size() == 2);
  CHECK(small.steps[0].clients == 5);
  CHECK(small.steps[0].rate == 1);
  CHECK(small.steps[0].duration_ms == 10);
}

TEST_CASE("a candidate that fails another way does not count") {
  Scenario s;
  s.steps = {step(StepKind::crash, "Clark"), step(StepKind::restart, "Clark"),
             step(StepKind::expect_converged)};
  // Without the crash the run still fails, but at another server: the crash stays.
  auto signature_of = [](const Scenario& c) {
    return has(c, StepKind::crash, "Clark") ? std::string("expect_converged: Bona lack")
                                            : std::string("expect_converged: Jaquez lack");
  };
  auto small = shrink_scenario(s, failed_at_last(s), signature_of);
  CHECK(small.steps.size() == 3);
}
