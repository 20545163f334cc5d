#include "tools/bench/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "sim/net/line_client.hpp"

extern char** environ;

namespace herd::bench {
namespace {

// As the servers bind: with SO_REUSEADDR, so that a port whose earlier listener's connections sit
// in TIME_WAIT counts as free.
bool can_bind(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

bool block_is_free(int base, int count) {
  for (int p = 0; p < count; ++p)
    if (!can_bind(static_cast<std::uint16_t>(base + p))) return false;
  return true;
}

// The first port of the kernel's ephemeral range, where connect() takes its local ports.
int ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  range >> low;
  return low;
}

// A size in KiB from a /proc status file ("VmRSS:"); 0 when it has none.
long status_kib(const std::string& path, const std::string& field) {
  std::ifstream status(path);
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == field) {
      status >> value;
      return value;
    }
    std::getline(status, key);
  }
  return 0;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> argv_text = {"/proc/self/exe"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  spawn("/proc/self/exe", argv_text, log_path, false);
}

ChildProcess ChildProcess::external(const std::string& program,
                                    const std::vector<std::string>& args,
                                    const std::string& log_path) {
  ChildProcess child;
  std::vector<std::string> argv_text = {program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  child.spawn(program.c_str(), argv_text, log_path, true);
  return child;
}

void ChildProcess::spawn(const char* program, const std::vector<std::string>& argv_text,
                         const std::string& log_path, bool own_group) {
  std::vector<std::string> text = argv_text;
  std::vector<char*> argv;
  for (auto& a : text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  if (own_group) {
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
  }
  pid_t pid = -1;
  if (posix_spawnp(&pid, program, &actions, &attributes, argv.data(), environ) == 0) {
    pid_ = pid;
    own_group_ = own_group;
  }
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::wait_for_port(std::uint16_t port, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline && pid_ > 0) {
    int fd = connect_loopback(port);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    // A process starting up gives no event to wait on; poll its port.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

long ChildProcess::resident_kib() const {
  return status_kib("/proc/" + std::to_string(pid_) + "/status", "VmRSS:");
}

double ChildProcess::cpu_us() const {
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string text;
  std::getline(stat, text);
  // The command may hold spaces; the fields after its closing parenthesis do not.
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int ChildProcess::stop() {
  if (pid_ <= 0) return 0;
  ::kill(own_group_ ? -pid_ : pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      if (own_group_) ::kill(-pid_, SIGKILL);  // what it started and left behind
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(own_group_ ? -pid_ : pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

ChildProcess::Exit ChildProcess::wait(int timeout_ms) {
  Exit ended;
  if (pid_ <= 0) return ended;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    rusage usage{};
    if (::wait4(pid_, &status, WNOHANG, &usage) == pid_) {
      pid_ = -1;
      ended.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      ended.peak_resident_kib = usage.ru_maxrss;  // KiB on Linux
      return ended;
    }
    // As stop() does: a child's end gives no event this loop could wait on with a deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (void)stop();
  return ended;
}

void reset_peak_resident() {
  ::malloc_trim(0);
  // "5" resets the peak resident size to the current one (proc(5), Linux 4.0 and later).
  std::ofstream("/proc/self/clear_refs") << "5";
}

long own_peak_resident_kib() {
  return status_kib("/proc/self/status", "VmHWM:");
}

std::uint16_t free_port_block(int count) {
  // Below the kernel's ephemeral range: there no connect() ever takes a local port, so only
  // another server can take the block between this choice and its bind. (In a CI run `herd up`,
  // which cannot listen on a taken port, once did not start on a block from the ephemeral range;
  // a client socket on one of its ports is the likeliest reason.) Each call starts after the last
  // block it handed out, so blocks taken before their servers bind are not handed out twice.
  static std::mutex choosing;
  static int next = 20000 + ::getpid() % 1000 * 10;
  std::lock_guard lock(choosing);
  const int low = 20000, high = ephemeral_low();
  for (int tried = 0; tried < high - low; tried += count) {
    if (next + count > high) next = low;
    int base = next;
    next += count;
    if (block_is_free(base, count)) return static_cast<std::uint16_t>(base);
  }
  // Nothing free below it (a lowered range): a block the kernel hands out.
  for (int attempt = 0; attempt < 200; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(fd);
    auto base = ntohs(address.sin_port);
    if (base + count > 65535) continue;
    if (block_is_free(base, count)) return base;
  }
  return 0;
}

}  // namespace herd::bench
