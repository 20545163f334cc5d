#pragma once
// A server the bench starts in a process of its own (this same binary, another subcommand), as a
// user starts one, and stops with SIGTERM when done.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace herd::bench {

class ChildProcess {
 public:
  // Runs this executable with `args` (without argv[0]); its output goes to `log_path`.
  ChildProcess(const std::vector<std::string>& args, const std::string& log_path);
  // Runs `program` (looked up on PATH) with `args` in a process group of its own, so that
  // stop() also ends whatever it started (a browser's renderers); running() is false when it
  // could not be started.
  static ChildProcess external(const std::string& program, const std::vector<std::string>& args,
                               const std::string& log_path);
  ChildProcess(ChildProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), own_group_(other.own_group_) {}
  ~ChildProcess();  // stops it if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Waits until 127.0.0.1:port accepts a connection, for at most `timeout_ms`.
  [[nodiscard]] bool wait_for_port(std::uint16_t port, int timeout_ms) const;
  // Resident memory in KiB, from /proc.
  [[nodiscard]] long resident_kib() const;
  // User plus system CPU time it has used so far, in microseconds, from /proc (the process
  // itself, not its children).
  [[nodiscard]] double cpu_us() const;
  // SIGTERM, then SIGKILL after 5 s; returns the exit status (-1 if it had to be killed).
  int stop();

 private:
  ChildProcess() = default;
  void spawn(const char* program, const std::vector<std::string>& argv_text,
             const std::string& log_path, bool own_group);
  pid_t pid_ = -1;
  bool own_group_ = false;
};

// A block of `count` consecutive loopback ports that were free a moment ago.
[[nodiscard]] std::uint16_t free_port_block(int count);

}  // namespace herd::bench
