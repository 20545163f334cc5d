#include "tools/bench/store_watch.hpp"

#include "core/protocol.hpp"
#include "sim/net/line_client.hpp"
#include "tools/bench/load.hpp"

namespace herd::bench {

EventSink StoreWatch::sink() {
  return [this](const NodeEvent& e) {
    if (e.kind == EventKind::line_in && e.text.starts_with("AT ")) {
      // Counted where they arrive: a receiver's event cannot lag behind the spread it causes.
      std::lock_guard lock(mutex_);
      ++received_[std::string(e.text)];
      changed_.notify_all();
      return;
    }
    if (e.kind == EventKind::link_up) {
      std::lock_guard lock(mutex_);
      ++link_ups_;
      changed_.notify_all();
      return;
    }
    if (e.kind != EventKind::update_stored) return;
    std::lock_guard lock(mutex_);
    auto& s = spread_[std::string(e.text)];
    if (s.count++ == 0) s.first = e.time_ns;
    s.last = e.time_ns;
    changed_.notify_all();
  };
}

bool StoreWatch::wait_links(std::size_t n, std::chrono::seconds limit) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, limit, [&] { return link_ups_ >= n; });
}

bool StoreWatch::wait_spread(const std::vector<std::string>& lines, int nodes,
                             std::chrono::seconds limit) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, limit, [&] {
    for (const auto& line : lines) {
      auto it = spread_.find(line);
      if (it == spread_.end() || it->second.count < nodes) return false;
    }
    return true;
  });
}

double StoreWatch::spread_ms(const std::string& line) {
  std::lock_guard lock(mutex_);
  auto& s = spread_[line];
  return static_cast<double>(s.last - s.first) / 1e6;
}

std::size_t StoreWatch::messages_for(const std::string& line) {
  std::lock_guard lock(mutex_);
  return received_[line];
}

double flood_messages(const Topology& topology) {
  return 2.0 * static_cast<double>(topology.links.size()) -
         static_cast<double>(topology.servers.size() - 1);
}

bool settle(StoreWatch& watch, std::uint16_t port, int servers) {
  LineClient client(port);
  client.send("IAMAT settle +1+1 " + format_timestamp(now_ns()) + "\n");
  auto line = client.read_line();
  return line && watch.wait_spread({*line}, servers, std::chrono::seconds(30));
}

}  // namespace herd::bench
