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

// The most client connections one server takes by default, when `servers` servers share a
// process whose soft limit is `open_files`: an equal share of the descriptors left after a
// reserve for links, logs and Places, at least 16 and at most `max_default_clients`.
inline constexpr std::size_t max_default_clients = 65536;
[[nodiscard]] std::size_t default_client_cap(std::uint64_t open_files, std::size_t servers);

}  // namespace herd
