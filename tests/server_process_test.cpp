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

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A shell that starts `sleep` in the background, as it would start a server, writes its own
// pid (the group's) once that child runs, then does `then`.
struct ShellWithChild {
  std::filesystem::path dir;
  ServerProcess server;

  ShellWithChild(const std::string& name, const std::string& then)
      : dir(fresh_dir(name)),
        server("sleep 60 & echo $$ > " + (dir / "group").string() + "; " + then, {}, dir.string()) {
  }
  ~ShellWithChild() {
    server.kill();
    std::filesystem::remove_all(dir);
  }

  // The group, once the shell wrote it whole; 0 after 10 s.
  pid_t group() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(dir / "group");
      std::string line;
      if (std::getline(in, line) && in) return static_cast<pid_t>(std::stol(line));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return 0;
  }
};

// Whether no process of `group` exists, not even a zombie.
bool group_gone(pid_t group) {
  errno = 0;
  return ::kill(-group, 0) == -1 && errno == ESRCH;
}

}  // namespace

TEST_CASE("a crash leaves no process of the server's group behind, its shell's children too") {
  ShellWithChild shell("herd-server-process", "wait");
  REQUIRE(shell.server.start());
  const pid_t group = shell.group();
  REQUIRE(group > 0);
  REQUIRE_FALSE(group_gone(group));
  shell.server.kill();
  CHECK(group_gone(group));  // every one was waited for
}

TEST_CASE("a server whose shell ended by itself is reported once, and its children are gone") {
  // The shell leaves a child behind and exits 3: the child must not outlive the report.
  ShellWithChild shell("herd-server-ended", "exit 3");
  REQUIRE(shell.server.start());
  const pid_t group = shell.group();
  REQUIRE(group > 0);
  std::optional<std::string> ended;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    ended = shell.server.ended();
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(ended);
  CHECK(*ended == "exited with status 3");
  CHECK_FALSE(shell.server.ended());
  CHECK(group_gone(group));
}
