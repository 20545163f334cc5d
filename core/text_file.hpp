#pragma once
// Reading a whole file for a parser that reports its own errors: a config, a scenario, a trace.
// Bounded, so that `--config /dev/zero` is an error, not a process that reads for ever.

#include <cstddef>
#include <string>

#include "core/expected.hpp"

namespace herd {

// The whole of `path`, or why not ("cannot open the file: No such file or directory", "larger
// than 16777216 bytes; not a file of this kind").
[[nodiscard]] Expected<std::string> read_bounded_file(const std::string& path,
                                                      std::size_t max_bytes);

// The same with no bound on what it reads, for the tests' own files: false if it cannot be read.
[[nodiscard]] bool read_text_file(const std::string& path, std::string& out);

}  // namespace herd
