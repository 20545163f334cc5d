#include "core/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>

namespace herd {
namespace {

std::atomic<std::uint64_t> raised_before{0}, raised_to{0}, raised_hard{0};

}  // namespace

OpenFileLimit last_open_file_raise() {
  return {raised_before.load(), raised_to.load(), raised_hard.load()};
}

OpenFileLimit raise_open_file_limit() {
  OpenFileLimit limit;
  rlimit current{};
  if (getrlimit(RLIMIT_NOFILE, &current) != 0) return limit;
  limit.before = limit.now = current.rlim_cur;
  limit.hard = current.rlim_max;
  if (current.rlim_cur < current.rlim_max) {
    rlimit raised = current;
    raised.rlim_cur = current.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit.now = raised.rlim_cur;
  }
  raised_before = limit.before;
  raised_to = limit.now;
  raised_hard = limit.hard;
  return limit;
}

std::uint64_t open_file_limit() {
  rlimit current{};
  if (getrlimit(RLIMIT_NOFILE, &current) != 0) return 1024;
  return current.rlim_cur;
}

std::size_t client_budget_slots(std::uint64_t open_files, std::size_t servers, std::size_t links) {
  const std::uint64_t reserve = 64 + 2 * servers + 4 * links;
  if (open_files > reserve + 16) return static_cast<std::size_t>(open_files - reserve);
  return static_cast<std::size_t>(std::max<std::uint64_t>(1, open_files / 4));
}

}  // namespace herd
