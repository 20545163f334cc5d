#pragma once
// What a log or a terminal gets of text a client chose: control bytes written as \xNN (an escape
// sequence in a client ID must not retitle or clear the terminal of whoever watches stderr), and
// at most `most` bytes of it, the rest counted, so that a flood of long lines cannot fill a disk
// at the rate the network brings them. Pure and header-only.

#include <cstddef>
#include <string>
#include <string_view>

namespace herd {

inline void append_log_text(std::string& out, std::string_view text, std::size_t most) {
  static constexpr char hex[] = "0123456789abcdef";
  const std::size_t kept = text.size() > most ? most : text.size();
  for (std::size_t i = 0; i < kept; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out.append("\\x").push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (kept < text.size())
    out.append(" ...[").append(std::to_string(text.size() - kept)).append(" more bytes]");
}

// How much of one entry a node's log and its stderr notes keep.
inline constexpr std::size_t log_text_most = 2048;

}  // namespace herd
