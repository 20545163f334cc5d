#pragma once
// What every section of `herd bench` shares: the options it runs with, the figures it collects
// (in order), the latency curve the iamat section draws, and whether anything failed.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "tools/bench/bench.hpp"
#include "tools/bench/load.hpp"

namespace herd::bench {

struct Figure {
  std::string section, name, unit;
  double value = 0;
  double baseline = 0;  // 0: none
  std::string baseline_name;
  std::string target;  // the goal it is held to, in words
};

// Latency against load at one connection count: the lone node beside echo.
struct LatencyPoint {
  int connections = 0;
  Load echo, node;
};

class BenchContext {
 public:
  explicit BenchContext(const BenchOptions& options) : options_(options) {}

  [[nodiscard]] const BenchOptions& options() const { return options_; }
  [[nodiscard]] bool quick() const { return options_.quick; }
  [[nodiscard]] bool wanted(const std::string& section) const;

  // A line of progress, as a measurement starts.
  void say(const std::string& text) const;
  void add(Figure figure) { figures_.push_back(std::move(figure)); }
  // Something could not be measured: said at once, and the run exits 1.
  void fail(const std::string& why);
  [[nodiscard]] bool failed() const { return failed_; }

  // How long each load runs, and how many rounds of it a figure takes the median of.
  [[nodiscard]] std::chrono::milliseconds load_time() const;
  [[nodiscard]] int rounds() const;

  [[nodiscard]] const std::vector<Figure>& figures() const { return figures_; }
  void add_latency_point(const LatencyPoint& point) { curve_.push_back(point); }
  [[nodiscard]] const std::vector<LatencyPoint>& latency_curve() const { return curve_; }

 private:
  const BenchOptions& options_;
  std::vector<Figure> figures_;
  std::vector<LatencyPoint> curve_;
  bool failed_ = false;
};

}  // namespace herd::bench
