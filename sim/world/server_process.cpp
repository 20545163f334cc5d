#include "sim/world/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <random>
#include <vector>

#include "core/ephemeral_ports.hpp"
#include "sim/net/net_namespace.hpp"

extern char** environ;

namespace herd {
namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "ended (status " + std::to_string(status) + ")";
}

// A server's command runs under /bin/sh, and Debian's sh forks the command rather than becoming
// it: the server is the shell's child. Made a subreaper, this process adopts it when the shell
// dies, and can wait for it: it used to be left to init, and a restart that followed a crash
// at once could find the old server still holding its port ("Address already in use").
void adopt_orphaned_descendants() {
  static const bool adopted = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  (void)adopted;  // without it (a kernel before 3.4) only the shell is waited for, as before
}

// Waits for every process of `group` that is this process's child, until none is left.
void reap_group(pid_t group) {
  int status = 0;
  for (;;) {
    if (::waitpid(-group, &status, 0) > 0) continue;
    if (errno == EINTR) continue;
    return;  // ECHILD: none left
  }
}

}  // namespace

ServerProcess::ServerProcess(std::string command, std::map<std::string, std::string> environment,
                             std::string dir, const NetNamespace* netns)
    : command_(std::move(command)),
      environment_(std::move(environment)),
      dir_(std::move(dir)),
      netns_(netns) {}

ServerProcess::~ServerProcess() {
  kill();
}

Expected<void> ServerProcess::start() {
  if (pid_ > 0) return fail("it is already running");
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    auto key = entry.substr(0, entry.find('='));
    if (!environment_.count(key)) env_text.push_back(entry);
  }
  for (const auto& [key, value] : environment_) env_text.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", dash_c = "-c", command = command_;
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_path().c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Nothing else of ours: Asio's sockets are not close-on-exec, and a server holding a fault
  // proxy's listening socket would keep its port from being reopened.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own group, so that a crash kills what the shell started too; default signal handling,
  // whatever this process blocks (the live view blocks SIGINT for its watcher thread).
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  adopt_orphaned_descendants();
  pid_t pid = -1;
  // A child starts in the network namespace of the thread that spawns it.
  auto spawn = [&] {
    return posix_spawn(&pid, shell.c_str(), &actions, &attributes, argv, envp.data());
  };
  int error = netns_ != nullptr ? netns_->inside(spawn) : spawn();
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return fail(std::string("cannot start /bin/sh: ") + std::strerror(error));
  pid_ = pid;
  return {};
}

void ServerProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(-pid_, SIGCONT);  // a stopped group dies only once it runs again
  reap_group(pid_);
  pid_ = -1;
}

void ServerProcess::pause() {
  if (pid_ > 0) ::kill(-pid_, SIGSTOP);
}

void ServerProcess::resume() {
  if (pid_ > 0) ::kill(-pid_, SIGCONT);
}

std::optional<std::string> ServerProcess::ended() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  ::kill(-pid_, SIGKILL);  // whatever it started and left behind
  reap_group(pid_);
  pid_ = -1;
  return describe_status(status);
}

std::string ServerProcess::output_tail(int lines) const {
  std::ifstream in(output_path());
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::string fill_template(const std::string& text,
                          const std::map<std::string, std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      auto close = text.find('}', i);
      if (close != std::string::npos) {
        auto it = values.find(text.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

namespace {

// Binds a loopback socket to `port` (0: any); its descriptor, or -1.
int bind_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::uint16_t ReservedPorts::take() {
  // Below the ephemeral range: a port from it, once released for the server to bind, could be
  // taken first as the local end of any process's next connect (a busy machine makes many), and
  // the server would fail to start. Below it only an explicit bind can take it. Each call starts
  // somewhere else in that range, so two runs side by side seldom try the same ports.
  constexpr std::uint16_t lowest = 10000;
  const std::uint16_t highest = ephemeral_port_range().low;
  if (highest > lowest + 1000) {
    thread_local std::minstd_rand next_start(std::random_device{}());
    const unsigned span = highest - lowest;
    const unsigned start = next_start() % span;
    for (unsigned tried = 0; tried < 200; ++tried) {
      auto port = static_cast<std::uint16_t>(lowest + (start + tried) % span);
      if (int fd = bind_loopback(port); fd >= 0) {
        sockets_.push_back(fd);
        return port;
      }
    }
  }
  // A range too small to search: any port the kernel gives.
  int fd = bind_loopback(0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  socklen_t size = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    return 0;
  }
  sockets_.push_back(fd);
  return ntohs(address.sin_port);
}

void ReservedPorts::release() {
  for (int fd : sockets_) ::close(fd);
  sockets_.clear();
}

}  // namespace herd
