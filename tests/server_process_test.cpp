// A server under test is a shell command: Debian's sh forks the command rather than becoming
// it, so the server is the shell's child. A crash must leave nothing of it running, or its
// restart finds the old server still holding its port.

#include "sim/world/server_process.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace herd;

namespace {

// The number `path` holds once something wrote it whole (a line), or 0 after `seconds`.
long read_number_when_written(const std::filesystem::path& path, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    std::string line;
    if (std::getline(in, line) && in) return std::stol(line);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 0;
}

}  // namespace

TEST_CASE("a crash leaves no process of the server's group behind, its shell's children too") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("herd-server-process-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // `sleep` is the shell's child, as a server is; the group is the shell's pid. The child
  // writes the group only once it runs, so the kill below finds it started.
  ServerProcess server("sleep 60 & echo $$ > " + (dir / "group").string() + "; wait", {},
                       dir.string());
  REQUIRE(server.start());
  const long group = read_number_when_written(dir / "group", 10);
  REQUIRE(group > 0);
  REQUIRE(::kill(-static_cast<pid_t>(group), 0) == 0);
  server.kill();
  errno = 0;
  CHECK(::kill(-static_cast<pid_t>(group), 0) == -1);
  CHECK(errno == ESRCH);  // not even a zombie: every one was waited for
  std::filesystem::remove_all(dir);
}

TEST_CASE("a server whose shell ended by itself is reported once, and its children are gone") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herd-server-ended-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // The shell leaves a child behind and exits 3: the child must not outlive the report.
  ServerProcess server("sleep 60 & echo $$ > " + (dir / "group").string() + "; exit 3", {},
                       dir.string());
  REQUIRE(server.start());
  const long group = read_number_when_written(dir / "group", 10);
  REQUIRE(group > 0);
  std::optional<std::string> ended;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    ended = server.ended();
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(ended);
  CHECK(*ended == "exited with status 3");
  CHECK_FALSE(server.ended());
  errno = 0;
  CHECK(::kill(-static_cast<pid_t>(group), 0) == -1);
  CHECK(errno == ESRCH);
  std::filesystem::remove_all(dir);
}
