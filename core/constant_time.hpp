#pragma once
// Comparing secrets (a peer proof, the control API's token) without leaking through timing how
// much of a guess was right. Pure.

#include <cstddef>
#include <string_view>

namespace herd {

[[nodiscard]] inline bool constant_time_equal(std::string_view expected, std::string_view given) {
  // Every byte of `expected` is read whatever `given` holds, so only the length can show.
  unsigned char differ = expected.size() == given.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    differ |= static_cast<unsigned char>(static_cast<unsigned char>(expected[i]) ^ g);
  }
  // volatile: the compiler may not stop at the first difference.
  volatile unsigned char result = differ;
  return result == 0;
}

}  // namespace herd
