#include "sim/campaign/campaign_log.hpp"

#include <nlohmann/json.hpp>

namespace herd {
namespace {

using nlohmann::json;

constexpr SeedOutcome all_outcomes[] = {SeedOutcome::passed, SeedOutcome::failed,
                                        SeedOutcome::inconclusive, SeedOutcome::skipped};

}  // namespace

const char* to_string(SeedOutcome outcome) {
  switch (outcome) {
    case SeedOutcome::passed:
      return "passed";
    case SeedOutcome::failed:
      return "failed";
    case SeedOutcome::inconclusive:
      return "inconclusive";
    case SeedOutcome::skipped:
      return "skipped";
  }
  return "?";
}

std::string seed_record_line(const SeedRecord& r) {
  json line = {
      {"seed", r.seed},
      {"passed", r.outcome == SeedOutcome::passed},
      {"outcome", to_string(r.outcome)},
      {"campaign",
       {{"first_seed", r.campaign.first_seed}, {"runs", r.campaign.runs}, {"how", r.campaign.how}}},
      {"shard", r.shard.text()}};
  if (!r.signature.empty()) line["signature"] = r.signature;
  if (!r.message.empty()) line["message"] = r.message;
  if (!r.scenario.empty()) {
    line["scenario"] = r.scenario;
    line["steps"] = r.steps;
  }
  if (!r.shrunk.empty()) {
    line["shrunk"] = r.shrunk;
    line["shrunk_steps"] = r.shrunk_steps;
  }
  // A herd's reply can carry any byte; replace keeps the line valid UTF-8 JSON.
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Expected<SeedRecord> parse_seed_record(std::string_view text) {
  json line;
  try {
    line = json::parse(text);
  } catch (const json::exception& e) {
    return fail(std::string("not JSON: ") + e.what());
  }
  if (!line.is_object()) return fail("not a JSON object");
  SeedRecord r;
  auto number = [&](const json& in, const char* key) -> Expected<std::uint64_t> {
    auto it = in.find(key);
    if (it == in.end() || !it->is_number_unsigned())
      return fail(std::string(key) + ": expected a whole number");
    return it->get<std::uint64_t>();
  };
  auto text_field = [&](const char* key, std::string& out) -> Expected<void> {
    auto it = line.find(key);
    if (it == line.end()) return {};
    if (!it->is_string()) return fail(std::string(key) + ": expected text");
    out = it->get<std::string>();
    return {};
  };
  auto seed = number(line, "seed");
  if (!seed) return seed.failure();
  r.seed = *seed;
  auto campaign = line.find("campaign");
  if (campaign == line.end() || !campaign->is_object()) return fail("campaign: expected an object");
  auto first = number(*campaign, "first_seed");
  auto runs = number(*campaign, "runs");
  if (!first) return fail("campaign." + first.error());
  if (!runs) return fail("campaign." + runs.error());
  r.campaign.first_seed = *first;
  r.campaign.runs = *runs;
  auto how = campaign->find("how");
  if (how == campaign->end() || !how->is_string()) return fail("campaign.how: expected text");
  r.campaign.how = how->get<std::string>();
  if (r.campaign.runs == 0 || r.seed < r.campaign.first_seed || r.seed > r.campaign.last_seed())
    return fail("seed " + std::to_string(r.seed) + " is outside its campaign's seeds");
  std::string shard_text, outcome;
  if (auto ok = text_field("shard", shard_text); !ok) return ok.failure();
  auto shard = parse_shard(shard_text);
  if (!shard) return fail("shard: " + shard.error());
  r.shard = *shard;
  if (auto ok = text_field("outcome", outcome); !ok) return ok.failure();
  bool known = false;
  for (auto o : all_outcomes)
    if (outcome == to_string(o)) {
      r.outcome = o;
      known = true;
    }
  if (!known) return fail("outcome: expected passed, failed, inconclusive or skipped");
  for (auto [key, field] : {std::pair{"signature", &r.signature},
                            {"message", &r.message},
                            {"scenario", &r.scenario},
                            {"shrunk", &r.shrunk}})
    if (auto ok = text_field(key, *field); !ok) return ok.failure();
  for (auto [key, field] : {std::pair{"steps", &r.steps}, {"shrunk_steps", &r.shrunk_steps}})
    if (line.contains(key)) {
      auto n = number(line, key);
      if (!n) return n.failure();
      *field = static_cast<std::size_t>(*n);
    }
  return r;
}

std::string campaign_log_name(const Shard& shard) {
  return std::string(campaign_log_prefix) + "shard-" + std::to_string(shard.index) + "-of-" +
         std::to_string(shard.count) + ".jsonl";
}

}  // namespace herd
