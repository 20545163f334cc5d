#pragma once
// A link's faults as the live page and replays show them: the one place that lists the fields of
// LinkFaults for JSON, so a new fault field shows up everywhere the page reads links.

#include <nlohmann/json_fwd.hpp>

#include "sim/faults/link_faults.hpp"

namespace herd {

[[nodiscard]] nlohmann::json link_faults_json(const LinkFaults& faults);

}  // namespace herd
