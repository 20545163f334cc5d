#include "sim/report/text_interner.hpp"

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <functional>

namespace herd {

// Open addressing with its keys' metadata in groups: a lookup is a hash, a probe of one group and
// one comparison, where a node-based map chased a pointer per lookup into a node of its own.
struct TextInterner::Index {
  boost::unordered_flat_map<std::string_view, Id, std::hash<std::string_view>> ids;
};

TextInterner::TextInterner() : index_(std::make_unique<Index>()) {}
TextInterner::~TextInterner() = default;

TextInterner::Id TextInterner::intern(std::string_view text) {
  if (auto it = index_->ids.find(text); it != index_->ids.end()) return it->second;
  auto id = static_cast<Id>(texts_.size());
  texts_.push_back(keep(text));
  index_->ids.emplace(texts_.back(), id);
  return id;
}

TextInterner::Id TextInterner::find(std::string_view text) const {
  auto it = index_->ids.find(text);
  return it == index_->ids.end() ? none : it->second;
}

std::string_view TextInterner::keep(std::string_view text) {
  constexpr std::size_t block_bytes = 256 * 1024;
  if (text.size() > block_left_) {
    // A text longer than a block gets a block of its own; the current one goes on being filled.
    if (text.size() > block_bytes / 4) {
      blocks_.push_back(std::make_unique<char[]>(text.size()));
      std::memcpy(blocks_.back().get(), text.data(), text.size());
      return {blocks_.back().get(), text.size()};
    }
    blocks_.push_back(std::make_unique<char[]>(block_bytes));
    block_next_ = blocks_.back().get();
    block_left_ = block_bytes;
  }
  std::memcpy(block_next_, text.data(), text.size());
  std::string_view kept(block_next_, text.size());
  block_next_ += text.size();
  block_left_ -= text.size();
  return kept;
}

}  // namespace herd
