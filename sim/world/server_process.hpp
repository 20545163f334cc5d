#pragma once
// One server of a herd under test as a process of its own: started from a shell command in its
// own process group, with its output kept in a file in its own folder; crashed with
// SIGKILL to the group, paused and resumed with SIGSTOP and SIGCONT. Plain POSIX, no Asio.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace herd {

class NetNamespace;

class ServerProcess {
 public:
  // `command` runs under /bin/sh -c in this process's directory (so that the paths a user types
  // mean what they mean in a shell), with `environment` added to this process's own; stdout and
  // stderr go to dir/output.log (appended: a restart keeps what came before).
  // With `netns`, it runs inside that network namespace (net_namespace.hpp), which outlives it.
  ServerProcess(std::string command, std::map<std::string, std::string> environment,
                std::string dir, const NetNamespace* netns = nullptr);
  ~ServerProcess();  // kills it if it still runs
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts it (again), or says why it cannot be started.
  [[nodiscard]] Expected<void> start();
  // SIGKILL to the whole group, and waits for it: nothing it started is left running.
  void kill();
  void pause();
  void resume();
  [[nodiscard]] bool running() const { return pid_ > 0; }
  // Whether it has ended by itself since the last look: its status in words ("exited with
  // status 1", "killed by signal 11"), once.
  std::optional<std::string> ended();
  // The last `lines` lines it wrote.
  [[nodiscard]] std::string output_tail(int lines = 5) const;
  [[nodiscard]] std::string output_path() const { return dir_ + "/output.log"; }

 private:
  std::string command_;
  std::map<std::string, std::string> environment_;
  std::string dir_;
  const NetNamespace* netns_;
  pid_t pid_ = -1;
};

// Replaces each {key} of `text` by its value; other braces are left alone.
[[nodiscard]] std::string fill_template(const std::string& text,
                                        const std::map<std::string, std::string>& values);

// Loopback ports held bound (not listening) until release(), so that nothing else in this
// process (a proxy binding port 0) is given one of them before the servers start on them.
class ReservedPorts {
 public:
  ReservedPorts() = default;
  ~ReservedPorts() { release(); }
  ReservedPorts(const ReservedPorts&) = delete;
  ReservedPorts& operator=(const ReservedPorts&) = delete;
  // A port that is free now and held until release(); 0 if none could be had.
  std::uint16_t take();
  void release();

 private:
  std::vector<int> sockets_;
};

}  // namespace herd
