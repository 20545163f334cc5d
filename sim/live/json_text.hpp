#pragma once
// JSON sent to the live view's page. Client IDs, lines and messages come from anyone who can
// reach a server, so bytes that are not UTF-8 are replaced rather than thrown at the request
// (nlohmann's default, which answered 500). Only for files that already use nlohmann/json.

#include <nlohmann/json.hpp>
#include <string>

namespace herd {

[[nodiscard]] inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace herd
