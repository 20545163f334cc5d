#pragma once
// Reading a herd's topology from a JSON config file. Errors name the field that failed.

#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/topology.hpp"

namespace herd {

// `source` names the text in error messages (usually the file path): "herd.json: servers[2].port:
// expected an integer from 1 to 65535".
[[nodiscard]] Expected<Topology> parse_config(std::string_view text, std::string_view source);
[[nodiscard]] Expected<Topology> load_config(const std::string& path);

// The JSON form of a topology, as parse_config reads it.
[[nodiscard]] std::string config_to_json(const Topology& topology);

}  // namespace herd
