#pragma once
// What the herd's own events last said of each link: a server reports its connection to a
// neighbour up or down, and a crashed server's connections are down whatever was said before.
// The live view draws a link from this, so that a page opened late, or one that missed the
// events while nobody watched, still shows the connections as they are. Worlds whose servers
// report nothing (other herds' processes) leave it empty: then nothing is known of a link.
// Not thread-safe (RunRecord locks it). Pure.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace herd {

class LinkWords {
 public:
  // `server` said its connection to `peer` came up (or went down).
  void said(std::string_view server, std::string_view peer, bool up);
  // Every link `server` is known to have is down: its connections died with it.
  void crashed(std::string_view server);
  // The last word either end said of the link between a and b; nullopt when neither said any.
  [[nodiscard]] std::optional<bool> up(std::string_view a, std::string_view b) const;

 private:
  using Pair = std::pair<std::string, std::string>;  // the two names in order
  static Pair pair(std::string_view a, std::string_view b);
  std::map<Pair, bool, std::less<>> last_word_;
};

}  // namespace herd
