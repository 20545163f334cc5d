#include "sim/workload/reply_pattern.hpp"

#include <re2/re2.h>

namespace herd {
namespace {

// Written for JavaScript's dialect, which our first scenarios used: "[^]" matches anything there,
// and is an unclosed class in RE2.
std::string to_re2(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out.append(pattern.substr(i, 2));
      ++i;
    } else if (pattern.substr(i, 3) == "[^]") {
      out.append("[\\s\\S]");
      i += 2;
    } else {
      out.push_back(pattern[i]);
    }
  }
  return out;
}

RE2::Options options() {
  RE2::Options o;
  o.set_log_errors(false);
  // Bytes, not characters: a reply may be any bytes, and a pattern's UTF-8 still matches itself.
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_max_mem(16 << 20);
  return o;
}

}  // namespace

Expected<void> check_pattern(std::string_view pattern) {
  RE2 compiled(to_re2(pattern), options());
  if (compiled.ok()) return {};
  return fail(compiled.error());
}

bool pattern_matches(std::string_view pattern, std::string_view reply) {
  RE2 compiled(to_re2(pattern), options());
  return compiled.ok() && RE2::FullMatch(reply, compiled);
}

}  // namespace herd
