// `herd node`, `herd up` and `herd places-mock`: the commands that serve. Their flags are the
// table below; a flag's default is the field's initial value in ServeSettings (NodeOptions for the
// node's limits), so --help, --check and the servers cannot disagree.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/config.hpp"
#include "core/io/tcp_environment.hpp"
#include "core/local_herd.hpp"
#include "core/node.hpp"
#include "core/open_files.hpp"
#include "core/runtime.hpp"
#include "sim/places/places_mock.hpp"
#include "tools/commands.hpp"
#include "tools/flag_table.hpp"

namespace herd::cli {
namespace {

namespace po = boost::program_options;

NodeOptions cli_node_defaults() {
  NodeOptions node;
  node.log_dir = "logs";
  node.log_to_stderr = true;
  return node;
}

struct ServeSettings {
  std::string config;   // empty: SPEC.md's five servers
  int base_port = -1;   // -1: the config's own ports
  int places_port = 0;  // herd up: where the mock Places listens (0: any free port)
  bool places_url_given = false;
  bool check = false;
  int threads = 1;
  int control_port = -1;  // herd up: -1 no live view
  std::string control_bind = "127.0.0.1";
  bool control_open = false;
  NodeOptions node = cli_node_defaults();
};

enum Serves : unsigned { for_node = 1, for_up = 2, for_both = 3 };

struct ServeFlag {
  unsigned commands;
  Flag<ServeSettings> flag;
};

std::string text(std::int64_t v) {
  return std::to_string(v);
}

const std::vector<ServeFlag>& serve_flags() {
  static const std::vector<ServeFlag> table = {
      {for_both,
       {"config", "FILE",
        "JSON config: servers (name, port, host), links, and an optional peer secret",
        [](const ServeSettings&) { return std::string("the five servers of SPEC.md"); },
        [](ServeSettings& s, const std::string& v) { s.config = v; }}},
      {for_both,
       {"base-port", "N",
        "shift every port so the lowest is N (SPEC.md's five: Bailey N .. Jaquez N+4)",
        [](const ServeSettings&) {
          return std::string("the config's ports; 12000 for SPEC.md's five");
        },
        [](ServeSettings& s, const std::string& v) {
          s.base_port = static_cast<int>(parse_integer("base-port", v, 1, 65535));
        }}},
      {for_both,
       {"places-url", "URL",
        "Places Nearby Search endpoint, without its query string: Places API (New) when its path "
        "ends in places:searchNearby, else the legacy API (" +
            std::string(google_places_legacy_url) + ")",
        [](const ServeSettings& s) { return s.node.places.url + "; herd up: its mock Places"; },
        [](ServeSettings& s, const std::string& v) {
          if (!v.starts_with("http://") && !v.starts_with("https://"))
            throw UsageError{"--places-url: expected an http:// or https:// URL, got \"" + v +
                             "\""};
          s.node.places.url = v;
          s.places_url_given = true;
        }}},
      {for_both,
       {"places-key", "KEY", "Places API key; never printed or logged",
        [](const ServeSettings&) { return std::string("$GOOGLE_PLACES_API_KEY"); },
        [](ServeSettings& s, const std::string& v) { s.node.places.key = v; }}},
      {for_both,
       {"places-api", "new|legacy|url",
        "which Google API --places-url speaks: a key from a project made since March 2025 can "
        "call only the New one",
        [](const ServeSettings&) { return std::string("url (New for .../places:searchNearby)"); },
        [](ServeSettings& s, const std::string& v) {
          if (v == "new")
            s.node.places.api = PlacesApi::new_api;
          else if (v == "legacy")
            s.node.places.api = PlacesApi::legacy;
          else if (v == "url")
            s.node.places.api = PlacesApi::from_url;
          else
            throw UsageError{"--places-api: expected new, legacy or url, got \"" + v + "\""};
        }}},
      {for_both,
       {"places-field-mask", "PATHS",
        "New API: the X-Goog-FieldMask, comma-separated paths without spaces; Google bills a "
        "call at the dearest tier among them (\"*\" is the dearest)",
        [](const ServeSettings& s) { return s.node.places.field_mask; },
        [](ServeSettings& s, const std::string& v) {
          if (v.empty() || v.find_first_of(" \t\r\n") != std::string::npos)
            throw UsageError{
                "--places-field-mask: expected comma-separated paths without "
                "spaces, such as places.displayName,places.location"};
          s.node.places.field_mask = v;
        }}},
      {for_both,
       {"places-reply", "legacy|google",
        "New API: answer WHATSAT with SPEC.md's legacy fields (name, vicinity, geometry, "
        "place_id, ...) or with Google's New JSON as it came",
        [](const ServeSettings&) { return std::string("legacy"); },
        [](ServeSettings& s, const std::string& v) {
          if (v == "legacy")
            s.node.places.new_reply = NewApiReply::legacy_fields;
          else if (v == "google")
            s.node.places.new_reply = NewApiReply::as_google_sent;
          else
            throw UsageError{"--places-reply: expected legacy or google, got \"" + v + "\""};
        }}},
      {for_both,
       {"places-ca-file", "FILE",
        "https to Places trusts only the PEM certificates in FILE (a private or test "
        "certificate authority)",
        [](const ServeSettings&) { return std::string("the system's certificate authorities"); },
        [](ServeSettings& s, const std::string& v) {
          std::ifstream file(v);
          if (!file)
            throw UsageError{"--places-ca-file: cannot read \"" + v +
                             "\": " + std::strerror(errno)};
          s.node.places.ca_file = v;
        }}},
      {for_both,
       {"places-timeout-ms", "MS",
        "give up on a Places call after this long and answer with an error object",
        [](const ServeSettings& s) { return text(s.node.places.timeout_ms); },
        [](ServeSettings& s, const std::string& v) {
          s.node.places.timeout_ms =
              static_cast<int>(parse_integer("places-timeout-ms", v, 1, 600'000));
        }}},
      {for_both,
       {"places-max-bytes", "N", "a Places body larger than this is answered with an error object",
        [](const ServeSettings& s) {
          return text(static_cast<std::int64_t>(s.node.places.max_body_bytes));
        },
        [](ServeSettings& s, const std::string& v) {
          s.node.places.max_body_bytes =
              static_cast<std::size_t>(parse_integer("places-max-bytes", v, 1024, 1 << 30));
        }}},
      {for_up,
       {"control", "PORT",
        "serve the live view and its control API on PORT (0: any free port), with every link "
        "through a fault proxy so faults can be set on the running herd",
        [](const ServeSettings&) { return std::string("none"); },
        [](ServeSettings& s, const std::string& v) {
          s.control_port = static_cast<int>(parse_integer("control", v, 0, 65535));
        }}},
      {for_up,
       {"control-bind", "ADDR",
        "with --control: the address it listens on; anything but 127.0.0.1 lets other machines "
        "crash servers and cut links",
        [](const ServeSettings& s) { return s.control_bind; },
        [](ServeSettings& s, const std::string& v) { s.control_bind = control_address(v); }}},
      {for_up,
       {"control-open",
        "",
        "with --control: ask no token of the control API, so anyone who can reach its address "
        "(and any program on this machine) can crash servers and cut links; only for a trusted "
        "classroom network. Pages on other origins are still refused",
        {},
        [](ServeSettings& s, const std::string&) { s.control_open = true; }}},
      {for_up,
       {"places-port", "N", "the port of the mock Places (not with --places-url)",
        [](const ServeSettings&) { return std::string("any free port"); },
        [](ServeSettings& s, const std::string& v) {
          s.places_port = static_cast<int>(parse_integer("places-port", v, 1, 65535));
        }}},
      {for_both,
       {"log-dir", "DIR", "one log file per server, NAME.log, in this directory (\"\": no logs)",
        [](const ServeSettings& s) { return s.node.log_dir; },
        [](ServeSettings& s, const std::string& v) { s.node.log_dir = v; }}},
      {for_both,
       {"classic",
        "",
        "the course's minimum: no anti-entropy when a link comes up, nothing queued for a down "
        "link",
        {},
        [](ServeSettings& s, const std::string&) { s.node.classic = true; }}},
      {for_both,
       {"max-line-bytes", "N",
        "a longer line is answered \"? [line over N bytes]\" and its connection closed",
        [](const ServeSettings& s) {
          return text(static_cast<std::int64_t>(s.node.max_line_bytes));
        },
        [](ServeSettings& s, const std::string& v) {
          s.node.max_line_bytes =
              static_cast<std::size_t>(parse_integer("max-line-bytes", v, 64, 1 << 30));
        }}},
      {for_both,
       {"idle-timeout-ms", "MS", "cut off a client that completes no line for this long",
        [](const ServeSettings& s) { return text(s.node.idle_timeout_ms); },
        [](ServeSettings& s, const std::string& v) {
          s.node.idle_timeout_ms =
              static_cast<int>(parse_integer("idle-timeout-ms", v, 1, 86'400'000));
        }}},
      {for_both,
       {"max-clients", "N",
        "client connections per server; past it (or once the process's open-file budget is "
        "spent) the longest-idle client is closed to admit a new one",
        [](const ServeSettings&) {
          return std::string("none of its own: the servers share what the open-file limit leaves");
        },
        [](ServeSettings& s, const std::string& v) {
          s.node.max_clients =
              static_cast<std::size_t>(parse_integer("max-clients", v, 1, 10'000'000));
        }}},
      {for_both,
       {"max-clock-skew-s", "S",
        "an update whose client time is more than S seconds ahead of the server's clock is "
        "answered but neither stored nor flooded (0: no check)",
        [](const ServeSettings& s) { return text(s.node.max_clock_skew_s); },
        [](ServeSettings& s, const std::string& v) {
          s.node.max_clock_skew_s = parse_integer("max-clock-skew-s", v, 0, 10LL * 365 * 86400);
        }}},
      {for_both,
       {"max-client-id-bytes", "N",
        "an IAMAT whose client ID is longer is answered \"? \"; such an AT from a peer is dropped",
        [](const ServeSettings& s) {
          return text(static_cast<std::int64_t>(s.node.max_client_id_bytes));
        },
        [](ServeSettings& s, const std::string& v) {
          s.node.max_client_id_bytes =
              static_cast<std::size_t>(parse_integer("max-client-id-bytes", v, 1, 65536));
        }}},
      {for_both,
       {"max-records", "N",
        "clients a server keeps; past it, an update for a new client is answered but neither "
        "stored nor flooded",
        [](const ServeSettings& s) { return text(static_cast<std::int64_t>(s.node.max_records)); },
        [](ServeSettings& s, const std::string& v) {
          s.node.max_records =
              static_cast<std::size_t>(parse_integer("max-records", v, 1, 1'000'000'000));
        }}},
      {for_both,
       {"threads", "N",
        "threads that run the servers; one is fastest unless herd up has spare cores (each "
        "server runs on one thread at a time, and threads hand work to each other)",
        [](const ServeSettings& s) { return std::to_string(s.threads); },
        [](ServeSettings& s, const std::string& v) {
          s.threads = static_cast<int>(parse_integer("threads", v, 1, 256));
        }}},
      {for_both,
       {"check",
        "",
        "check the flags and the config, print each server's settings, and exit",
        {},
        [](ServeSettings& s, const std::string&) { s.check = true; }}},
  };
  return table;
}

FlagTable<ServeSettings> table_for(unsigned command) {
  FlagTable<ServeSettings> out;
  for (const auto& row : serve_flags())
    if (row.commands & command) out.push_back(row.flag);
  return out;
}

// Parses the flags of `herd node` or `herd up`; false when --help was printed.
bool read_serve_flags(unsigned command, const std::string& synopsis, const Args& args,
                      ServeSettings& settings, std::string* name) {
  auto table = table_for(command);
  po::options_description options("Options");
  po::positional_options_description positional;
  if (name != nullptr) {
    options.add_options()("name", po::value(name)->value_name("NAME"), "the server to run");
    positional.add("name", 1);
  }
  register_flags(table, options);
  po::variables_map values;
  if (!parse_command_line(command == for_node ? "node" : "up", synopsis, args, options, positional,
                          values))
    return false;
  apply_flags(table, values, settings);
  if (settings.node.places.key.empty())
    if (const char* key = std::getenv("GOOGLE_PLACES_API_KEY")) settings.node.places.key = key;
  if (settings.places_url_given && settings.places_port != 0)
    throw UsageError{"--places-port sets the mock Places' port; with --places-url there is none"};
  return true;
}

Topology load_topology(const ServeSettings& settings) {
  Topology topology = default_topology();
  if (!settings.config.empty()) {
    auto loaded = load_config(settings.config);
    if (!loaded) throw UsageError{loaded.error()};
    topology = std::move(*loaded);
  }
  if (settings.base_port != -1 &&
      !topology.shift_ports(static_cast<std::uint16_t>(settings.base_port)))
    throw UsageError{"--base-port " + std::to_string(settings.base_port) +
                     ": the highest port would pass 65535"};
  return topology;
}

void print_table(const Topology& topology) {
  std::printf("  %-10s %-15s %-6s %s\n", "server", "host", "port", "neighbours");
  for (const auto& s : topology.servers) {
    std::string neighbours;
    for (const auto& n : topology.neighbours(s.name))
      neighbours += (neighbours.empty() ? "" : ", ") + n;
    std::printf("  %-10s %-15s %-6u %s\n", s.name.c_str(), s.host.c_str(), s.port,
                neighbours.c_str());
  }
}

// What --check prints: every setting under its flag's name, so a reader can match them up.
void print_settings(const NodeOptions& node, const std::string& places_note,
                    std::size_t client_slots) {
  std::printf("  mode %s\n", node.classic ? "classic" : "anti-entropy");
  std::printf("  places-url %s%s\n", node.places.url.c_str(), places_note.c_str());
  std::printf("  places-api %s\n", uses_new_api(node.places) ? "new" : "legacy");
  if (uses_new_api(node.places)) {
    std::printf("  places-field-mask %s\n", node.places.field_mask.c_str());
    std::printf("  places-reply %s\n",
                node.places.new_reply == NewApiReply::legacy_fields ? "legacy" : "google");
  }
  if (!node.places.ca_file.empty())
    std::printf("  places-ca-file %s\n", node.places.ca_file.c_str());
  std::printf("  places-key %s\n", node.places.key.empty() ? "(none)" : "(set, not shown)");
  std::printf("  places-timeout-ms %d\n", node.places.timeout_ms);
  std::printf("  places-max-bytes %zu\n", node.places.max_body_bytes);
  std::printf("  log-dir %s\n", node.log_dir.empty() ? "(no logs)" : node.log_dir.c_str());
  std::printf("  max-line-bytes %zu\n", node.max_line_bytes);
  std::printf("  idle-timeout-ms %d\n", node.idle_timeout_ms);
  if (node.max_clients != 0)
    std::printf("  max-clients %zu\n", node.max_clients);
  else
    std::printf("  max-clients none of its own; %zu in all (open-file limit %llu)\n", client_slots,
                static_cast<unsigned long long>(open_file_limit()));
  std::printf("  max-clock-skew-s %lld\n", static_cast<long long>(node.max_clock_skew_s));
  std::printf("  max-client-id-bytes %zu\n", node.max_client_id_bytes);
  std::printf("  max-records %zu\n", node.max_records);
}

void report_open_files(const char* command, const OpenFileLimit& limit) {
  if (limit.now > limit.before)
    std::fprintf(stderr, "herd %s: open-file limit raised from %llu to %llu\n", command,
                 static_cast<unsigned long long>(limit.before),
                 static_cast<unsigned long long>(limit.now));
}

}  // namespace

int run_node(const Args& args) {
  ServeSettings settings;
  std::string name;
  if (!read_serve_flags(
          for_node,
          "NAME [options]\n\nRuns one server of the herd, a drop-in for `python3 server.py NAME`.",
          args, settings, &name))
    return 0;
  if (name.empty()) throw UsageError{"missing the server NAME (for example: herd node Clark)"};
  Topology topology = load_topology(settings);
  const ServerSpec* me = topology.find(name);
  if (me == nullptr) {
    std::string known;
    for (const auto& s : topology.servers) known += (known.empty() ? "" : ", ") + s.name;
    throw UsageError{"no server named \"" + name + "\" in the config (servers: " + known + ")"};
  }
  auto limit = raise_open_file_limit();
  NodeOptions node_options = settings.node;
  node_options.name = me->name;
  node_options.listen_host = me->host;
  node_options.port = me->port;
  node_options.peer_secret = topology.peer_secret;
  for (const auto& neighbour : topology.neighbours(name)) {
    const ServerSpec* peer = topology.find(neighbour);
    node_options.peers.push_back({peer->name, peer->host, peer->port});
  }
  if (settings.check) {
    std::printf("herd node %s: settings checked, not started\n", name.c_str());
    std::printf("  listen %s:%u\n", me->host.c_str(), me->port);
    for (const auto& peer : node_options.peers)
      std::printf("  neighbour %s %s:%u\n", peer.name.c_str(), peer.host.c_str(), peer.port);
    print_settings(node_options, "",
                   client_budget_slots(open_file_limit(), 1, node_options.peers.size()));
    std::printf("  threads %d\n", settings.threads);
    return 0;
  }
  report_open_files("node", limit);
  Runtime runtime(static_cast<unsigned>(settings.threads));
  Node node(node_options, EventSink{}, make_tcp_environment(runtime, node_options.places));
  if (auto bound = node.bind(); !bound) throw UsageError{name + ": " + bound.error()};
  runtime.start();
  node.start();
  runtime.wait_for_shutdown_signal();
  node.stop_and_wait();
  runtime.stop();
  return 0;
}

namespace {
UpWithControl up_with_control = nullptr;
}  // namespace

void set_up_with_control(UpWithControl run) {
  up_with_control = run;
}

int run_up(const Args& args) {
  ServeSettings settings;
  if (!read_serve_flags(for_up,
                        "[options]\n\nRuns every server of the herd in one process. Unless "
                        "--places-url is given, it also starts the mock Places and points the "
                        "servers at it.",
                        args, settings, nullptr))
    return 0;
  Topology topology = load_topology(settings);
  auto limit = raise_open_file_limit();
  HerdSettings herd_settings;
  herd_settings.topology = topology;
  herd_settings.node = settings.node;
  if (settings.check) {
    std::printf("herd up: settings checked, not started\n");
    print_table(topology);
    print_settings(
        herd_settings.node,
        settings.places_url_given ? ""
                                  : " (replaced by the mock Places, port " +
                                        (settings.places_port ? std::to_string(settings.places_port)
                                                              : std::string("any free")) +
                                        ")",
        client_budget_slots(open_file_limit(), topology.servers.size(), topology.links.size()));
    std::printf("  threads %d\n", settings.threads);
    if (settings.control_port >= 0)
      std::printf("  control %d (live view and control API; links through fault proxies)\n",
                  settings.control_port);
    else
      std::printf("  control none\n");
    std::printf("  control-bind %s\n", settings.control_bind.c_str());
    std::printf("  control-open %s\n", settings.control_open ? "yes (no token asked)" : "no");
    return 0;
  }
  report_open_files("up", limit);
  if (settings.control_port >= 0) {
    if (up_with_control == nullptr) throw UsageError{"--control is not built into this herd"};
    ControlledUp plan{topology,
                      herd_settings.node,
                      settings.places_url_given ? settings.node.places.url : std::string(),
                      settings.places_port,
                      settings.control_bind,
                      settings.control_port,
                      settings.control_open};
    return up_with_control(plan);
  }
  PlacesMock mock("127.0.0.1", static_cast<std::uint16_t>(settings.places_port));
  if (!settings.places_url_given) {
    if (auto ec = mock.start())
      throw UsageError{mock_start_error(static_cast<std::uint16_t>(settings.places_port), ec)};
    // The mock speaks both APIs; the servers use Places API (New), as herd node does by default.
    herd_settings.node.places.url = mock.search_nearby_url();
    herd_settings.node.places.api = PlacesApi::from_url;
    if (herd_settings.node.places.key.empty()) herd_settings.node.places.key = mock_places_key;
  }
  Runtime runtime(static_cast<unsigned>(settings.threads));
  herd_settings.runtime = &runtime;
  LocalHerd herd(herd_settings);
  if (auto started = herd.start(); !started) throw UsageError{started.error()};
  runtime.start();
  std::printf("herd up: %zu servers, %s mode, Places at %s%s\n", topology.servers.size(),
              settings.node.classic ? "classic" : "anti-entropy",
              herd_settings.node.places.url.c_str(), settings.places_url_given ? "" : " (mock)");
  print_table(herd.topology());
  if (settings.node.log_dir.empty())
    std::printf("No logs. Ctrl-C stops.\n");
  else
    std::printf("Logs in %s/. Ctrl-C stops.\n", settings.node.log_dir.c_str());
  std::fflush(stdout);
  runtime.wait_for_shutdown_signal();
  std::fprintf(stderr, "herd up: stopping\n");
  herd.stop();
  runtime.stop();
  mock.stop();
  return 0;
}

namespace {

struct MockSettings {
  std::string host = "127.0.0.1";
  int port = 8090;
  int latency_ms = 0;
  std::string tls_cert, tls_key;  // both set: serve https
};

const FlagTable<MockSettings>& mock_flags() {
  static const FlagTable<MockSettings> table = {
      {"port", "N", "port to listen on (0: any free port)",
       [](const MockSettings& s) { return text(s.port); },
       [](MockSettings& s, const std::string& v) {
         s.port = static_cast<int>(parse_integer("port", v, 0, 65535));
       }},
      {"host", "ADDR", "address to listen on", [](const MockSettings& s) { return s.host; },
       [](MockSettings& s, const std::string& v) { s.host = v; }},
      {"latency-ms", "N", "delay every answer by N ms",
       [](const MockSettings& s) { return text(s.latency_ms); },
       [](MockSettings& s, const std::string& v) {
         s.latency_ms = static_cast<int>(parse_integer("latency-ms", v, 0, 600'000));
       }},
      {"tls-cert", "FILE",
       "serve https with this PEM certificate chain (with --tls-key); a node trusts it through "
       "--places-ca-file",
       [](const MockSettings&) { return std::string("none: http"); },
       [](MockSettings& s, const std::string& v) { s.tls_cert = v; }},
      {"tls-key", "FILE", "the PEM private key of --tls-cert",
       [](const MockSettings&) { return std::string("none"); },
       [](MockSettings& s, const std::string& v) { s.tls_key = v; }},
  };
  return table;
}

}  // namespace

int run_places_mock(const Args& args) {
  MockSettings settings;
  if (!parse_flags(
          "places-mock",
          "[options]\n\nRuns the mock Google Places alone. It serves both APIs: the legacy Nearby "
          "Search\n"
          "(GET /maps/api/place/nearbysearch/json) and Places API (New) (POST\n"
          "/v1/places:searchNearby, with the X-Goog-Api-Key and X-Goog-FieldMask headers).",
          args, mock_flags(), settings))
    return 0;
  if (settings.tls_cert.empty() != settings.tls_key.empty())
    throw UsageError{"--tls-cert and --tls-key go together"};
  std::optional<MockTls> tls;
  if (!settings.tls_cert.empty()) tls = MockTls{settings.tls_cert, settings.tls_key};
  PlacesMock mock(settings.host, static_cast<std::uint16_t>(settings.port), tls);
  if (auto ec = mock.start()) {
    if (ec == std::errc::invalid_argument)
      throw UsageError{"cannot serve https with " + settings.tls_cert + " and " + settings.tls_key +
                       ": not a readable PEM certificate and its key"};
    throw UsageError{"cannot listen on " + settings.host + ":" + std::to_string(settings.port) +
                     ": " + ec.message()};
  }
  PlacesFaults faults;
  faults.latency_ms = settings.latency_ms;
  mock.set_faults(faults);
  std::printf(
      "mock Places at %s\nTry: curl "
      "'%s?location=34.068930,-118.445127&radius=10000&key=any'\n"
      "Places API (New) at %s\nTry: curl -X POST -H 'X-Goog-Api-Key: any' "
      "-H 'X-Goog-FieldMask: places.displayName' "
      "-d '{\"locationRestriction\":{\"circle\":{\"center\":{\"latitude\":34.07,"
      "\"longitude\":-118.44},\"radius\":1000}}}' '%s'\nCtrl-C stops.\n",
      mock.url().c_str(), mock.url().c_str(), mock.search_nearby_url().c_str(),
      mock.search_nearby_url().c_str());
  std::fflush(stdout);
  Runtime runtime(1, 1);
  runtime.wait_for_shutdown_signal();
  mock.stop();
  return 0;
}

}  // namespace herd::cli
