#include "core/client_budget.hpp"

#include <vector>

namespace herd {

ClientBudget::MemberId ClientBudget::join(Member member) {
  std::lock_guard lock(mutex_);
  auto id = next_id_++;
  members_.emplace(id, std::move(member));
  held_[id] = 0;
  return id;
}

void ClientBudget::leave(MemberId id) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    auto held = held_.find(id);
    if (held != held_.end()) {
      used_ -= held->second;
      held_.erase(held);
    }
    members_.erase(id);
    waiting_.erase(id);
    for (auto waiter : waiting_) wake.push_back(members_.at(waiter).wake);
    waiting_.clear();
  }
  // Outside the lock: a callback may post work that calls back in.
  for (auto& w : wake) w();
}

std::size_t ClientBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return used_;
}

bool ClientBudget::try_take(MemberId id) {
  std::lock_guard lock(mutex_);
  if (used_ >= slots_ || !held_.count(id)) return false;
  ++used_;
  ++held_[id];
  return true;
}

void ClientBudget::give_back(MemberId id) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    auto held = held_.find(id);
    if (held == held_.end() || held->second == 0) return;
    --held->second;
    --used_;
    for (auto waiter : waiting_) wake.push_back(members_.at(waiter).wake);
    waiting_.clear();
  }
  for (auto& w : wake) w();
}

void ClientBudget::reclaim_for(MemberId id) {
  std::function<void()> evict;
  {
    std::lock_guard lock(mutex_);
    if (!members_.count(id)) return;
    waiting_.insert(id);
    MemberId richest = 0;
    std::size_t most = 0;
    for (const auto& [member, held] : held_)
      if (member != id && held > most) richest = member, most = held;
    if (richest != 0) evict = members_.at(richest).evict_idle;
  }
  if (evict) evict();
}

}  // namespace herd
