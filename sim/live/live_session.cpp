#include "sim/live/live_session.hpp"

namespace herd {

std::optional<LiveAnswer> LiveSession::call(std::function<LiveAnswer(const Api&)> job,
                                            std::chrono::milliseconds timeout) {
  if (stopping_) return std::nullopt;
  auto entry = std::make_shared<Job>();
  entry->work = std::move(job);
  auto answer = entry->answer.get_future();
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_.push_back(entry);
  }
  job_arrived_.notify_all();
  if (answer.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return answer.get();
}

void LiveSession::set_api(Api api) {
  std::lock_guard lock(jobs_mutex_);
  api_ = std::move(api);
}

std::size_t LiveSession::run_jobs() {
  std::deque<std::shared_ptr<Job>> ready;
  Api api;
  {
    std::lock_guard lock(jobs_mutex_);
    ready.swap(jobs_);
    api = api_;
  }
  for (auto& job : ready) {
    try {
      job->answer.set_value(job->work(api));
    } catch (const std::exception&) {
      // A bug of ours, not the request's: the herd goes on, and the caller is told.
      job->answer.set_value({500, std::string("{\"error\": \"internal error\"}")});
    }
  }
  return ready.size();
}

void LiveSession::wait_for_job(std::chrono::milliseconds timeout) {
  std::unique_lock lock(jobs_mutex_);
  job_arrived_.wait_for(lock, timeout, [this] { return !jobs_.empty() || stopping_.load(); });
}

void LiveSession::publish(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(lines_mutex_);
    if (lines_.size() >= kept) {
      // The oldest line's buffer takes the new one: a busy herd allocates nothing per line.
      auto reused = std::move(lines_.front());
      lines_.pop_front();
      ++first_line_;
      reused.assign(line);
      lines_.push_back(std::move(reused));
    } else {
      lines_.emplace_back(line);
    }
    wake = reader_waiting_;
    reader_waiting_ = false;
  }
  if (wake) line_arrived_.notify_all();
}

std::size_t LiveSession::wait_lines(std::uint64_t& after, std::chrono::milliseconds timeout,
                                    std::string_view prefix, std::string& out) {
  std::unique_lock lock(lines_mutex_);
  auto next = [&] { return first_line_ + lines_.size(); };  // the number the next line gets
  auto ready = [&] { return stopping_.load() || next() > std::max(after + 1, first_line_); };
  while (!ready()) {
    reader_waiting_ = true;
    if (line_arrived_.wait_for(lock, timeout) == std::cv_status::timeout) break;
  }
  std::uint64_t from = std::max(after + 1, first_line_);
  for (auto n = from; n < next(); ++n) out.append(prefix).append(lines_[n - first_line_]) += '\n';
  after = next() - 1;
  return next() - from;
}

void LiveSession::request_stop() {
  stopping_ = true;
  job_arrived_.notify_all();
  line_arrived_.notify_all();
}

}  // namespace herd
