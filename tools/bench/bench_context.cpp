#include "tools/bench/bench_context.hpp"

#include <algorithm>
#include <ostream>

namespace herd::bench {

bool BenchContext::wanted(const std::string& section) const {
  return options_.only.empty() ||
         std::find(options_.only.begin(), options_.only.end(), section) != options_.only.end();
}

void BenchContext::say(const std::string& text) const {
  if (options_.progress) *options_.progress << "bench: " << text << std::endl;
}

void BenchContext::fail(const std::string& why) {
  failed_ = true;
  say("FAILED: " + why);
}

std::chrono::milliseconds BenchContext::load_time() const {
  return std::chrono::milliseconds(options_.quick ? 300 : 2000);
}

int BenchContext::rounds() const {
  return options_.quick ? 1 : 3;
}

}  // namespace herd::bench
