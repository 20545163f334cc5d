#include "sim/report/findings.hpp"

#include <algorithm>

namespace herd {

void Findings::add(std::string_view kind, std::string text) {
  std::lock_guard lock(mutex_);
  if (std::any_of(kept_.begin(), kept_.end(), [&](const auto& k) { return k.kind == kind; }))
    return;
  kept_.push_back({std::string(kind), std::move(text)});
}

std::vector<Finding> Findings::list() const {
  std::lock_guard lock(mutex_);
  return kept_;
}

bool Findings::empty() const {
  std::lock_guard lock(mutex_);
  return kept_.empty();
}

}  // namespace herd
