#include "sim/scenario.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "core/text_file.hpp"

namespace herd {
namespace {

using nlohmann::json;

// Thrown inside this file only, and turned into a ScenarioError at its edge.
struct FieldError {
  std::string path, expected;
};

struct KindInfo {
  StepKind kind;
  const char* name;
  std::vector<std::string> fields;  // allowed besides "do" and "note"
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> all = {
      {StepKind::send, "send", {"node", "line", "expect", "background"}},
      {StepKind::traffic, "traffic", {"clients", "rate", "duration_ms", "nodes"}},
      {StepKind::cut, "cut", {"from", "to", "one_way"}},
      {StepKind::drop, "drop", {"from", "to", "one_way"}},
      {StepKind::restore, "restore", {"from", "to", "one_way"}},
      {StepKind::partition, "partition", {"groups"}},
      {StepKind::heal, "heal", {}},
      {StepKind::latency, "latency", {"from", "to", "one_way", "ms", "jitter_ms"}},
      {StepKind::reset, "reset", {"from", "to", "one_way"}},
      {StepKind::bandwidth, "bandwidth", {"from", "to", "one_way", "bytes_per_s"}},
      {StepKind::slice, "slice", {"from", "to", "one_way", "bytes"}},
      {StepKind::hold, "hold", {"from", "to", "one_way"}},
      {StepKind::release, "release", {"from", "to", "one_way"}},
      {StepKind::crash, "crash", {"node"}},
      {StepKind::restart, "restart", {"node"}},
      {StepKind::pause, "pause", {"node"}},
      {StepKind::resume, "resume", {"node"}},
      {StepKind::places, "places", {"latency_ms", "http_status", "malformed", "silent"}},
      {StepKind::wait, "wait", {"ms"}},
      {StepKind::expect_converged, "expect_converged", {"within_ms"}},
      {StepKind::expect_diverged, "expect_diverged", {"within_ms"}},
      {StepKind::expect_record,
       "expect_record",
       {"node", "client", "time", "origin", "absent", "within_ms"}},
  };
  return all;
}

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
                                                         {"whatsat", ReplyKind::whatsat}};
  if (v.is_string()) {
    auto it = words.find(v.get<std::string>());
    if (it == words.end())
      throw FieldError{path,
                       "\"none\", \"at\", \"invalid\", \"whatsat\", {\"exact\": ...} or "
                       "{\"pattern\": ...}, got " +
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
    if (!exact) {
      // Checked here, so a bad pattern is a bad file, not a crash after earlier steps ran.
      try {
        std::regex compiled(step.expect_text);
      } catch (const std::regex_error& e) {
        throw FieldError{path + ".pattern", "an ECMAScript regular expression, got " + show(text) +
                                                " (" + e.what() + ")"};
      }
    }
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

Step read_step(const json& value, const std::string& path, const Topology& topology) {
  if (!value.is_object()) throw FieldError{path, "an object with \"do\", got " + show(value)};
  if (!value.contains("do") || !value.at("do").is_string())
    throw FieldError{path + ".do", "the step's kind as a string (send, traffic, cut, ...)"};
  auto name = value.at("do").get<std::string>();
  auto info = std::find_if(kinds().begin(), kinds().end(),
                           [&](const KindInfo& k) { return name == k.name; });
  if (info == kinds().end()) {
    std::vector<std::string> names;
    for (const auto& k : kinds()) names.push_back(k.name);
    throw FieldError{path + ".do", "one of " + join(names) + ", got \"" + name + "\""};
  }
  for (auto& [key, unused] : value.items())
    if (key != "do" && key != "note" &&
        std::find(info->fields.begin(), info->fields.end(), key) == info->fields.end())
      throw FieldError{path + "." + key, "a field of \"" + name + "\" (" +
                                             (info->fields.empty() ? "none" : join(info->fields)) +
                                             "), not \"" + key + "\""};
  StepReader r(value, path, topology);
  Step step;
  step.kind = info->kind;
  switch (step.kind) {
    case StepKind::send:
      step.node = r.server("node", true);
      step.line = r.string("line", true);
      step.background = r.boolean("background");
      read_expect(r, step);
      break;
    case StepKind::traffic:
      step.clients = static_cast<int>(r.integer("clients", true, 0, 1, 100000));
      step.rate = r.number("rate", true, 0, 0.001, 1e6);
      step.duration_ms = static_cast<int>(r.integer("duration_ms", true, 0, 0, 3'600'000));
      step.nodes = r.servers("nodes");
      break;
    case StepKind::cut:
    case StepKind::drop:
    case StepKind::restore:
    case StepKind::reset:
    case StepKind::hold:
    case StepKind::release:
      read_link(r, step);
      break;
    case StepKind::latency:
      read_link(r, step);
      step.ms = static_cast<int>(r.integer("ms", true, 0, 0, 60000));
      step.jitter_ms = static_cast<int>(r.integer("jitter_ms", false, 0, 0, 60000));
      break;
    case StepKind::bandwidth:
      read_link(r, step);
      step.bytes_per_s = r.integer("bytes_per_s", true, 0, 1, 1'000'000'000'000);
      break;
    case StepKind::slice:
      read_link(r, step);
      step.bytes = static_cast<int>(r.integer("bytes", true, 0, 1, 1'000'000));
      break;
    case StepKind::partition: {
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
      break;
    }
    case StepKind::heal:
      break;
    case StepKind::crash:
    case StepKind::restart:
    case StepKind::pause:
    case StepKind::resume:
      step.node = r.server("node", true);
      break;
    case StepKind::places:
      step.places.latency_ms = static_cast<int>(r.integer("latency_ms", false, 0, 0, 600000));
      step.places.http_status = static_cast<int>(r.integer("http_status", false, 0, 0, 599));
      if (step.places.http_status != 0 && step.places.http_status < 100)
        throw FieldError{path + ".http_status", "an HTTP status from 100 to 599 (or 0: none)"};
      step.places.malformed = r.boolean("malformed");
      step.places.silent = r.boolean("silent");
      break;
    case StepKind::wait:
      step.ms = static_cast<int>(r.integer("ms", true, 0, 0, 3'600'000));
      break;
    case StepKind::expect_converged:
      step.ms = static_cast<int>(r.integer("within_ms", false, 5000, 1, 3'600'000));
      break;
    case StepKind::expect_diverged:
      step.ms = static_cast<int>(r.integer("within_ms", false, 1000, 1, 3'600'000));
      break;
    case StepKind::expect_record:
      step.node = r.server("node", true);
      step.client = r.string("client", true);
      step.time = r.string("time", false);
      step.origin = r.string("origin", false);
      step.absent = r.boolean("absent");
      if (step.absent && (!step.time.empty() || !step.origin.empty()))
        throw FieldError{path, "\"absent\" alone, or \"time\"/\"origin\" without \"absent\""};
      step.ms = static_cast<int>(r.integer("within_ms", false, 0, 0, 3'600'000));
      if (step.absent && step.ms != 0)
        throw FieldError{path + ".within_ms",
                         "no within_ms with \"absent\" (wait first, then check)"};
      break;
  }
  return step;
}

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
        t.at("ring").get<int>() > 2000)
      throw FieldError{"topology.ring", "an integer from 2 to 2000, got " + show(t.at("ring"))};
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
    if (auto reason = topology.validate())
      throw FieldError{"topology", "a sound topology: " + *reason};
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
        key != "seed" && key != "steps")
      throw FieldError{key,
                       "one of name, description, topology, mode, seed, steps (unknown field)"};
  Scenario scenario;
  if (!root.contains("name") || !root.at("name").is_string() ||
      root.at("name").get<std::string>().empty())
    throw FieldError{"name", "the scenario's name as a non-empty string"};
  scenario.name = root.at("name").get<std::string>();
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
  if (!root.contains("steps") || !root.at("steps").is_array())
    throw FieldError{"steps", "an array of steps"};
  const auto& steps = root.at("steps");
  for (std::size_t i = 0; i < steps.size(); ++i)
    scenario.steps.push_back(
        read_step(steps[i], "steps[" + std::to_string(i) + "]", scenario.topology));
  return scenario;
}

json step_to_json(const Step& s) {
  json j;
  j["do"] = to_string(s.kind);
  auto link = [&] {
    if (!s.from.empty()) j["from"] = s.from, j["to"] = s.to;
    if (s.one_way) j["one_way"] = true;
  };
  switch (s.kind) {
    case StepKind::send:
      j["node"] = s.node;
      j["line"] = s.line;
      if (s.background) j["background"] = true;
      switch (s.expect) {
        case ReplyKind::none:
          break;
        case ReplyKind::at:
          j["expect"] = "at";
          break;
        case ReplyKind::invalid:
          j["expect"] = "invalid";
          break;
        case ReplyKind::whatsat:
          j["expect"] = "whatsat";
          break;
        case ReplyKind::exact:
          j["expect"] = {{"exact", s.expect_text}};
          break;
        case ReplyKind::pattern:
          j["expect"] = {{"pattern", s.expect_text}};
          break;
      }
      break;
    case StepKind::traffic:
      j["clients"] = s.clients;
      j["rate"] = s.rate;
      j["duration_ms"] = s.duration_ms;
      if (!s.nodes.empty()) j["nodes"] = s.nodes;
      break;
    case StepKind::latency:
      link();
      j["ms"] = s.ms;
      if (s.jitter_ms) j["jitter_ms"] = s.jitter_ms;
      break;
    case StepKind::bandwidth:
      link();
      j["bytes_per_s"] = s.bytes_per_s;
      break;
    case StepKind::slice:
      link();
      j["bytes"] = s.bytes;
      break;
    case StepKind::cut:
    case StepKind::drop:
    case StepKind::restore:
    case StepKind::reset:
    case StepKind::hold:
    case StepKind::release:
      link();
      break;
    case StepKind::partition:
      j["groups"] = s.groups;
      break;
    case StepKind::heal:
      break;
    case StepKind::crash:
    case StepKind::restart:
    case StepKind::pause:
    case StepKind::resume:
      j["node"] = s.node;
      break;
    case StepKind::places:
      if (s.places.latency_ms) j["latency_ms"] = s.places.latency_ms;
      if (s.places.http_status) j["http_status"] = s.places.http_status;
      if (s.places.malformed) j["malformed"] = true;
      if (s.places.silent) j["silent"] = true;
      break;
    case StepKind::wait:
      j["ms"] = s.ms;
      break;
    case StepKind::expect_converged:
    case StepKind::expect_diverged:
      j["within_ms"] = s.ms;
      break;
    case StepKind::expect_record:
      j["node"] = s.node;
      j["client"] = s.client;
      if (!s.time.empty()) j["time"] = s.time;
      if (!s.origin.empty()) j["origin"] = s.origin;
      if (s.absent) j["absent"] = true;
      if (s.ms) j["within_ms"] = s.ms;
      break;
  }
  return j;
}

}  // namespace

const char* to_string(StepKind kind) {
  for (const auto& k : kinds())
    if (k.kind == kind) return k.name;
  return "unknown";
}

std::variant<Scenario, ScenarioError> parse_scenario(std::string_view text,
                                                     std::string_view source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers past a double
    return ScenarioError{std::string(source) + ": not valid JSON: " + e.what()};
  }
  try {
    auto scenario = read_scenario(root);
    scenario.source = std::string(source);
    return scenario;
  } catch (const FieldError& e) {
    return ScenarioError{std::string(source) + ": " + e.path + ": expected " + e.expected};
  } catch (const json::exception& e) {
    // A shape the readers did not foresee: still an error about the file, never a crash.
    return ScenarioError{std::string(source) + ": " + e.what()};
  }
}

std::variant<Scenario, ScenarioError> load_scenario(const std::string& path) {
  std::string text;
  if (!read_text_file(path, text)) return ScenarioError{path + ": cannot open the file"};
  return parse_scenario(text, path);
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
  json steps = json::array();
  for (const auto& step : scenario.steps) steps.push_back(step_to_json(step));
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

std::string describe(const Step& s) {
  auto link = [&] {
    if (s.from.empty()) return std::string("every link");
    return s.from + (s.one_way ? " -> " : " <-> ") + s.to;
  };
  switch (s.kind) {
    case StepKind::send:
      return std::string(s.background ? "send in the background to " : "send to ") + s.node + ": " +
             s.line;
    case StepKind::traffic:
      return "traffic: " + std::to_string(s.clients) + " clients, " +
             std::to_string(static_cast<int>(s.rate)) + "/s for " + std::to_string(s.duration_ms) +
             " ms";
    case StepKind::partition: {
      std::string out = "partition";
      for (const auto& g : s.groups) out += " [" + join(g) + "]";
      return out;
    }
    case StepKind::heal:
      return "heal every link";
    case StepKind::latency:
      return "latency " + std::to_string(s.ms) + " ms +/- " + std::to_string(s.jitter_ms) +
             " ms on " + link();
    case StepKind::bandwidth:
      return "bandwidth " + std::to_string(s.bytes_per_s) + " B/s on " + link();
    case StepKind::slice:
      return "slice writes into " + std::to_string(s.bytes) + "-byte pieces on " + link();
    case StepKind::cut:
    case StepKind::drop:
    case StepKind::restore:
    case StepKind::reset:
    case StepKind::hold:
    case StepKind::release:
      return std::string(to_string(s.kind)) + " " + link();
    case StepKind::crash:
    case StepKind::restart:
    case StepKind::pause:
    case StepKind::resume:
      return std::string(to_string(s.kind)) + " " + s.node;
    case StepKind::places: {
      std::string out = "places:";
      if (s.places.latency_ms) out += " latency " + std::to_string(s.places.latency_ms) + " ms";
      if (s.places.http_status) out += " HTTP " + std::to_string(s.places.http_status);
      if (s.places.malformed) out += " malformed";
      if (s.places.silent) out += " silent";
      return out == "places:" ? "places: healthy" : out;
    }
    case StepKind::wait:
      return "wait " + std::to_string(s.ms) + " ms";
    case StepKind::expect_converged:
      return "expect converged within " + std::to_string(s.ms) + " ms";  // 5000 unless given
    case StepKind::expect_diverged:
      return "expect diverged after " + std::to_string(s.ms) + " ms";
    case StepKind::expect_record:
      return "expect " + s.node + (s.absent ? " lacks " : " holds ") + s.client +
             (s.time.empty() ? "" : " at " + s.time) +
             (s.origin.empty() ? "" : " from " + s.origin) +
             (s.ms ? " within " + std::to_string(s.ms) + " ms" : "");
  }
  return "?";
}

}  // namespace herd
