#include "core/line_queue.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "core/line_splitter.hpp"
#include "core/location_store.hpp"

namespace herd {

void LineQueue::push(std::string_view line) {
  text_.append(line).push_back('\n');
  if (text_.size() >= trim_at_) {
    drop_superseded();
    trim_at_ = std::max(min_trim_bytes, 2 * text_.size());
  }
}

void LineQueue::take(std::string& out) {
  out.clear();
  out.swap(text_);
  trim_at_ = min_trim_bytes;
}

void LineQueue::clear() {
  text_.clear();
  trim_at_ = min_trim_bytes;
}

void LineQueue::drop_superseded() {
  std::vector<std::string_view> lines;
  for_each_line(text_, [&lines](std::string_view line) { lines.push_back(line); });
  std::unordered_map<std::string_view, std::size_t> newest;  // client -> index of its last line
  for (std::size_t i = 0; i < lines.size(); ++i) newest[at_line_client(lines[i])] = i;
  if (newest.size() == lines.size()) return;
  std::string kept;
  kept.reserve(text_.size());
  // A line with no client field (a link's greeting) is never superseded.
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto client = at_line_client(lines[i]);
    if (client.empty() || newest[client] == i) kept.append(lines[i]).push_back('\n');
  }
  text_.swap(kept);
}

}  // namespace herd
