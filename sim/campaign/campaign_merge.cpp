#include "sim/campaign/campaign_merge.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/text_file.hpp"

namespace herd {
namespace {

using nlohmann::json;

// A shard's log can be long (a seed per line) but never this long.
constexpr std::size_t max_log_bytes = std::size_t{1} << 30;

std::string seed_list(const std::vector<std::uint64_t>& seeds, std::size_t at_most = 20) {
  std::string out;
  for (std::size_t i = 0; i < seeds.size() && i < at_most; ++i)
    out += (i ? ", " : "") + std::to_string(seeds[i]);
  if (seeds.size() > at_most) out += ", ... (" + std::to_string(seeds.size()) + " in all)";
  return out;
}

}  // namespace

Expected<std::vector<std::string>> jsonl_files(const std::vector<std::string>& paths,
                                               std::string_view prefix) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        auto name = entry.path().filename().string();
        if (entry.is_regular_file() && name.starts_with(prefix) && name.ends_with(".jsonl"))
          files.push_back(entry.path().string());
      }
      if (ec) return fail("cannot list " + path + ": " + ec.message());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return fail(path + ": no such folder or file");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Expected<CampaignSummary> merge_seed_records(const std::vector<SeedRecord>& records,
                                             std::vector<std::string> notes) {
  if (records.empty()) return fail("no seed was reported");
  CampaignSummary s;
  s.campaign = records.front().campaign;
  s.notes = std::move(notes);
  for (const auto& r : records)
    if (!(r.campaign == s.campaign))
      return fail("the logs are of two campaigns: seeds " + std::to_string(s.campaign.first_seed) +
                  " to " + std::to_string(s.campaign.last_seed()) + " (" + s.campaign.how +
                  ") and seeds " + std::to_string(r.campaign.first_seed) + " to " +
                  std::to_string(r.campaign.last_seed()) + " (" + r.campaign.how +
                  "); merge each campaign's folders alone");
  // One record per seed. A seed reported twice (a shard run again into the same folder) counts
  // once; if the two disagree the worse outcome counts, and a note says so.
  auto rank = [](SeedOutcome o) {
    switch (o) {
      case SeedOutcome::failed:
        return 3;
      case SeedOutcome::inconclusive:
        return 2;
      case SeedOutcome::skipped:
        return 1;
      case SeedOutcome::passed:
        return 0;
    }
    return 0;
  };
  std::map<std::uint64_t, const SeedRecord*> by_seed;
  for (const auto& r : records) {
    auto [it, fresh] = by_seed.emplace(r.seed, &r);
    if (fresh) continue;
    if (it->second->outcome != r.outcome)
      s.notes.push_back("seed " + std::to_string(r.seed) + " was reported twice: " +
                        to_string(it->second->outcome) + " and " + to_string(r.outcome) +
                        " (a herd that does not fail alike every time, or a shard run twice)");
    if (rank(r.outcome) > rank(it->second->outcome)) it->second = &r;
  }
  std::map<std::string, std::size_t> shards;
  for (const auto& r : records) shards[r.shard.text()]++;
  for (const auto& [text, n] : shards) s.shards.push_back(text);

  std::map<std::string, FailureGroup> groups;
  std::uint64_t expected = s.campaign.first_seed;
  auto note_missing = [&](std::uint64_t from, std::uint64_t to) {
    if (from > to) return;
    s.missing.emplace_back(from, to);
    s.missing_seeds += to - from + 1;
  };
  for (const auto& [seed, r] : by_seed) {
    note_missing(expected, seed - 1);
    expected = seed + 1;
    ++s.ran;
    switch (r->outcome) {
      case SeedOutcome::passed:
        ++s.passed;
        break;
      case SeedOutcome::skipped:
        ++s.skipped;
        break;
      case SeedOutcome::inconclusive:
        ++s.inconclusive;
        s.inconclusive_seeds.push_back(seed);
        break;
      case SeedOutcome::failed: {
        ++s.failed;
        auto& g = groups[r->signature];
        g.signature = r->signature;
        g.seeds.push_back(seed);
        const bool has_shrunk = !r->shrunk.empty();
        auto steps = has_shrunk ? r->shrunk_steps : r->steps;
        // Smallest by steps; a written file beats none; the lower seed breaks ties.
        bool written = has_shrunk || !r->scenario.empty();
        bool better = g.seeds.size() == 1 || (written && g.reproduction.empty()) ||
                      (written == !g.reproduction.empty() && steps < g.reproduction_steps);
        if (better) {
          g.smallest_seed = seed;
          g.reproduction = has_shrunk ? r->shrunk : r->scenario;
          g.reproduction_steps = steps;
          g.message = r->message;
        }
        break;
      }
    }
  }
  note_missing(expected, s.campaign.last_seed());
  for (auto& [signature, g] : groups) s.failures.push_back(std::move(g));
  std::stable_sort(s.failures.begin(), s.failures.end(),
                   [](const auto& a, const auto& b) { return a.seeds.size() > b.seeds.size(); });
  return s;
}

Expected<std::size_t> visit_jsonl_lines(const std::vector<std::string>& paths,
                                        std::string_view prefix, const JsonlVisit& visit) {
  auto files = jsonl_files(paths, prefix);
  if (!files) return files.failure();
  for (const auto& file : *files) {
    auto text = read_bounded_file(file, max_log_bytes);
    if (!text) return fail(file + ": " + text.error());
    std::size_t number = 0, start = 0;
    while (start < text->size()) {
      auto end = std::min(text->find('\n', start), text->size());
      std::string_view line(text->data() + start, end - start);
      start = end + 1;
      ++number;
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) visit(file, number, line);
    }
  }
  return files->size();
}

Expected<CampaignSummary> merge_campaign_logs(const std::vector<std::string>& paths) {
  std::vector<SeedRecord> records;
  std::vector<std::string> notes;
  auto files = visit_jsonl_lines(
      paths, campaign_log_prefix,
      [&](const std::string& file, std::size_t number, std::string_view line) {
        auto record = parse_seed_record(line);
        if (record)
          records.push_back(std::move(*record));
        else
          notes.push_back(file + ":" + std::to_string(number) + ": skipped, " + record.error());
      });
  if (!files) return files.failure();
  if (records.empty()) {
    std::string where;
    for (const auto& p : paths) where += (where.empty() ? "" : ", ") + p;
    return fail("no explore results in " + where + " (" + std::to_string(*files) +
                " explore-*.jsonl files" + (notes.empty() ? "" : "; " + notes.front()) +
                "); each shard writes them into its --report-dir");
  }
  auto merged = merge_seed_records(records, std::move(notes));
  if (merged) merged->logs = *files;
  return merged;
}

std::string campaign_summary_text(const CampaignSummary& s) {
  const auto& c = s.campaign;
  std::string out = "campaign: seeds " + std::to_string(c.first_seed) + " to " +
                    std::to_string(c.last_seed()) + " (" + c.how + "), " + std::to_string(s.logs) +
                    " logs from shards";
  for (const auto& shard : s.shards) out += " " + shard;
  out += "\n  ran " + std::to_string(s.ran) + " of " + std::to_string(c.runs) + ": " +
         std::to_string(s.passed) + " passed, " + std::to_string(s.failed) + " failed, " +
         std::to_string(s.inconclusive) + " inconclusive, " + std::to_string(s.skipped) +
         " skipped; " + std::to_string(s.missing_seeds) + " missing\n";
  if (s.missing_seeds > 0) {
    out += "  missing (no shard reported them; rerun those shards):";
    std::size_t shown = 0;
    for (const auto& [from, to] : s.missing) {
      if (++shown > 20) {
        out += " ...";
        break;
      }
      out += " " + std::to_string(from) + (from == to ? "" : "-" + std::to_string(to));
    }
    out += "\n";
    // With one shard count, the shards that reported nothing are the ones that died.
    if (s.shards.size() >= 1) {
      auto count = parse_shard(s.shards.front());
      bool one_count = count && std::all_of(s.shards.begin(), s.shards.end(), [&](auto& t) {
                         auto other = parse_shard(t);
                         return other && other->count == count->count;
                       });
      if (one_count) {
        std::string silent;
        for (int i = 0; i < count->count; ++i) {
          Shard shard{i, count->count};
          if (std::find(s.shards.begin(), s.shards.end(), shard.text()) == s.shards.end())
            silent += " " + shard.text();
        }
        if (!silent.empty()) out += "  shards that reported nothing:" + silent + "\n";
      }
    }
  }
  for (const auto& g : s.failures) {
    out += "  FAILED at \"" + g.signature + "\": " + std::to_string(g.seeds.size()) +
           (g.seeds.size() == 1 ? " seed: " : " seeds: ") + seed_list(g.seeds) + "\n";
    out += "    smallest: seed " + std::to_string(g.smallest_seed) +
           (g.reproduction.empty()
                ? " (no file written; herd sim --explore --runs 1 --seed " +
                      std::to_string(g.smallest_seed) + " reproduces it)"
                : ", " + std::to_string(g.reproduction_steps) + " steps: " + g.reproduction) +
           "\n";
    if (!g.message.empty()) {
      auto line = g.message.substr(0, g.message.find('\n'));
      // The whole message is in campaign.json and the shard's log; here, what the check was.
      if (line.size() > 240) line = line.substr(0, 237) + "...";
      out += "    " + line + "\n";
    }
  }
  if (!s.inconclusive_seeds.empty())
    out += "  inconclusive (a server could not be read): seeds " + seed_list(s.inconclusive_seeds) +
           "\n";
  for (const auto& note : s.notes) out += "  note: " + note + "\n";
  return out;
}

std::string campaign_summary_json(const CampaignSummary& s, bool with_paths) {
  json failures = json::array();
  for (const auto& g : s.failures) {
    json f = {{"signature", g.signature},
              {"seeds", g.seeds},
              {"smallest_seed", g.smallest_seed},
              {"smallest_steps", g.reproduction_steps}};
    if (with_paths) {
      f["reproduction"] = g.reproduction;
      f["message"] = g.message;
    }
    failures.push_back(std::move(f));
  }
  json missing = json::array();
  for (const auto& [from, to] : s.missing) missing.push_back({from, to});
  json out = {{"first_seed", s.campaign.first_seed},
              {"runs", s.campaign.runs},
              {"how", s.campaign.how},
              {"ran", s.ran},
              {"passed", s.passed},
              {"failed", s.failed},
              {"inconclusive", s.inconclusive},
              {"skipped", s.skipped},
              {"missing", missing},
              {"failures", failures},
              {"inconclusive_seeds", s.inconclusive_seeds}};
  if (with_paths) {
    out["shards"] = s.shards;
    out["logs"] = s.logs;
    out["notes"] = s.notes;
  }
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

int campaign_exit_status(const CampaignSummary& s) {
  if (s.missing_seeds > 0) return 2;
  if (s.failed > 0) return 1;
  return s.inconclusive > 0 ? 3 : 0;
}

}  // namespace herd
