#include "core/node_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "core/log_text.hpp"

namespace herd {

NodeLog::~NodeLog() {
  close();
}

Expected<void> NodeLog::open(const std::string& dir, const std::string& name) {
  close();
  if (dir.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create the log directory " + dir + ": " + ec.message());
  path_ = (std::filesystem::path(dir) / (name + ".log")).string();
  file_ = std::fopen(path_.c_str(), "ab");
  if (file_ == nullptr) return fail("cannot open its log " + path_ + ": " + std::strerror(errno));
  return {};
}

void NodeLog::write(std::int64_t time_ns, std::string_view what, std::string_view text) {
  write(time_ns, what, {}, text);
}

void NodeLog::write(std::int64_t time_ns, std::string_view what, std::string_view who,
                    std::string_view text) {
  write(time_ns, what, who, {}, text);
}

void NodeLog::write(std::int64_t time_ns, std::string_view what, std::string_view who,
                    std::string_view tag, std::string_view text) {
  if (file_ == nullptr) return;
  std::int64_t second = time_ns / 1'000'000'000;
  if (second != stamp_second_) {
    std::time_t seconds = second;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    stamp_len_ = std::strftime(stamp_, sizeof stamp_, "%Y-%m-%dT%H:%M:%S", &utc);
    stamp_second_ = second;
  }
  auto micros = static_cast<int>((time_ns % 1'000'000'000) / 1000);
  char stamp[] = ".000000Z ";
  for (int i = 6; i >= 1; --i, micros /= 10) stamp[i] = static_cast<char>('0' + micros % 10);
  buffer_.append(stamp_, stamp_len_);
  buffer_.append(stamp).append(what).append(" ");
  if (!who.empty()) buffer_.append(who).append(" ");
  if (!tag.empty()) buffer_.append(tag).append(" ");
  // The node's own answers are kept whole (a WHATSAT's JSON); what a client or peer sent, and
  // the "? " echoing it, at most log_text_most bytes (log_text.hpp).
  const bool ours = what == "OUT" && text.starts_with("AT ");
  append_one_line(text, ours ? text.size() : log_text_most);
  buffer_.push_back('\n');
  // Write through in large blocks: the log never costs a system call per line.
  if (buffer_.size() >= 64 * 1024) flush();
}

void NodeLog::append_one_line(std::string_view text, std::size_t most) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  auto safe = [&](std::string_view part) {
    bool plain = std::none_of(part.begin(), part.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (plain)
      buffer_.append(part);
    else
      append_log_text(buffer_, part, part.size());
  };
  std::size_t left = most;
  for (auto newline = text.find('\n'); newline != std::string_view::npos && left > 0;
       newline = text.find('\n')) {
    auto part = text.substr(0, std::min(newline, left));
    safe(part);
    left -= part.size();
    text.remove_prefix(newline + 1);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
    buffer_.push_back(' ');
  }
  auto rest = text.substr(0, std::min(text.size(), left));
  safe(rest);
  if (rest.size() < text.size())
    buffer_.append(" ...[")
        .append(std::to_string(text.size() - rest.size()))
        .append(" more bytes]");
}

void NodeLog::flush() {
  if (file_ == nullptr || buffer_.empty()) return;
  bool written = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
  written = std::fflush(file_) == 0 && written;
  if (!written) {
    int error = errno;
    std::clearerr(file_);
    lost_lines_ += static_cast<std::size_t>(std::count(buffer_.begin(), buffer_.end(), '\n'));
    if (!failing_ && tell_trouble_)
      tell_trouble_("cannot write its log " + path_ + ": " + std::strerror(error) +
                    "; log lines are lost until it can");
    failing_ = true;
  } else if (failing_) {
    failing_ = false;
    if (tell_trouble_)
      tell_trouble_("its log " + path_ + " is written again; " + std::to_string(lost_lines_) +
                    " lines were lost");
    lost_lines_ = 0;
  }
  buffer_.clear();
}

void NodeLog::close() {
  if (file_ == nullptr) return;
  flush();
  std::fclose(file_);
  file_ = nullptr;
}

}  // namespace herd
