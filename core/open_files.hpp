#pragma once
// The process's open-file limit, which bounds how many clients a server can hold: each is a
// descriptor. The usual soft limit (1024) is far below what the kernel allows (the hard limit),
// so servers raise it at start and size their client cap from what they got.

#include <cstddef>
#include <cstdint>

namespace herd {

struct OpenFileLimit {
  std::uint64_t before = 0;  // the soft limit found at start
  std::uint64_t now = 0;     // the soft limit after raising it
  std::uint64_t hard = 0;
};

// Raises the soft limit to the hard one (never lowers it), and remembers what it did.
OpenFileLimit raise_open_file_limit();
// What the last raise_open_file_limit() in this process did (all zero if none ran).
[[nodiscard]] OpenFileLimit last_open_file_raise();
// The current soft limit.
[[nodiscard]] std::uint64_t open_file_limit();

// How many client connections a process may hold in all when its soft limit is `open_files`
// and it runs `servers` servers with `links` links between them: what is left after a reserve
// for listeners, logs, both ends of every link and Places calls (in and out, for herd up's mock).
// Its servers share it (client_budget.hpp). Where the limit does not even cover the reserve, a
// quarter of it: accepting then fails with EMFILE now and then, and a server closes its longest
// idle client to recover.
[[nodiscard]] std::size_t client_budget_slots(std::uint64_t open_files, std::size_t servers,
                                              std::size_t links);

}  // namespace herd
