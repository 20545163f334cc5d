#include "core/node_log.hpp"

#include <ctime>
#include <filesystem>
#include <system_error>

namespace herd {

NodeLog::~NodeLog() {
  close();
}

bool NodeLog::open(const std::string& dir, const std::string& name, std::string& error) {
  close();
  if (dir.empty()) return true;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot create log directory " + dir + ": " + ec.message();
    return false;
  }
  auto path = (std::filesystem::path(dir) / (name + ".log")).string();
  file_ = std::fopen(path.c_str(), "ab");
  if (file_ == nullptr) {
    error = "cannot open log file " + path;
    return false;
  }
  return true;
}

void NodeLog::write(std::int64_t time_ns, std::string_view what, std::string_view text) {
  write(time_ns, what, {}, text);
}

void NodeLog::write(std::int64_t time_ns, std::string_view what, std::string_view who,
                    std::string_view text) {
  if (file_ == nullptr) return;
  std::time_t seconds = time_ns / 1'000'000'000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[48];
  std::size_t len = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(stamp + len, sizeof stamp - len, ".%06dZ ",
                static_cast<int>((time_ns % 1'000'000'000) / 1000));
  buffer_.append(stamp).append(what).append(" ");
  if (!who.empty()) buffer_.append(who).append(" ");
  buffer_.append(text).append("\n");
  // Write through in large blocks: the log never costs a system call per line.
  if (buffer_.size() >= 64 * 1024) flush();
}

void NodeLog::flush() {
  if (file_ == nullptr || buffer_.empty()) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  std::fflush(file_);
  buffer_.clear();
}

void NodeLog::close() {
  if (file_ == nullptr) return;
  flush();
  std::fclose(file_);
  file_ = nullptr;
}

}  // namespace herd
