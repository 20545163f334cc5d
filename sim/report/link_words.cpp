#include "sim/report/link_words.hpp"

namespace herd {

LinkWords::Pair LinkWords::pair(std::string_view a, std::string_view b) {
  if (b < a) std::swap(a, b);
  return {std::string(a), std::string(b)};
}

void LinkWords::said(std::string_view server, std::string_view peer, bool up) {
  last_word_[pair(server, peer)] = up;
}

void LinkWords::crashed(std::string_view server) {
  for (auto& [ends, up] : last_word_)
    if (ends.first == server || ends.second == server) up = false;
}

std::optional<bool> LinkWords::up(std::string_view a, std::string_view b) const {
  auto it = last_word_.find(pair(a, b));
  if (it == last_word_.end()) return std::nullopt;
  return it->second;
}

}  // namespace herd
