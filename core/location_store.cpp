#include "core/location_store.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <tuple>

#include "core/stable_hash.hpp"

namespace herd {
namespace {

// The n-th whitespace-separated field of a stored AT line (stored lines are trimmed, single
// fields).
std::string_view field(std::string_view line, int n) {
  std::size_t i = 0;
  for (int f = 0;; ++f) {
    while (i < line.size() && is_field_space(line[i])) ++i;
    std::size_t start = i;
    i = field_end(line, i);
    if (f == n || i == line.size())
      return f == n ? line.substr(start, i - start) : std::string_view{};
  }
}

}  // namespace

std::string_view RecordView::server() const {
  return field(line, 1);
}
std::string_view RecordView::client() const {
  return field(line, 3);
}

std::string_view at_line_client(std::string_view line) {
  return field(line, 3);
}

RecordView record_from_at(const AtMessage& at) {
  // Without outer whitespace or trailing extra fields: what the origin sent, without framing.
  return {at.time, at.text};
}

bool record_from_at_line(std::string_view line, RecordView& out) {
  auto command = parse_command(line);
  auto* at = std::get_if<AtMessage>(&command);
  if (at == nullptr) return false;
  out = record_from_at(*at);
  return true;
}

bool record_from_at_line(std::string_view line, Record& out) {
  RecordView view;
  if (!record_from_at_line(line, view)) return false;
  out.time = view.time;
  out.line.assign(view.line);
  return true;
}

bool is_newer(const RecordView& candidate, const RecordView& current) {
  // The servers' names are read only to break a tie in time, which is rare.
  if (candidate.time != current.time) return candidate.time > current.time;
  auto cs = candidate.server();
  auto ks = current.server();
  return std::tie(cs, candidate.line) > std::tie(ks, current.line);
}

LocationStore::~LocationStore() {
  for (std::size_t i = 0; i < capacity_; ++i) std::free(slots_[i].text);
}

void LocationStore::Slot::assign(const RecordView& record, std::string_view client) {
  auto needed = static_cast<std::uint32_t>(record.line.size());
  // Round up to the slack glibc's malloc leaves in the block anyway (16-byte steps, 8 of them its
  // header), so a client's next line, a digit or two longer, still fits in place. The rounding
  // of the line held is never more than its buffer was given (rounding twice changes nothing),
  // so the buffer's size is known without asking malloc, whose header is another cache miss.
  auto rounded = [](std::uint32_t bytes) { return ((bytes + 8 + 15) & ~std::uint32_t{15}) - 8; };
  if (text == nullptr || needed > rounded(size)) {
    auto capacity = rounded(needed);
    auto* fresh = static_cast<char*>(std::malloc(capacity));
    if (fresh == nullptr) throw std::bad_alloc();
    std::free(text);
    text = fresh;
  }
  std::memcpy(text, record.line.data(), needed);
  size = needed;
  seconds = record.time.seconds;
  nanos = record.time.nanos;
  // The caller's client is usually a view into the line (an AT's own field); an IAMAT's is not.
  const char* line = record.line.data();
  if (client.data() < line || client.data() + client.size() > line + record.line.size())
    client = record.client();
  client_at = static_cast<std::uint32_t>(client.data() - line);
}

bool LocationStore::Slot::holds(std::string_view client) const {
  // The client field starts at client_at; it is this client if it ends where `client` does.
  if (client_at + client.size() > size) return false;
  auto end = client_at + client.size();
  return std::string_view(text + client_at, client.size()) == client &&
         (end == size || is_field_space(text[end]));
}

std::uint32_t LocationStore::hash_of(std::string_view client) {
  // FNV-1a leaves its low bits weakly mixed (IDs that differ in their last digits land side by
  // side), and linear probing turns that into long runs: finish with a 64-bit mixer.
  auto h = stable_hash(client);
  h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdULL;
  h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<std::uint32_t>(h);
}

std::size_t LocationStore::probe(std::string_view client, std::uint32_t hash) const {
  for (std::size_t i = home(hash);; i = i + 1 == capacity_ ? 0 : i + 1) {
    const Slot& slot = slots_[i];
    if (slot.text == nullptr) return i;
    if (slot.hash == hash && slot.holds(client)) return i;
  }
}

namespace {

constexpr std::size_t huge_page = 2 * 1024 * 1024;

// An array of empty slots. A large one is aligned to huge pages and asks for them: every new
// client lands on a random slot, and with 4 KiB pages each such access also missed the TLB.
LocationStore::Slot* allocate_slots(std::size_t count) {
  std::size_t bytes = count * sizeof(LocationStore::Slot);
  void* memory = nullptr;
  if (bytes >= huge_page) {
    std::size_t rounded = (bytes + huge_page - 1) / huge_page * huge_page;  // aligned_alloc wants
    memory = std::aligned_alloc(huge_page, rounded);                        // whole multiples
    if (memory != nullptr) ::madvise(memory, rounded, MADV_HUGEPAGE);
  } else {
    memory = std::malloc(bytes);
  }
  if (memory == nullptr) throw std::bad_alloc();
  auto* slots = static_cast<LocationStore::Slot*>(memory);
  std::uninitialized_value_construct_n(slots, count);
  return slots;
}

}  // namespace

void LocationStore::SlotsDeleter::operator()(Slot* slots) const {
  std::free(slots);  // Slot is trivially destructible; the lines are freed by the store
}

void LocationStore::grow() {
  std::size_t old_capacity = capacity_;
  // Half as large again, not twice: the table stays between half and three quarters full, so a
  // stored record never costs more than 64 bytes of slots. Allocated before anything changes, so
  // running out of memory leaves the store as it was.
  std::size_t new_capacity = old_capacity == 0 ? 64 : old_capacity + old_capacity / 2;
  std::unique_ptr<Slot[], SlotsDeleter> fresh(allocate_slots(new_capacity));
  auto old = std::move(slots_);
  slots_ = std::move(fresh);
  capacity_ = new_capacity;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old[i].text == nullptr) continue;
    std::size_t j = home(old[i].hash);
    while (slots_[j].text != nullptr) j = j + 1 == capacity_ ? 0 : j + 1;
    slots_[j] = old[i];
  }
}

std::optional<RecordView> LocationStore::offer(const RecordView& record,
                                               std::optional<Replaced>* replaced) {
  return offer(record, record.client(), replaced);
}

std::optional<RecordView> LocationStore::offer(const RecordView& record, std::string_view client,
                                               std::optional<Replaced>* replaced) {
  auto hash = hash_of(client);
  // At most 3/4 full: past that, linear probing's misses (every new client is one) grow fast.
  if ((size_ + 1) * 4 > capacity_ * 3) grow();
  Slot& slot = slots_[probe(client, hash)];
  if (slot.text == nullptr) {
    slot.hash = hash;
    slot.assign(record, client);
    ++size_;
    return slot.view();
  }
  if (!is_newer(record, slot.view())) return std::nullopt;
  if (replaced != nullptr) *replaced = Replaced{{slot.seconds, slot.nanos}, slot.size};
  slot.assign(record, client);
  return slot.view();
}

std::optional<RecordView> LocationStore::find(std::string_view client) const {
  if (capacity_ == 0) return std::nullopt;
  const Slot& slot = slots_[probe(client, hash_of(client))];
  if (slot.text == nullptr) return std::nullopt;
  return slot.view();
}

std::uint32_t LocationStore::look_ahead(std::string_view client) const {
  auto hash = hash_of(client);
  if (capacity_ != 0) __builtin_prefetch(&slots_[home(hash)]);
  return hash;
}

void LocationStore::look_ahead_line(std::uint32_t hash) const {
  if (capacity_ == 0) return;
  const Slot& slot = slots_[home(hash)];
  if (slot.text != nullptr) __builtin_prefetch(slot.text + slot.client_at);
}

void LocationStore::for_each(const std::function<void(const RecordView&)>& visit) const {
  for (std::size_t i = 0; i < capacity_; ++i)
    if (slots_[i].text != nullptr) visit(slots_[i].view());
}

}  // namespace herd
