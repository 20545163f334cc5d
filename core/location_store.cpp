#include "core/location_store.hpp"

#include <tuple>

namespace herd {
namespace {

// The n-th whitespace-separated field of a stored AT line (stored lines are trimmed, single
// fields).
std::string_view field(std::string_view line, int n) {
  std::size_t i = 0;
  for (int f = 0;; ++f) {
    while (i < line.size() && is_field_space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !is_field_space(line[i])) ++i;
    if (f == n || i == line.size())
      return f == n ? line.substr(start, i - start) : std::string_view{};
  }
}

}  // namespace

std::string_view Record::server() const {
  return field(line, 1);
}
std::string_view Record::client() const {
  return field(line, 3);
}

std::string_view at_line_client(std::string_view line) {
  return field(line, 3);
}

bool record_from_at_line(std::string_view line, Record& out) {
  auto command = parse_command(line);
  auto* at = std::get_if<AtMessage>(&command);
  if (at == nullptr) return false;
  // Trim outer whitespace so the stored line is what the origin sent, without framing.
  auto first = line.find_first_not_of(" \t\r\n\f\v");
  auto last = line.find_last_not_of(" \t\r\n\f\v");
  out.time = at->time;
  out.line.assign(line.substr(first, last - first + 1));
  return true;
}

bool is_newer(const Record& candidate, const Record& current) {
  auto cs = candidate.server();
  auto ks = current.server();
  return std::tie(candidate.time, cs, candidate.line) > std::tie(current.time, ks, current.line);
}

const Record* LocationStore::offer(Record&& record) {
  auto client = record.client();
  auto it = records_.find(client);
  if (it == records_.end()) {
    std::string key(client);
    return &records_.emplace(std::move(key), std::move(record)).first->second;
  }
  if (!is_newer(record, it->second)) return nullptr;
  it->second = std::move(record);
  return &it->second;
}

const Record* LocationStore::find(std::string_view client) const {
  auto it = records_.find(client);
  return it == records_.end() ? nullptr : &it->second;
}

void LocationStore::for_each(const std::function<void(const Record&)>& visit) const {
  for (const auto& [client, record] : records_) visit(record);
}

}  // namespace herd
