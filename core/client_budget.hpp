#pragma once
// One budget of client connections for a whole process. The servers of `herd up` share the
// descriptors the open-file limit leaves them, so one busy server may hold what the others do
// not use, and their caps never add up to more than the limit. When the budget is spent, a
// server with idle clients closes its longest idle to admit a new one; a server with none asks
// the server holding the most to close one. Thread-safe and free of Asio: members hand in
// callbacks that post to their own executors.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>

namespace herd {

class ClientBudget {
 public:
  explicit ClientBudget(std::size_t slots) : slots_(slots) {}
  ClientBudget(const ClientBudget&) = delete;
  ClientBudget& operator=(const ClientBudget&) = delete;

  struct Member {
    std::function<void()> evict_idle;  // close your longest-idle client, if you have one
    std::function<void()> wake;        // a slot came back: try again
  };
  using MemberId = std::uint64_t;

  [[nodiscard]] MemberId join(Member member);
  // Gives back whatever the member still holds.
  void leave(MemberId id);

  [[nodiscard]] std::size_t slots() const { return slots_; }
  [[nodiscard]] std::size_t in_use() const;
  [[nodiscard]] bool exhausted() const { return in_use() >= slots_; }
  [[nodiscard]] bool try_take(MemberId id);
  // Wakes every member that asked for a slot since the last one came back.
  void give_back(MemberId id);
  // `id` needs a slot and has no idle client to close: the member holding the most slots is
  // asked to close its longest idle, and `id` is woken when any slot comes back.
  void reclaim_for(MemberId id);

 private:
  const std::size_t slots_;
  mutable std::mutex mutex_;
  std::size_t used_ = 0;
  MemberId next_id_ = 1;
  std::map<MemberId, Member> members_;
  std::map<MemberId, std::size_t> held_;
  std::set<MemberId> waiting_;
};

}  // namespace herd
