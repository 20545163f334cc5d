// Any bytes as a line: parsing never crashes, and what it accepts formats and stores consistently.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/location_store.hpp"
#include "core/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto line = herd::strip_line_end(input);
  auto command = herd::parse_command(line);
  if (auto* iamat = std::get_if<herd::IamatCommand>(&command)) {
    auto at = herd::format_at("Fuzz", 1'700'000'000'123'456'789, *iamat);
    herd::RecordView record;
    // A server must be able to store and flood the AT line it produced.
    if (!herd::record_from_at_line(at, record)) __builtin_trap();
    herd::LocationStore store;
    if (!store.offer(record)) __builtin_trap();
  } else if (std::holds_alternative<herd::AtMessage>(command)) {
    herd::RecordView record;
    if (!herd::record_from_at_line(line, record)) __builtin_trap();
    herd::LocationStore store;
    auto stored = store.offer(record);
    if (!stored || stored->line != record.line) __builtin_trap();
    if (store.offer(record)) __builtin_trap();  // the same record is stale
  } else if (auto* whatsat = std::get_if<herd::WhatsatCommand>(&command)) {
    (void)herd::format_radius_metres(whatsat->radius_km);
  }
  (void)herd::format_invalid(line);
  return 0;
}
