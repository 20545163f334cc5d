#pragma once
// Client connections in the order they last completed a line, oldest first. Pure: no I/O.
// A node keeps one: the front is both the next to hit the idle timeout and the one to close
// when the node is full and a new client arrives, so neither needs a timer per connection.

#include <cstdint>
#include <list>

namespace herd {

class IdleOrder {
 public:
  struct Entry {
    std::uint64_t id;       // the owner's name for the connection
    std::int64_t since_ms;  // when it last completed a line (or connected)
  };
  using Handle = std::list<Entry>::iterator;

  // A connection that just became idle, at the back.
  [[nodiscard]] Handle add(std::uint64_t id, std::int64_t now_ms);
  // It completed a line: it moves to the back. Keeps the handle valid.
  void touch(Handle handle, std::int64_t now_ms);
  void remove(Handle handle);

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  // The longest idle; only when not empty.
  [[nodiscard]] const Entry& oldest() const { return entries_.front(); }

 private:
  std::list<Entry> entries_;
};

}  // namespace herd
