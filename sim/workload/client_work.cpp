#include "sim/workload/client_work.hpp"

#include <algorithm>
#include <cstdio>
#include <variant>

#include "core/protocol.hpp"
#include "sim/workload/reply_pattern.hpp"

namespace herd {

std::string expand_now(const std::string& text, std::int64_t now_ns) {
  std::string out = text;
  for (auto at = out.find("{now"); at != std::string::npos; at = out.find("{now", at)) {
    auto close = out.find('}', at);
    if (close == std::string::npos) break;
    std::int64_t offset_ns = 0;
    auto inner = out.substr(at + 4, close - at - 4);  // "", "-5" or "+2"
    if (!inner.empty()) offset_ns = static_cast<std::int64_t>(std::stod(inner) * 1e9);
    out.replace(at, close - at + 1, format_timestamp(now_ns + offset_ns));
  }
  return out;
}

TrafficPlan::TrafficPlan(const Step& step, std::vector<std::string> targets, SeededRandom& random)
    : targets_(std::move(targets)),
      random_(random),
      rate_(step.rate),
      clients_(static_cast<std::size_t>(std::max(step.clients, 1))) {
  if (targets_.empty() || step.rate <= 0) return;
  total_ = static_cast<std::size_t>(step.rate * step.duration_ms / 1000.0);
  if (total_ == 0) total_ = 1;
}

PlannedUpdate TrafficPlan::next() {
  auto i = next_++;
  PlannedUpdate update;
  // The schedule, not the replies, sets the pace: update i goes out at i / rate.
  update.offset_ns = static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate_);
  update.node = targets_[static_cast<std::size_t>(
      random_.between(0, static_cast<std::int64_t>(targets_.size()) - 1))];
  update.client = "client-" + std::to_string(i % clients_);
  // Micro-degrees drawn as integers: the same on every machine, unlike <random>'s doubles.
  auto lat = random_.between(-80'000'000, 80'000'000);
  auto lng = random_.between(-179'000'000, 179'000'000);
  char location[64];
  std::snprintf(location, sizeof location, "%c%lld.%06lld%c%lld.%06lld", lat < 0 ? '-' : '+',
                static_cast<long long>(std::llabs(lat) / 1'000'000),
                static_cast<long long>(std::llabs(lat) % 1'000'000), lng < 0 ? '-' : '+',
                static_cast<long long>(std::llabs(lng) / 1'000'000),
                static_cast<long long>(std::llabs(lng) % 1'000'000));
  update.location = location;
  return update;
}

std::string iamat_line(const PlannedUpdate& update, std::int64_t now_ns) {
  return "IAMAT " + update.client + " " + update.location + " " + format_timestamp(now_ns);
}

namespace {

// "+0.263873386": a sign, digits, a point and nine digits, as SPEC.md's example.
bool has_nine_fraction_digits(std::string_view skew) {
  auto point = skew.find('.');
  if (skew.size() < 3 || (skew[0] != '+' && skew[0] != '-') || point == std::string_view::npos ||
      point < 2 || skew.size() - point - 1 != 9)
    return false;
  auto digits = [](std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(skew.substr(1, point - 1)) && digits(skew.substr(point + 1));
}

bool is_at_reply_for(const std::string& reply, const std::string& node, const IamatCommand& iamat) {
  auto command = parse_command(reply);
  auto* at = std::get_if<AtMessage>(&command);
  return at != nullptr && at->server == node && at->client == iamat.client &&
         at->location_text == iamat.location_text && at->time_text == iamat.time_text &&
         has_nine_fraction_digits(at->skew);
}

}  // namespace

bool reply_has_body(const std::string& line, const std::string& first_reply_line) {
  return std::holds_alternative<WhatsatCommand>(parse_command(line)) &&
         first_reply_line.starts_with("AT ");
}

ReplyVerdict judge_reply(const Step& step, const std::string& line, const std::string& reply,
                         std::int64_t now_ns) {
  ReplyVerdict out;
  auto command = parse_command(line);
  switch (step.expect) {
    case ReplyKind::none:
      break;
    case ReplyKind::at: {
      auto* iamat = std::get_if<IamatCommand>(&command);
      out.ok = iamat != nullptr && is_at_reply_for(reply, step.node, *iamat);
      break;
    }
    case ReplyKind::invalid:
      out.ok = reply == format_invalid(line);
      break;
    case ReplyKind::origin_line:  // its AT line is judged by the runner, which knows the origin's
    case ReplyKind::whatsat: {
      auto newline = reply.find('\n');
      auto body = newline == std::string::npos ? std::string() : reply.substr(newline + 1);
      out.ok = reply.starts_with("AT ") && body.starts_with("{") && body.ends_with("}\n\n") &&
               body.substr(0, body.size() - 2).find("\n\n") == std::string::npos;
      break;
    }
    case ReplyKind::exact:
      out.ok = reply == expand_now(step.expect_text, now_ns);
      break;
    case ReplyKind::pattern:
      out.ok = pattern_matches(step.expect_text, reply);
      break;
  }
  if (!out.ok) out.message = "unexpected reply: " + reply;
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace herd
