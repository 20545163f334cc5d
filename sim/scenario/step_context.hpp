#pragma once
// What a scenario step can do to a running herd, as an interface the runner implements. Every
// step kind is defined once, in sim/scenario/scenario.cpp's table (how it is read, written,
// described and applied); applying it calls these. Pure: no network here, so one table serves any
// runner.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sim/faults/link_faults.hpp"
#include "sim/scenario/scenario.hpp"

namespace herd {

struct StepOutcome {
  std::size_t index = 0;
  StepKind kind = StepKind::wait;
  std::string description;
  double started_s = 0, finished_s = 0;  // since the herd came up
  bool ok = true;
  // Not ok, and not failed either: the check could not look (a server it could not read, no
  // update to judge); the message says why.
  bool inconclusive = false;
  std::string message;               // what happened, or why it failed
  std::vector<std::string> details;  // with --verbose: every problem a failed check found
};

class StepContext {
 public:
  virtual ~StepContext() = default;
  // Client traffic.
  virtual void send(const Step& step, StepOutcome& out) = 0;
  virtual void traffic(const Step& step, StepOutcome& out) = 0;
  // Links: the step's from/to (both ways unless one_way), or every link.
  virtual void change_links(const Step& step, const std::function<void(LinkFaults&)>& change) = 0;
  virtual void reset_links(const Step& step) = 0;
  virtual void partition(const Step& step) = 0;
  virtual void heal() = 0;
  // Servers.
  virtual void crash(const std::string& node, StepOutcome& out) = 0;
  virtual void restart(const std::string& node, StepOutcome& out) = 0;
  virtual void pause(const std::string& node, StepOutcome& out) = 0;
  virtual void resume(const std::string& node, StepOutcome& out) = 0;
  virtual void set_places(const PlacesFaults& faults) = 0;
  // Time and checks.
  virtual void wait(int ms) = 0;
  virtual void expect_converged(const Step& step, StepOutcome& out, bool want_converged) = 0;
  virtual void expect_record(const Step& step, StepOutcome& out) = 0;
};

// Applies one step through `context` (the step kind's own entry in the table says how).
void apply_step(const Step& step, StepContext& context, StepOutcome& out);

}  // namespace herd
