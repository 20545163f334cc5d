#include "core/config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/json_limits.hpp"
#include "core/text_file.hpp"

namespace herd {
namespace {

using nlohmann::json;

// Thrown only inside this file and turned into a failure at its edge.
struct FieldError {
  std::string path, expected;
};

std::string describe(const json& value) {
  auto text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

const json& require(const json& object, const std::string& key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) throw FieldError{path + "." + key, "a value (it is missing)"};
  return *it;
}

std::string read_name(const json& value, const std::string& path) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty())
    throw FieldError{path, "a non-empty server name, got " + describe(value)};
  return value.get<std::string>();
}

ServerSpec read_server(const json& value, const std::string& path) {
  if (!value.is_object())
    throw FieldError{path, "an object with name and port, got " + describe(value)};
  for (auto& [key, unused] : value.items())
    if (key != "name" && key != "port" && key != "host")
      throw FieldError{path + "." + key, "one of name, port, host (unknown field)"};
  ServerSpec server;
  server.name = read_name(require(value, "name", path), path + ".name");
  const auto& port = require(value, "port", path);
  if (!port.is_number_integer() || port.get<long long>() < 1 || port.get<long long>() > 65535)
    throw FieldError{path + ".port", "an integer from 1 to 65535, got " + describe(port)};
  server.port = static_cast<std::uint16_t>(port.get<int>());
  if (auto host = value.find("host"); host != value.end()) {
    if (!host->is_string() || host->get_ref<const std::string&>().empty())
      throw FieldError{path + ".host", "a host name or address, got " + describe(*host)};
    server.host = host->get<std::string>();
  }
  return server;
}

Topology read_topology(const json& root) {
  if (!root.is_object()) throw FieldError{"(top level)", "an object with servers and links"};
  for (auto& [key, unused] : root.items())
    if (key != "servers" && key != "links" && key != "description" && key != "secret")
      throw FieldError{key, "one of servers, links, secret, description (unknown field)"};
  Topology topology;
  const auto& servers = require(root, "servers", "config");
  if (!servers.is_array() || servers.empty())
    throw FieldError{"servers", "a non-empty array of servers, got " + describe(servers)};
  for (std::size_t i = 0; i < servers.size(); ++i)
    topology.servers.push_back(read_server(servers[i], "servers[" + std::to_string(i) + "]"));
  if (auto links = root.find("links"); links != root.end()) {
    if (!links->is_array()) throw FieldError{"links", "an array of [name, name] pairs"};
    for (std::size_t i = 0; i < links->size(); ++i) {
      const auto& link = (*links)[i];
      auto path = "links[" + std::to_string(i) + "]";
      if (!link.is_array() || link.size() != 2)
        throw FieldError{path, "a pair of server names, got " + describe(link)};
      topology.links.emplace_back(read_name(link[0], path + "[0]"),
                                  read_name(link[1], path + "[1]"));
    }
  }
  if (auto secret = root.find("secret"); secret != root.end()) {
    // The value is never echoed: an error message must not leak it.
    if (!secret->is_string() || secret->get_ref<const std::string&>().size() < 16)
      throw FieldError{"secret", "a string of 16 or more characters"};
    topology.peer_secret = secret->get<std::string>();
  }
  if (auto sound = topology.validate(); !sound)
    throw FieldError{"servers/links", "a sound topology: " + sound.error()};
  return topology;
}

}  // namespace

Expected<Topology> parse_config(std::string_view text, std::string_view source) {
  if (auto nesting = check_json_nesting(text); !nesting)
    return fail(std::string(source) + ": not a config: " + nesting.error());
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers past a double
    return fail(std::string(source) + ": not valid JSON: " + e.what());
  }
  try {
    return read_topology(root);
  } catch (const FieldError& e) {
    return fail(std::string(source) + ": " + e.path + ": expected " + e.expected);
  } catch (const json::exception& e) {
    // A shape the readers did not foresee: still an error about the file, never a crash.
    return fail(std::string(source) + ": " + e.what());
  }
}

Expected<Topology> load_config(const std::string& path) {
  // A config names a few servers; a megabyte is far more than any needs.
  auto text = read_bounded_file(path, 1 << 20);
  if (!text) return fail(path + ": " + text.error());
  return parse_config(*text, path);
}

std::string config_to_json(const Topology& topology) {
  json servers = json::array();
  for (const auto& s : topology.servers)
    servers.push_back({{"name", s.name}, {"host", s.host}, {"port", s.port}});
  json links = json::array();
  for (const auto& [a, b] : topology.links) links.push_back({a, b});
  return json{{"servers", servers}, {"links", links}}.dump(2);
}

}  // namespace herd
