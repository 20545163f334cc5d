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

  struct Exit {
    int status = -1;             // its exit status; -1: a signal ended it, or it ran out of time
    long peak_resident_kib = 0;  // the most memory it held resident at once (wait4's ru_maxrss)
  };
  // Waits for it to end by itself, for at most `timeout_ms` (then stops it). Linux starts a
  // child's peak at its parent's resident size when it execs: see reset_peak_resident().
  [[nodiscard]] Exit wait(int timeout_ms);

 private:
  ChildProcess() = default;
  void spawn(const char* program, const std::vector<std::string>& argv_text,
             const std::string& log_path, bool own_group);
  pid_t pid_ = -1;
  bool own_group_ = false;
};

// Linux starts a spawned child's peak resident size (ru_maxrss) at the peak of the process that
// spawned it, carried over exec: a child spawned after this process ran large would report this
// process's peak. This resets this process's peak to what it holds now (freed heap given back
// first).
void reset_peak_resident();
// This process's peak resident size in KiB since the last reset: the most a child spawned since
// then can have inherited, so a child's peak above it is its own.
[[nodiscard]] long own_peak_resident_kib();

// A block of `count` consecutive loopback ports that were free a moment ago, below the range the
// kernel takes client ports from; a block no earlier call of this process handed out.
[[nodiscard]] std::uint16_t free_port_block(int count);

}  // namespace herd::bench
