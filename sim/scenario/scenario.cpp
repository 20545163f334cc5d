#include "sim/scenario/scenario.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/json_limits.hpp"
#include "core/text_file.hpp"
#include "sim/scenario/step_context.hpp"
#include "sim/workload/reply_pattern.hpp"

namespace herd {
namespace {

using nlohmann::json;

// Thrown inside this file only, and turned into a failure at its edge.
struct FieldError {
  std::string path, expected;
};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string show(const json& value) {
  auto text = value.dump();
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

class StepReader {
 public:
  StepReader(const json& object, std::string path, const Topology& topology)
      : object_(object), path_(std::move(path)), topology_(topology) {}

  bool has(const char* key) const { return object_.contains(key); }

  std::string string(const char* key, bool required) const {
    if (!has(key)) {
      if (required) throw FieldError{path_ + "." + key, "a string (it is missing)"};
      return {};
    }
    const auto& v = object_.at(key);
    if (!v.is_string()) throw FieldError{path_ + "." + key, "a string, got " + show(v)};
    return v.get<std::string>();
  }

  std::string server(const char* key, bool required) const {
    auto name = string(key, required);
    if (!name.empty() || required) check_server(name, path_ + "." + key);
    return name;
  }

  void check_server(const std::string& name, const std::string& path) const {
    if (topology_.find(name) != nullptr) return;
    std::vector<std::string> names;
    for (const auto& s : topology_.servers) names.push_back(s.name);
    if (names.size() > 8) names.resize(8), names.push_back("...");
    throw FieldError{path, "a server of the topology (" + join(names) + "), got \"" + name + "\""};
  }

  double number(const char* key, bool required, double fallback, double low, double high) const {
    if (!has(key)) {
      if (required) throw FieldError{path_ + "." + key, "a number (it is missing)"};
      return fallback;
    }
    const auto& v = object_.at(key);
    if (!v.is_number() || v.get<double>() < low || v.get<double>() > high)
      throw FieldError{path_ + "." + key,
                       "a number from " + trim(low) + " to " + trim(high) + ", got " + show(v)};
    return v.get<double>();
  }

  std::int64_t integer(const char* key, bool required, std::int64_t fallback, std::int64_t low,
                       std::int64_t high) const {
    if (!has(key)) {
      if (required) throw FieldError{path_ + "." + key, "an integer (it is missing)"};
      return fallback;
    }
    const auto& v = object_.at(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < low || v.get<std::int64_t>() > high)
      throw FieldError{path_ + "." + key, "an integer from " + std::to_string(low) + " to " +
                                              std::to_string(high) + ", got " + show(v)};
    return v.get<std::int64_t>();
  }

  bool boolean(const char* key) const {
    if (!has(key)) return false;
    const auto& v = object_.at(key);
    if (!v.is_boolean()) throw FieldError{path_ + "." + key, "true or false, got " + show(v)};
    return v.get<bool>();
  }

  std::vector<std::string> servers(const char* key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    const auto& v = object_.at(key);
    if (!v.is_array())
      throw FieldError{path_ + "." + key, "an array of server names, got " + show(v)};
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto item_path = path_ + "." + key + "[" + std::to_string(i) + "]";
      if (!v[i].is_string()) throw FieldError{item_path, "a server name, got " + show(v[i])};
      check_server(v[i].get<std::string>(), item_path);
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }

  const json& at(const char* key) const { return object_.at(key); }
  const Topology& topology() const { return topology_; }
  const std::string& path() const { return path_; }

 private:
  static std::string trim(double v) {
    auto s = std::to_string(v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  const json& object_;
  std::string path_;
  const Topology& topology_;
};

void read_expect(const StepReader& r, Step& step) {
  if (!r.has("expect")) return;
  const auto& v = r.at("expect");
  auto path = r.path() + ".expect";
  static const std::map<std::string, ReplyKind> words = {{"none", ReplyKind::none},
                                                         {"at", ReplyKind::at},
                                                         {"invalid", ReplyKind::invalid},
                                                         {"whatsat", ReplyKind::whatsat},
                                                         {"origin_line", ReplyKind::origin_line}};
  if (v.is_string()) {
    auto it = words.find(v.get<std::string>());
    if (it == words.end())
      throw FieldError{path,
                       "\"none\", \"at\", \"invalid\", \"whatsat\", \"origin_line\", "
                       "{\"exact\": ...} or {\"pattern\": ...}, got " +
                           show(v)};
    step.expect = it->second;
    return;
  }
  if (v.is_object() && v.size() == 1 && (v.contains("exact") || v.contains("pattern"))) {
    bool exact = v.contains("exact");
    const auto& text = exact ? v.at("exact") : v.at("pattern");
    if (!text.is_string())
      throw FieldError{path + (exact ? ".exact" : ".pattern"), "a string, got " + show(text)};
    step.expect = exact ? ReplyKind::exact : ReplyKind::pattern;
    step.expect_text = text.get<std::string>();
    // Checked here, so a bad pattern is a bad file, not a failure after earlier steps ran.
    if (!exact)
      if (auto usable = check_pattern(step.expect_text); !usable)
        throw FieldError{path + ".pattern", "a regular expression (RE2 syntax), got " + show(text) +
                                                " (" + usable.error() + ")"};
    return;
  }
  throw FieldError{
      path,
      "\"none\", \"at\", \"invalid\", \"whatsat\", {\"exact\": ...} or {\"pattern\": ...}, got " +
          show(v)};
}

void read_link(const StepReader& r, Step& step) {
  step.from = r.server("from", false);
  step.to = r.server("to", false);
  if (step.from.empty() != step.to.empty())
    throw FieldError{r.path(), "both \"from\" and \"to\", or neither (every link)"};
  step.one_way = r.boolean("one_way");
  if (step.from.empty()) return;
  for (const auto& [a, b] : r.topology().links)
    if ((a == step.from && b == step.to) || (a == step.to && b == step.from)) return;
  throw FieldError{r.path(), "a link of the topology, but " + step.from + " and " + step.to +
                                 " are not neighbours"};
}

void read_groups(const StepReader& r, Step& step) {
  const auto& path = r.path();
  if (!r.has("groups") || !r.at("groups").is_array() || r.at("groups").size() < 2)
    throw FieldError{path + ".groups", "an array of two or more arrays of server names"};
  std::set<std::string> seen;
  for (std::size_t g = 0; g < r.at("groups").size(); ++g) {
    auto group_path = path + ".groups[" + std::to_string(g) + "]";
    const auto& group = r.at("groups")[g];
    if (!group.is_array() || group.empty())
      throw FieldError{group_path, "a non-empty array of server names"};
    step.groups.emplace_back();
    for (std::size_t i = 0; i < group.size(); ++i) {
      auto item_path = group_path + "[" + std::to_string(i) + "]";
      if (!group[i].is_string())
        throw FieldError{item_path, "a server name, got " + show(group[i])};
      auto server = group[i].get<std::string>();
      r.check_server(server, item_path);
      if (!seen.insert(server).second)
        throw FieldError{item_path,
                         "each server in one group only, \"" + server + "\" is repeated"};
      step.groups.back().push_back(server);
    }
  }
}

void write_link(const Step& s, json& j) {
  if (!s.from.empty()) j["from"] = s.from, j["to"] = s.to;
  if (s.one_way) j["one_way"] = true;
}

std::string link_text(const Step& s) {
  if (s.from.empty()) return "every link";
  return s.from + (s.one_way ? " -> " : " <-> ") + s.to;
}

void read_node(const StepReader& r, Step& s) {
  s.node = r.server("node", true);
}
void write_node(const Step& s, json& j) {
  j["node"] = s.node;
}

const char* expect_word(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::at:
      return "at";
    case ReplyKind::invalid:
      return "invalid";
    case ReplyKind::whatsat:
      return "whatsat";
    case ReplyKind::origin_line:
      return "origin_line";
    default:
      return nullptr;
  }
}

// Every step kind, each in one entry: its fields, how it is read from and written to a scenario
// file, how it is described, and what it does to a run. Adding a kind is an enum value (in
// scenario.hpp), an entry here, and an example in scenarios/README.md.
struct KindInfo {
  StepKind kind;
  const char* name;
  std::vector<std::string> fields;  // allowed besides "do" and "note"
  StepRole role;
  void (*read)(const StepReader&, Step&);
  void (*write)(const Step&, json&);
  std::string (*describe)(const Step&);
  void (*apply)(const Step&, StepContext&, StepOutcome&);
  // A fault on a link needs something on the links to put it there: the virtual network, or a
  // proxy (server processes with fixed ports have none).
  bool on_links = false;
  // For a fault: whether a later step undoes it (shrinking keeps the two together).
  bool (*repaired_by)(const Step& fault, const Step& repair) = nullptr;

  [[nodiscard]] json write_json(const Step& s) const {
    json j;
    j["do"] = name;
    write(s, j);
    return j;
  }
};

// Link faults share their fields and reading; they differ in what they change.
const std::vector<std::string> link_fields = {"from", "to", "one_way"};

bool same_link(const Step& fault, const Step& repair) {
  bool everywhere = repair.from.empty() && repair.to.empty();
  bool same = repair.from == fault.from && repair.to == fault.to;
  bool reversed = !repair.one_way && repair.from == fault.to && repair.to == fault.from;
  return everywhere || same || reversed;
}
bool restored(const Step& fault, const Step& repair) {
  return (repair.kind == StepKind::restore || repair.kind == StepKind::heal) &&
         same_link(fault, repair);
}
bool released(const Step& fault, const Step& repair) {
  return (repair.kind == StepKind::release || restored(fault, repair)) && same_link(fault, repair);
}
bool healed(const Step&, const Step& repair) {
  return repair.kind == StepKind::heal;
}
bool restarted(const Step& fault, const Step& repair) {
  return repair.kind == StepKind::restart && repair.node == fault.node;
}
bool resumed(const Step& fault, const Step& repair) {
  return repair.kind == StepKind::resume && repair.node == fault.node;
}

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> all = {
      {StepKind::send,
       "send",
       {"node", "line", "expect", "background"},
       StepRole::client,
       [](const StepReader& r, Step& s) {
         s.node = r.server("node", true);
         s.line = r.string("line", true);
         s.background = r.boolean("background");
         read_expect(r, s);
       },
       [](const Step& s, json& j) {
         j["node"] = s.node;
         j["line"] = s.line;
         if (s.background) j["background"] = true;
         if (auto word = expect_word(s.expect)) j["expect"] = word;
         if (s.expect == ReplyKind::exact) j["expect"] = {{"exact", s.expect_text}};
         if (s.expect == ReplyKind::pattern) j["expect"] = {{"pattern", s.expect_text}};
       },
       [](const Step& s) {
         return std::string(s.background ? "send in the background to " : "send to ") + s.node +
                ": " + s.line;
       },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.send(s, out); }},
      {StepKind::traffic,
       "traffic",
       {"clients", "rate", "duration_ms", "nodes"},
       StepRole::client,
       [](const StepReader& r, Step& s) {
         s.clients = static_cast<int>(r.integer("clients", true, 0, 1, 100000));
         s.rate = r.number("rate", true, 0, 0.001, 1e6);
         s.duration_ms = static_cast<int>(r.integer("duration_ms", true, 0, 0, 3'600'000));
         s.nodes = r.servers("nodes");
       },
       [](const Step& s, json& j) {
         j["clients"] = s.clients;
         j["rate"] = s.rate;
         j["duration_ms"] = s.duration_ms;
         if (!s.nodes.empty()) j["nodes"] = s.nodes;
       },
       [](const Step& s) {
         return "traffic: " + std::to_string(s.clients) + " clients, " +
                std::to_string(static_cast<int>(s.rate)) + "/s for " +
                std::to_string(s.duration_ms) + " ms";
       },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.traffic(s, out); }},
      {StepKind::cut, "cut", link_fields, StepRole::fault, read_link, write_link,
       [](const Step& s) { return "cut " + link_text(s); },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [](LinkFaults& f) { f.cut = true; });
       },
       true, restored},
      {StepKind::drop, "drop", link_fields, StepRole::fault, read_link, write_link,
       [](const Step& s) { return "drop " + link_text(s); },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [](LinkFaults& f) { f.drop = true; });
       },
       true, restored},
      {StepKind::restore, "restore", link_fields, StepRole::repair, read_link, write_link,
       [](const Step& s) { return "restore " + link_text(s); },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [](LinkFaults& f) { f = LinkFaults{}; });
       }},
      {StepKind::partition,
       "partition",
       {"groups"},
       StepRole::fault,
       read_groups,
       [](const Step& s, json& j) { j["groups"] = s.groups; },
       [](const Step& s) {
         std::string out = "partition";
         for (const auto& g : s.groups) out += " [" + join(g) + "]";
         return out;
       },
       [](const Step& s, StepContext& c, StepOutcome&) { c.partition(s); },
       true,
       healed},
      {StepKind::heal,
       "heal",
       {},
       StepRole::repair,
       [](const StepReader&, Step&) {},
       [](const Step&, json&) {},
       [](const Step&) { return std::string("heal every link"); },
       [](const Step&, StepContext& c, StepOutcome&) { c.heal(); }},
      {StepKind::latency,
       "latency",
       {"from", "to", "one_way", "ms", "jitter_ms"},
       StepRole::fault,
       [](const StepReader& r, Step& s) {
         read_link(r, s);
         s.ms = static_cast<int>(r.integer("ms", true, 0, 0, 60000));
         s.jitter_ms = static_cast<int>(r.integer("jitter_ms", false, 0, 0, 60000));
       },
       [](const Step& s, json& j) {
         write_link(s, j);
         j["ms"] = s.ms;
         if (s.jitter_ms) j["jitter_ms"] = s.jitter_ms;
       },
       [](const Step& s) {
         return "latency " + std::to_string(s.ms) + " ms +/- " + std::to_string(s.jitter_ms) +
                " ms on " + link_text(s);
       },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [&s](LinkFaults& f) {
           f.latency_ms = s.ms;
           f.jitter_ms = s.jitter_ms;
         });
       },
       true,
       restored},
      {StepKind::reset, "reset", link_fields, StepRole::fault, read_link, write_link,
       [](const Step& s) { return "reset " + link_text(s); },
       [](const Step& s, StepContext& c, StepOutcome&) { c.reset_links(s); }, true},
      {StepKind::bandwidth,
       "bandwidth",
       {"from", "to", "one_way", "bytes_per_s"},
       StepRole::fault,
       [](const StepReader& r, Step& s) {
         read_link(r, s);
         s.bytes_per_s = r.integer("bytes_per_s", true, 0, 1, 1'000'000'000'000);
       },
       [](const Step& s, json& j) {
         write_link(s, j);
         j["bytes_per_s"] = s.bytes_per_s;
       },
       [](const Step& s) {
         return "bandwidth " + std::to_string(s.bytes_per_s) + " B/s on " + link_text(s);
       },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [&s](LinkFaults& f) { f.bytes_per_s = s.bytes_per_s; });
       },
       true,
       restored},
      {StepKind::slice,
       "slice",
       {"from", "to", "one_way", "bytes"},
       StepRole::fault,
       [](const StepReader& r, Step& s) {
         read_link(r, s);
         s.bytes = static_cast<int>(r.integer("bytes", true, 0, 1, 1'000'000));
       },
       [](const Step& s, json& j) {
         write_link(s, j);
         j["bytes"] = s.bytes;
       },
       [](const Step& s) {
         return "slice writes into " + std::to_string(s.bytes) + "-byte pieces on " + link_text(s);
       },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [&s](LinkFaults& f) { f.slice_bytes = s.bytes; });
       },
       true,
       restored},
      {StepKind::hold, "hold", link_fields, StepRole::fault, read_link, write_link,
       [](const Step& s) { return "hold " + link_text(s); },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [](LinkFaults& f) { f.hold = true; });
       },
       true, released},
      {StepKind::release, "release", link_fields, StepRole::repair, read_link, write_link,
       [](const Step& s) { return "release " + link_text(s); },
       [](const Step& s, StepContext& c, StepOutcome&) {
         c.change_links(s, [](LinkFaults& f) { f.hold = false; });
       }},
      {StepKind::crash,
       "crash",
       {"node"},
       StepRole::fault,
       read_node,
       write_node,
       [](const Step& s) { return "crash " + s.node; },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.crash(s.node, out); },
       false,
       restarted},
      {StepKind::restart,
       "restart",
       {"node"},
       StepRole::repair,
       read_node,
       write_node,
       [](const Step& s) { return "restart " + s.node; },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.restart(s.node, out); }},
      {StepKind::pause,
       "pause",
       {"node"},
       StepRole::fault,
       read_node,
       write_node,
       [](const Step& s) { return "pause " + s.node; },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.pause(s.node, out); },
       false,
       resumed},
      {StepKind::resume,
       "resume",
       {"node"},
       StepRole::repair,
       read_node,
       write_node,
       [](const Step& s) { return "resume " + s.node; },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.resume(s.node, out); }},
      {StepKind::places,
       "places",
       {"latency_ms", "http_status", "malformed", "silent"},
       StepRole::fault,
       [](const StepReader& r, Step& s) {
         s.places.latency_ms = static_cast<int>(r.integer("latency_ms", false, 0, 0, 600000));
         s.places.http_status = static_cast<int>(r.integer("http_status", false, 0, 0, 599));
         if (s.places.http_status != 0 && s.places.http_status < 100)
           throw FieldError{r.path() + ".http_status",
                            "an HTTP status from 100 to 599 (or 0: none)"};
         s.places.malformed = r.boolean("malformed");
         s.places.silent = r.boolean("silent");
       },
       [](const Step& s, json& j) {
         if (s.places.latency_ms) j["latency_ms"] = s.places.latency_ms;
         if (s.places.http_status) j["http_status"] = s.places.http_status;
         if (s.places.malformed) j["malformed"] = true;
         if (s.places.silent) j["silent"] = true;
       },
       [](const Step& s) {
         std::string out = "places:";
         if (s.places.latency_ms) out += " latency " + std::to_string(s.places.latency_ms) + " ms";
         if (s.places.http_status) out += " HTTP " + std::to_string(s.places.http_status);
         if (s.places.malformed) out += " malformed";
         if (s.places.silent) out += " silent";
         return out == "places:" ? std::string("places: healthy") : out;
       },
       [](const Step& s, StepContext& c, StepOutcome&) { c.set_places(s.places); }},
      {StepKind::wait,
       "wait",
       {"ms"},
       StepRole::wait,
       [](const StepReader& r, Step& s) {
         s.ms = static_cast<int>(r.integer("ms", true, 0, 0, 3'600'000));
       },
       [](const Step& s, json& j) { j["ms"] = s.ms; },
       [](const Step& s) { return "wait " + std::to_string(s.ms) + " ms"; },
       [](const Step& s, StepContext& c, StepOutcome&) { c.wait(s.ms); }},
      {StepKind::expect_converged,
       "expect_converged",
       {"within_ms"},
       StepRole::check,
       [](const StepReader& r, Step& s) {
         s.ms = static_cast<int>(r.integer("within_ms", false, 5000, 1, 3'600'000));
       },
       [](const Step& s, json& j) { j["within_ms"] = s.ms; },
       [](const Step& s) { return "expect converged within " + std::to_string(s.ms) + " ms"; },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.expect_converged(s, out, true); }},
      {StepKind::expect_diverged,
       "expect_diverged",
       {"within_ms"},
       StepRole::check,
       [](const StepReader& r, Step& s) {
         s.ms = static_cast<int>(r.integer("within_ms", false, 1000, 1, 3'600'000));
       },
       [](const Step& s, json& j) { j["within_ms"] = s.ms; },
       [](const Step& s) { return "expect diverged after " + std::to_string(s.ms) + " ms"; },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.expect_converged(s, out, false); }},
      {StepKind::expect_record,
       "expect_record",
       {"node", "client", "time", "origin", "absent", "within_ms"},
       StepRole::check,
       [](const StepReader& r, Step& s) {
         s.node = r.server("node", true);
         s.client = r.string("client", true);
         s.time = r.string("time", false);
         s.origin = r.string("origin", false);
         s.absent = r.boolean("absent");
         if (s.absent && (!s.time.empty() || !s.origin.empty()))
           throw FieldError{r.path(),
                            "\"absent\" alone, or \"time\"/\"origin\" without \"absent\""};
         s.ms = static_cast<int>(r.integer("within_ms", false, 0, 0, 3'600'000));
         if (s.absent && s.ms != 0)
           throw FieldError{r.path() + ".within_ms",
                            "no within_ms with \"absent\" (wait first, then check)"};
       },
       [](const Step& s, json& j) {
         j["node"] = s.node;
         j["client"] = s.client;
         if (!s.time.empty()) j["time"] = s.time;
         if (!s.origin.empty()) j["origin"] = s.origin;
         if (s.absent) j["absent"] = true;
         if (s.ms) j["within_ms"] = s.ms;
       },
       [](const Step& s) {
         return "expect " + s.node + (s.absent ? " lacks " : " holds ") + s.client +
                (s.time.empty() ? "" : " at " + s.time) +
                (s.origin.empty() ? "" : " from " + s.origin) +
                (s.ms ? " within " + std::to_string(s.ms) + " ms" : "");
       },
       [](const Step& s, StepContext& c, StepOutcome& out) { c.expect_record(s, out); }},
  };
  return all;
}

const KindInfo& info(StepKind kind) {
  for (const auto& k : kinds())
    if (k.kind == kind) return k;
  throw std::logic_error("a step kind without an entry in kinds()");
}

Step read_step(const json& value, const std::string& path, const Topology& topology) {
  if (!value.is_object()) throw FieldError{path, "an object with \"do\", got " + show(value)};
  if (!value.contains("do") || !value.at("do").is_string())
    throw FieldError{path + ".do", "the step's kind as a string (send, traffic, cut, ...)"};
  auto name = value.at("do").get<std::string>();
  auto kind = std::find_if(kinds().begin(), kinds().end(),
                           [&](const KindInfo& k) { return name == k.name; });
  if (kind == kinds().end()) {
    std::vector<std::string> names;
    for (const auto& k : kinds()) names.push_back(k.name);
    throw FieldError{path + ".do", "one of " + join(names) + ", got \"" + name + "\""};
  }
  for (auto& [key, unused] : value.items())
    if (key != "do" && key != "note" &&
        std::find(kind->fields.begin(), kind->fields.end(), key) == kind->fields.end())
      throw FieldError{path + "." + key, "a field of \"" + name + "\" (" +
                                             (kind->fields.empty() ? "none" : join(kind->fields)) +
                                             "), not \"" + key + "\""};
  StepReader r(value, path, topology);
  Step step;
  step.kind = kind->kind;
  kind->read(r, step);
  return step;
}

// A virtual server idles in about 32 KB, so 10,000 of them fit well inside a laptop's memory;
// beyond that a ring takes minutes per flood and is more likely a typo than a plan.
constexpr int kMaxRingServers = 10000;

Topology read_topology(const json& root) {
  if (!root.contains("topology")) return default_topology(0);
  const auto& t = root.at("topology");
  if (t.is_string()) {
    if (t.get<std::string>() != "default")
      throw FieldError{"topology",
                       "\"default\", {\"ring\": N} or {\"servers\": [...], \"links\": [...]}"};
    return default_topology(0);
  }
  if (t.is_object() && t.contains("ring")) {
    if (t.size() != 1 || !t.at("ring").is_number_integer() || t.at("ring").get<int>() < 2 ||
        t.at("ring").get<int>() > kMaxRingServers)
      throw FieldError{"topology.ring", "an integer from 2 to " + std::to_string(kMaxRingServers) +
                                            ", got " + show(t.at("ring"))};
    return ring_topology(t.at("ring").get<int>());
  }
  if (t.is_object() && t.contains("servers")) {
    Topology topology;
    for (auto& [key, unused] : t.items())
      if (key != "servers" && key != "links")
        throw FieldError{"topology." + key, "servers or links (unknown field)"};
    const auto& servers = t.at("servers");
    if (!servers.is_array() || servers.empty())
      throw FieldError{"topology.servers", "a non-empty array of server names"};
    for (std::size_t i = 0; i < servers.size(); ++i) {
      if (!servers[i].is_string())
        throw FieldError{"topology.servers[" + std::to_string(i) + "]",
                         "a server name, got " + show(servers[i])};
      topology.servers.push_back({servers[i].get<std::string>(), "127.0.0.1", 0});
    }
    if (t.contains("links")) {
      const auto& links = t.at("links");
      if (!links.is_array()) throw FieldError{"topology.links", "an array of [name, name] pairs"};
      for (std::size_t i = 0; i < links.size(); ++i) {
        const auto& l = links[i];
        if (!l.is_array() || l.size() != 2 || !l[0].is_string() || !l[1].is_string())
          throw FieldError{"topology.links[" + std::to_string(i) + "]",
                           "a pair of server names, got " + show(l)};
        topology.links.emplace_back(l[0].get<std::string>(), l[1].get<std::string>());
      }
    }
    if (auto sound = topology.validate(); !sound)
      throw FieldError{"topology", "a sound topology: " + sound.error()};
    return topology;
  }
  throw FieldError{
      "topology",
      "\"default\", {\"ring\": N} or {\"servers\": [...], \"links\": [...]}, got " + show(t)};
}

Scenario read_scenario(const json& root) {
  if (!root.is_object()) throw FieldError{"(top level)", "an object with name and steps"};
  for (auto& [key, unused] : root.items())
    if (key != "name" && key != "description" && key != "topology" && key != "mode" &&
        key != "seed" && key != "steps" && key != "checks" && key != "points")
      throw FieldError{key,
                       "one of name, description, topology, mode, seed, checks, points, steps "
                       "(unknown field)"};
  Scenario scenario;
  if (!root.contains("name") || !root.at("name").is_string() ||
      root.at("name").get<std::string>().empty())
    throw FieldError{"name", "the scenario's name as a non-empty string"};
  scenario.name = root.at("name").get<std::string>();
  // It names the run's report files and log folder: it must stay inside the folders given.
  if (scenario.name.size() > 128 || scenario.name.front() == '.' ||
      std::any_of(scenario.name.begin(), scenario.name.end(), [](char c) {
        return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      }))
    throw FieldError{"name",
                     "a name for the run's files: at most 128 bytes, no '/', '\\' or control "
                     "characters, not starting with '.'"};
  if (root.contains("description")) {
    if (!root.at("description").is_string()) throw FieldError{"description", "a string"};
    scenario.description = root.at("description").get<std::string>();
  }
  scenario.topology = read_topology(root);
  if (root.contains("mode")) {
    const auto& mode = root.at("mode");
    if (mode != "anti-entropy" && mode != "classic")
      throw FieldError{"mode", "\"anti-entropy\" or \"classic\", got " + show(mode)};
    scenario.classic = mode == "classic";
  }
  if (root.contains("seed")) {
    if (!root.at("seed").is_number_unsigned())
      throw FieldError{"seed", "a non-negative integer, got " + show(root.at("seed"))};
    scenario.seed = root.at("seed").get<std::uint64_t>();
  }
  if (root.contains("points")) {
    const auto& points = root.at("points");
    if (!points.is_number() || points.get<double>() < 0 || points.get<double>() > 1e6)
      throw FieldError{"points",
                       "a number from 0 to 1000000 (what passing it is worth in herd "
                       "grade), got " +
                           show(points)};
    scenario.points = points.get<double>();
  }
  if (!root.contains("steps") || !root.at("steps").is_array())
    throw FieldError{"steps", "an array of steps"};
  const auto& steps = root.at("steps");
  for (std::size_t i = 0; i < steps.size(); ++i)
    scenario.steps.push_back(
        read_step(steps[i], "steps[" + std::to_string(i) + "]", scenario.topology));
  scenario.beyond_course = checks_recovery(scenario.steps);
  if (root.contains("checks")) {
    const auto& checks = root.at("checks");
    if (checks != "course" && checks != "beyond")
      throw FieldError{"checks",
                       "\"course\" (the course's minimum) or \"beyond\" (recovery after a "
                       "restart or a partition), got " +
                           show(checks)};
    scenario.beyond_course = checks == "beyond";
  }
  return scenario;
}

}  // namespace

bool checks_recovery(const std::vector<Step>& steps) {
  bool recovering = false;
  for (const auto& step : steps) {
    if (step.kind == StepKind::restart || step.kind == StepKind::heal ||
        step.kind == StepKind::restore)
      recovering = true;
    if (recovering &&
        (step.kind == StepKind::expect_converged || step.kind == StepKind::expect_record))
      return true;
  }
  return false;
}

const char* to_string(StepKind kind) {
  return info(kind).name;
}

StepRole role_of(StepKind kind) {
  return info(kind).role;
}

bool needs_link_faults(StepKind kind) {
  return info(kind).on_links;
}

bool repairs(const Step& fault, const Step& repair) {
  auto undone = info(fault.kind).repaired_by;
  return undone != nullptr && undone(fault, repair);
}

void apply_step(const Step& step, StepContext& context, StepOutcome& out) {
  info(step.kind).apply(step, context, out);
}

Expected<Scenario> parse_scenario(std::string_view text, std::string_view source) {
  if (auto nesting = check_json_nesting(text); !nesting)
    return fail(std::string(source) + ": not a scenario: " + nesting.error());
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers past a double
    return fail(std::string(source) + ": not valid JSON: " + e.what());
  }
  try {
    auto scenario = read_scenario(root);
    scenario.source = std::string(source);
    return scenario;
  } catch (const FieldError& e) {
    return fail(std::string(source) + ": " + e.path + ": expected " + e.expected);
  } catch (const json::exception& e) {
    // A shape the readers did not foresee: still an error about the file, never a crash.
    return fail(std::string(source) + ": " + e.what());
  }
}

Expected<std::vector<Step>> parse_steps(std::string_view text, const Topology& topology) {
  if (auto nesting = check_json_nesting(text); !nesting)
    return fail("not steps: " + nesting.error());
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return fail(std::string("not valid JSON: ") + e.what());
  }
  try {
    std::vector<Step> steps;
    if (root.is_array()) {
      if (root.empty()) throw FieldError{"steps", "at least one step"};
      for (std::size_t i = 0; i < root.size(); ++i)
        steps.push_back(read_step(root[i], "steps[" + std::to_string(i) + "]", topology));
    } else {
      steps.push_back(read_step(root, "steps[0]", topology));
    }
    return steps;
  } catch (const FieldError& e) {
    return fail(e.path + ": expected " + e.expected);
  } catch (const json::exception& e) {
    return fail(e.what());
  }
}

Expected<Scenario> load_scenario(const std::string& path) {
  auto text = read_bounded_file(path, max_scenario_bytes);
  if (!text) return fail(path + ": " + text.error());
  return parse_scenario(*text, path);
}

std::string scenario_to_json(const Scenario& scenario) {
  json root;
  root["name"] = scenario.name;
  if (!scenario.description.empty()) root["description"] = scenario.description;
  json servers = json::array();
  for (const auto& s : scenario.topology.servers) servers.push_back(s.name);
  json links = json::array();
  for (const auto& [a, b] : scenario.topology.links) links.push_back({a, b});
  root["topology"] = {{"servers", servers}, {"links", links}};
  root["mode"] = scenario.classic ? "classic" : "anti-entropy";
  root["seed"] = scenario.seed;
  if (scenario.beyond_course != checks_recovery(scenario.steps))
    root["checks"] = scenario.beyond_course ? "beyond" : "course";
  if (scenario.points != 1) root["points"] = scenario.points;
  json steps = json::array();
  for (const auto& step : scenario.steps) steps.push_back(info(step.kind).write_json(step));
  root["steps"] = steps;
  // One step per line keeps a written scenario easy to read and to edit.
  std::string out = "{\n";
  bool first = true;
  for (auto& [key, value] : root.items()) {
    if (key == "steps") continue;
    out += std::string(first ? "" : ",\n") + "  " + json(key).dump() + ": " + value.dump();
    first = false;
  }
  out += ",\n  \"steps\": [\n";
  for (std::size_t i = 0; i < steps.size(); ++i)
    out += "    " + steps[i].dump() + (i + 1 < steps.size() ? ",\n" : "\n");
  out += "  ]\n}\n";
  return out;
}

std::string describe(const Step& step) {
  return info(step.kind).describe(step);
}

}  // namespace herd
