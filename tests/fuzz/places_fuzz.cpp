// Any bytes as a Places body: the WHATSAT reply's JSON part is always an object with no blank line.
#include <cstdint>
#include <string_view>

#include "core/places_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  int bound = 1 + data[0] % 20;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto shaped = herd::shape_places_body(body, bound);
  if (shaped.empty() || shaped.front() != '{' || shaped.back() != '}') __builtin_trap();
  if (shaped.find("\n\n") != std::string::npos) __builtin_trap();
  return 0;
}
