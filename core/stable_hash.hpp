#pragma once
// A string hash that is the same on every platform and standard library (std::hash is not), for
// seeds derived from names: a seed must replay the same run everywhere.

#include <cstdint>
#include <string_view>

namespace herd {

[[nodiscard]] constexpr std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace herd
