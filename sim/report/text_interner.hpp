#pragma once
// Texts (AT lines, clients' names) numbered in the order first seen: equal texts get the same
// dense id, so the simulator's per-update tables are arrays indexed by it, and each text is kept
// once however many servers hold it. The texts sit end to end in large blocks, so the newest ones
// (those a flood is busy with) share pages. Pure; not thread-safe.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace herd {

class TextInterner {
 public:
  using Id = std::uint32_t;
  static constexpr Id none = 0xffffffff;

  TextInterner();
  ~TextInterner();
  TextInterner(const TextInterner&) = delete;
  TextInterner& operator=(const TextInterner&) = delete;

  // The id of `text`, numbering it if it is new.
  Id intern(std::string_view text);
  // Its id, or none when it was never interned.
  [[nodiscard]] Id find(std::string_view text) const;
  // The text of `id` (valid for the interner's life).
  [[nodiscard]] std::string_view text(Id id) const { return texts_[id]; }
  [[nodiscard]] std::size_t size() const { return texts_.size(); }

 private:
  std::string_view keep(std::string_view text);

  struct Index;  // text -> id, an open-addressing table (text_interner.cpp)
  std::unique_ptr<Index> index_;
  std::vector<std::string_view> texts_;          // by id, views into blocks_
  std::vector<std::unique_ptr<char[]>> blocks_;  // where the texts live
  std::size_t block_left_ = 0;
  char* block_next_ = nullptr;
};

}  // namespace herd
