#pragma once
// Reading a whole small file (a config, a scenario) for a parser that reports its own errors.

#include <string>

namespace herd {

// False if the file cannot be opened or read.
[[nodiscard]] bool read_text_file(const std::string& path, std::string& out);

}  // namespace herd
