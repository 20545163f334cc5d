#pragma once
// The newest known location of every client, as the AT line that reported it. Pure: no I/O.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/protocol.hpp"

namespace herd {

// One stored report: the AT line exactly as its origin server made it.
struct Record {
  Timestamp time;
  std::string line;

  [[nodiscard]] std::string_view server() const;  // the origin server's name
  [[nodiscard]] std::string_view client() const;
};

// The client field of an AT line (its fourth field); empty if it has fewer fields.
[[nodiscard]] std::string_view at_line_client(std::string_view line);

// Builds a record from a valid AT line; nullopt-like `false` when the line is not a valid AT.
[[nodiscard]] bool record_from_at_line(std::string_view line, Record& out);

// The fixed total order every server agrees on: client time, then origin server, then the line.
[[nodiscard]] bool is_newer(const Record& candidate, const Record& current);

class LocationStore {
 public:
  // Keeps `record` if it is newer than what is held for its client and returns the stored copy
  // (stable until the next offer for that client); nullptr when the record is stale, in which
  // case `record` is left as it was.
  const Record* offer(Record&& record);
  [[nodiscard]] const Record* find(std::string_view client) const;
  [[nodiscard]] std::size_t size() const { return records_.size(); }
  void for_each(const std::function<void(const Record&)>& visit) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Record, Hash, std::equal_to<>> records_;
};

}  // namespace herd
