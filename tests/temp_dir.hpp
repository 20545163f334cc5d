#pragma once
// A fresh directory under the system's temporary one, removed with everything in it at scope exit.

#include <unistd.h>

#include <filesystem>
#include <string>

namespace herd::test {

struct TempDir {
  TempDir()
      : path(std::filesystem::temp_directory_path() /
             ("herd-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++))) {}
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
  static inline int counter = 0;
};

}  // namespace herd::test
