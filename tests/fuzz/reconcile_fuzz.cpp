// Any bytes as a neighbour's reconciliation message: parsing and answering never crash, an
// accepted message reads back the same once written, an answer is itself a message a peer
// accepts, and the initiator takes any reply without crashing.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/reconcile.hpp"

namespace {

const herd::reconcile::Index& some_store() {
  static const herd::reconcile::Index index = [] {
    herd::reconcile::Index built;
    for (std::uint64_t i = 0; i < 300; ++i)
      built.insert({1'700'000'000 + static_cast<std::int64_t>(i / 3),
                    static_cast<std::int32_t>(i % 3), i * 0x9E3779B97F4A7C15ULL + 1},
                   "client-" + std::to_string(i));
    return built;
  }();
  return index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  namespace r = herd::reconcile;
  if (auto items = r::parse_message(input)) {
    auto again = r::parse_message(r::format_message(*items));
    if (!again || again->size() != items->size()) __builtin_trap();
  }
  if (auto answer = r::respond(some_store(), input))
    if (!r::parse_message(*answer)) __builtin_trap();
  r::Initiator sync(some_store());
  (void)sync.next_message();
  std::vector<std::string> send;
  (void)sync.on_reply(input, send);
  for (const auto& client : send)
    if (client.empty()) __builtin_trap();
  return 0;
}
