#include "core/idle_order.hpp"

namespace herd {

IdleOrder::Handle IdleOrder::add(std::uint64_t id, std::int64_t now_ms) {
  return entries_.insert(entries_.end(), Entry{id, now_ms});
}

void IdleOrder::touch(Handle handle, std::int64_t now_ms) {
  handle->since_ms = now_ms;
  entries_.splice(entries_.end(), entries_, handle);
}

void IdleOrder::remove(Handle handle) {
  entries_.erase(handle);
}

}  // namespace herd
