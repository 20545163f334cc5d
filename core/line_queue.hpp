#pragma once
// The lines one peer link has yet to write. Pure: no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace herd {

// AT lines queued for a link's writer, in the order pushed, each followed by "\n".
//
// A push is an append to one buffer that keeps its capacity from batch to batch, so a link that
// keeps up costs no allocation per line. A slow or dead peer must not make the queue grow
// without bound, so whenever it has doubled since it was last trimmed, every line whose client
// has a newer one queued is dropped: the node only pushes a line that replaced its client's
// record, so the receiver would discard the older one as stale. That bounds the queue at about
// twice one line per client.
class LineQueue {
 public:
  void push(std::string_view line);  // one AT line, no line end
  // Replaces `out` with every queued line and empties the queue; both keep their buffers.
  void take(std::string& out);
  void clear();
  [[nodiscard]] bool empty() const { return text_.empty(); }
  [[nodiscard]] std::size_t bytes() const { return text_.size(); }

  // Below this many bytes the queue is never trimmed: a batch that small is cheaper to send.
  static constexpr std::size_t min_trim_bytes = 64 * 1024;

 private:
  void drop_superseded();

  std::string text_;
  std::size_t trim_at_ = min_trim_bytes;
};

}  // namespace herd
