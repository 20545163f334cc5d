#include "core/reconcile.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

namespace herd::reconcile {
namespace {

// A fingerprint's sum travels as its low 48 bits: a chance of 2^-48 that two different ranges
// of the same count look alike, for 4 bytes fewer per range.
constexpr std::uint64_t sum_mask = (std::uint64_t{1} << 48) - 1;

void append_hex(std::string& out, std::uint64_t value) {
  char buffer[17];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, 16);
  out.append(buffer, end);
}

template <typename Number>
std::optional<Number> number(std::string_view text, int base = 10) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Keys in a message go in order, so each key's seconds are written as the difference from the
// last key's: a few digits instead of ten.
struct KeyWriter {
  std::string& out;
  std::int64_t last_seconds = 0;
  void put(const Key& key) {
    if (key == end_key) {
      out += "~";
      return;
    }
    Key relative = key;
    relative.seconds = key.seconds - last_seconds;
    last_seconds = key.seconds;
    out += key_text(relative);
  }
};

struct KeyReader {
  std::int64_t last_seconds = 0;
  std::optional<Key> get(std::string_view text) {
    auto key = parse_key(text);
    if (!key || *key == end_key) return key;
    if (__builtin_add_overflow(key->seconds, last_seconds, &key->seconds)) return std::nullopt;
    last_seconds = key->seconds;
    return key;
  }
};

// A key above `before` and at most `after` that is short to write: a whole second when the
// seconds differ, else the fewest fractional digits that fall between, else `after` itself.
Key shortest_bound(const Key& before, const Key& after) {
  if (before.seconds < after.seconds) return {after.seconds, 0, 0};
  if (before.nanos < after.nanos) {
    for (std::int32_t unit = 100'000'000; unit >= 1; unit /= 10) {
      std::int32_t candidate = (before.nanos / unit + 1) * unit;
      if (candidate <= after.nanos) return {after.seconds, candidate, 0};
    }
  }
  return after;
}

// The items a side says about [lower, upper) when its neighbour's fingerprint differs from its
// own: nothing if they are equal; its keys when it has few (for the responder, also none: then
// the initiator sends all it has there); else fingerprints of `parts` parts of its own items.
void answer_differing(const Index& index, const Key& lower, const Key& upper,
                      const Fingerprint& theirs, bool responder, std::vector<Item>& out) {
  auto ours = index.fingerprint(lower, upper);
  if (ours.count == theirs.count && (ours.sum & sum_mask) == (theirs.sum & sum_mask)) return;
  if (ours.count == 0 && !responder) return;  // the neighbour holds more here; its own link sends
  if (ours.count <= list_at_most) {
    Item list{Item::Kind::list, lower, upper, {}, {}};
    index.items(lower, upper, list_at_most, list.keys);
    out.push_back(std::move(list));
    return;
  }
  const std::size_t first = index.rank(lower);
  const std::size_t n = static_cast<std::size_t>(ours.count);
  Key from = lower;
  for (std::size_t part = 1; part <= parts; ++part) {
    Key to = upper;
    if (part < parts) {
      std::size_t at_rank = first + n * part / parts;
      to = shortest_bound(index.at(at_rank - 1), index.at(at_rank));
      if (!(from < to)) continue;
    }
    out.push_back({Item::Kind::fingerprint, from, to, index.fingerprint(from, to), {}});
    from = to;
  }
}

}  // namespace

bool is_sync_message(std::string_view line) {
  return line.starts_with(message_verb) &&
         (line.size() == message_verb.size() || line[message_verb.size()] == ' ');
}

std::string key_text(const Key& key) {
  if (key == end_key) return "~";
  // The nanoseconds as a decimal fraction without its trailing zeros: ".5" is half a second.
  char fraction[10];
  std::snprintf(fraction, sizeof fraction, "%09d", key.nanos);
  std::size_t digits = 9;
  while (digits > 0 && fraction[digits - 1] == '0') --digits;
  std::string out = std::to_string(key.seconds) + "." + std::string(fraction, digits);
  if (key.id != 0) {
    out += ".";
    append_hex(out, key.id);
  }
  return out;
}

std::optional<Key> parse_key(std::string_view text) {
  if (text == "~") return end_key;
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto seconds = number<std::int64_t>(text.substr(0, dot));
  auto rest = text.substr(dot + 1);
  auto dot2 = rest.find('.');
  auto fraction = rest.substr(0, dot2);
  if (!seconds || fraction.size() > 9) return std::nullopt;
  std::int32_t nanos = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    if (i < fraction.size() && (fraction[i] < '0' || fraction[i] > '9')) return std::nullopt;
    nanos = nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  Key key{*seconds, nanos, 0};
  if (dot2 != std::string_view::npos) {
    auto id = number<std::uint64_t>(rest.substr(dot2 + 1), 16);
    if (!id || rest.size() - dot2 - 1 > 16) return std::nullopt;
    key.id = *id;
  }
  return key;
}

std::string format_message(const std::vector<Item>& items) {
  std::string out(message_verb);
  KeyWriter keys{out};
  auto append_key = [&keys](std::string&, const Key& key) { keys.put(key); };
  Key cursor = lowest_key;
  for (const auto& item : items) {
    if (item.kind != Item::Kind::need && !(item.lower == cursor)) {
      out += " @";
      append_key(out, item.lower);
    }
    switch (item.kind) {
      case Item::Kind::fingerprint:
        out += " F";
        append_key(out, item.upper);
        out += ":" + std::to_string(item.fingerprint.count) + ":";
        append_hex(out, item.fingerprint.sum & sum_mask);
        cursor = item.upper;
        break;
      case Item::Kind::list:
        out += " L";
        append_key(out, item.upper);
        out += ":";
        for (std::size_t i = 0; i < item.keys.size(); ++i) {
          if (i) out += ",";
          append_key(out, item.keys[i]);
        }
        cursor = item.upper;
        break;
      case Item::Kind::need:
        out += " N";
        for (std::size_t i = 0; i < item.keys.size(); ++i) {
          if (i) out += ",";
          append_key(out, item.keys[i]);
        }
        break;
    }
  }
  return out;
}

Expected<std::vector<Item>> parse_message(std::string_view message) {
  if (!is_sync_message(message)) return fail("not a HERD-SYNC message");
  std::vector<Item> items;
  Key cursor = lowest_key;
  std::size_t keys_in_all = 0;
  KeyReader reader;
  auto rest = message.substr(message_verb.size());
  while (!rest.empty()) {
    auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    auto token = rest.substr(0, rest.find(' '));
    rest.remove_prefix(token.size());
    if (token.size() < 2) return fail("an empty item");
    const char kind = token.front();
    token.remove_prefix(1);
    if (kind == '@') {
      auto key = reader.get(token);
      if (!key || *key < cursor) return fail("a range start that is not a key past the last");
      cursor = *key;
      continue;
    }
    if (items.size() >= items_at_most * parts)
      return fail("more than " + std::to_string(items_at_most * parts) + " items");
    auto parse_keys = [&](std::string_view list, std::vector<Key>& keys) -> bool {
      while (!list.empty()) {
        auto comma = list.find(',');
        auto key = reader.get(list.substr(0, comma));
        if (!key || ++keys_in_all > items_at_most * list_at_most) return false;
        keys.push_back(*key);
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
      }
      return true;
    };
    Item item;
    if (kind == 'N') {
      item.kind = Item::Kind::need;
      if (!parse_keys(token, item.keys)) return fail("a malformed or too long need list");
      items.push_back(std::move(item));
      continue;
    }
    auto colon = token.find(':');
    if (colon == std::string_view::npos) return fail("an item without ':'");
    auto upper = reader.get(token.substr(0, colon));
    if (!upper || !(cursor < *upper)) return fail("a range that ends before it starts");
    item.lower = cursor;
    item.upper = *upper;
    auto body = token.substr(colon + 1);
    if (kind == 'F') {
      auto colon2 = body.find(':');
      auto count = number<std::uint64_t>(body.substr(0, colon2));
      auto sum = colon2 == std::string_view::npos
                     ? std::nullopt
                     : number<std::uint64_t>(body.substr(colon2 + 1), 16);
      if (!count || !sum) return fail("a malformed fingerprint");
      item.kind = Item::Kind::fingerprint;
      item.fingerprint = {*count, *sum};
    } else if (kind == 'L') {
      item.kind = Item::Kind::list;
      if (!parse_keys(body, item.keys) || item.keys.size() > list_at_most)
        return fail("a malformed list, or one of more than " + std::to_string(list_at_most) +
                    " keys");
      for (const auto& key : item.keys)
        if (key < item.lower || !(key < item.upper)) return fail("a listed key outside its range");
    } else {
      return fail(std::string("an unknown item kind '") + kind + "'");
    }
    cursor = item.upper;
    items.push_back(std::move(item));
  }
  return items;
}

Expected<std::string> respond(const Index& index, std::string_view message) {
  auto items = parse_message(message);
  if (!items) return items.failure();
  if (items->size() > items_at_most)
    return fail("more than " + std::to_string(items_at_most) + " items in one message");
  std::vector<Item> answer;
  for (const auto& item : *items) {
    switch (item.kind) {
      case Item::Kind::fingerprint:
        answer_differing(index, item.lower, item.upper, item.fingerprint, true, answer);
        break;
      case Item::Kind::list: {
        Item need{Item::Kind::need, {}, {}, {}, {}};
        for (const auto& key : item.keys)
          if (index.client_of(key) == nullptr) need.keys.push_back(key);
        if (!need.keys.empty()) answer.push_back(std::move(need));
        break;
      }
      case Item::Kind::need:
        return fail("a need list is the responder's to send");
    }
  }
  return format_message(answer);
}

std::optional<std::string> Initiator::next_message() {
  std::vector<Item> now;
  std::size_t take = 1;
  const bool from_pending = opened_;
  if (!opened_) {
    opened_ = true;
    now.push_back({Item::Kind::fingerprint,
                   lowest_key,
                   end_key,
                   index_.fingerprint(lowest_key, end_key),
                   {}});
  } else {
    if (pending_.empty()) return std::nullopt;
    // Ranges never overlap; in key order a message names each start only where it jumps (and a
    // message's ranges must go forward). Left-over ranges and new ones interleave otherwise.
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Item& a, const Item& b) { return a.lower < b.lower; });
    take = std::min(pending_.size(), items_at_most);
    now.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(take));
  }
  // Fewer ranges per message while the message and its largest answer would pass the budget.
  auto message = format_message(now);
  while (bytes_ + (message.size() + 1) * (1 + answer_bound) > budget_) {
    if (take == 1) {
      gave_up_ = true;
      return std::nullopt;
    }
    take /= 2;
    now.resize(take);
    message = format_message(now);
  }
  if (from_pending)
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(take));
  ++rounds_;
  bytes_ += message.size() + 1;
  return message;
}

Expected<void> Initiator::on_reply(std::string_view reply, std::vector<std::string>& send) {
  bytes_ += reply.size() + 1;
  if (bytes_ > budget_)
    return fail("its messages passed " + std::to_string(budget_) +
                " bytes, a twentieth of the store's");
  auto items = parse_message(reply);
  if (!items) return items.failure();
  if (rounds_ >= rounds_at_most && !items->empty())
    return fail("still differing after " + std::to_string(rounds_at_most) + " rounds");
  std::vector<Key> keys;
  std::vector<std::string> clients;
  for (const auto& item : *items) {
    switch (item.kind) {
      case Item::Kind::fingerprint:
        answer_differing(index_, item.lower, item.upper, item.fingerprint, false, pending_);
        break;
      case Item::Kind::list: {
        // Everything here that the neighbour did not list is what it lacks or holds older.
        keys.clear();
        clients.clear();
        index_.items(item.lower, item.upper, SIZE_MAX, keys, &clients);
        std::set<Key> theirs(item.keys.begin(), item.keys.end());
        for (std::size_t i = 0; i < keys.size(); ++i)
          if (!theirs.count(keys[i])) send.push_back(clients[i]);
        break;
      }
      case Item::Kind::need:
        for (const auto& key : item.keys)
          if (const auto* client = index_.client_of(key)) send.push_back(*client);
        break;
    }
  }
  return {};
}

}  // namespace herd::reconcile
