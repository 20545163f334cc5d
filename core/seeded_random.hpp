#pragma once
// Random numbers from a seed that give the same sequence on every platform and standard library
// (the <random> distributions do not), so that a seed replays a run. splitmix64. Pure.

#include <cstdint>

namespace herd {

class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [low, high]; `low` when high <= low.
  std::int64_t between(std::int64_t low, std::int64_t high) {
    if (high <= low) return low;
    auto span = static_cast<std::uint64_t>(high - low) + 1;
    return low + static_cast<std::int64_t>(next() % span);
  }

 private:
  std::uint64_t state_;
};

}  // namespace herd
