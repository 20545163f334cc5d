#pragma once
// What the live view's HTTP thread and the runner's thread share: jobs the HTTP side asks the
// runner to do (read the state, apply steps), run on the runner's thread between its own work so
// nothing touches the herd from two threads; and the stream of trace lines the page follows.
// Pure: threads and locks, no sockets.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herd {

// What a request gets back: an HTTP status and a JSON body.
struct LiveAnswer {
  int status = 200;
  std::string body;
};

class LiveSession {
 public:
  // The runner's side of the API, set by the runner before it serves. Both run on its thread.
  struct Api {
    std::function<LiveAnswer(std::size_t store_limit)> state;
    std::function<LiveAnswer(const std::string& body)> steps;
    std::function<LiveAnswer(const std::string& body)> clock;
    // {"run": "next"} or {"run": "all"}: lets a scenario held by --paused go on.
    std::function<LiveAnswer(const std::string& body)> scenario;
    // {"at_s": T, "steps": ...}: replays the run to T in a fresh world and takes the steps there
    // (the virtual network only). Unset where there is no run to replay (herd up).
    std::function<LiveAnswer(const std::string& body)> branch;
  };

  // --- the HTTP thread ---------------------------------------------------------------------
  // Runs `job` on the runner's thread; nullopt when it did not run within `timeout` (the runner
  // is busy with a long step) or the session is stopping.
  std::optional<LiveAnswer> call(std::function<LiveAnswer(const Api&)> job,
                                 std::chrono::milliseconds timeout);
  // The trace lines after number `after` (0: from the oldest kept), waiting up to `timeout` for
  // one: each is appended to `out` as `prefix` LINE "\n", and `after` moves past them. Returns
  // how many. Lines older than the last `kept` are dropped.
  std::size_t wait_lines(std::uint64_t& after, std::chrono::milliseconds timeout,
                         std::string_view prefix, std::string& out);

  // A reader follows the events from joined to left.
  void watcher_joined() { ++watchers_; }
  void watcher_left() { --watchers_; }

  // --- the runner's thread -----------------------------------------------------------------
  void set_api(Api api);
  // Runs every job waiting; how many ran.
  std::size_t run_jobs();
  // Waits up to `timeout` for a job to arrive (the runner's idle time on real sockets).
  void wait_for_job(std::chrono::milliseconds timeout);
  void publish(std::string_view line);

  // From now on trace lines are wanted only while someone follows them. Until then every line is
  // kept, so that a page opened after a scenario's run still gets the whole run.
  void publish_only_when_watched() { only_when_watched_ = true; }

  // --- either ------------------------------------------------------------------------------
  [[nodiscard]] int watchers() const { return watchers_.load(); }
  // Whether a trace line would reach anyone: a herd nobody watches formats none.
  [[nodiscard]] bool wants_lines() const { return !only_when_watched_ || watchers_.load() > 0; }
  void request_stop();
  [[nodiscard]] bool stop_requested() const { return stopping_.load(); }

  static constexpr std::size_t kept = 20000;

 private:
  struct Job {
    std::function<LiveAnswer(const Api&)> work;
    std::promise<LiveAnswer> answer;
  };
  std::mutex jobs_mutex_;
  std::condition_variable job_arrived_;
  std::deque<std::shared_ptr<Job>> jobs_;
  Api api_;

  std::mutex lines_mutex_;
  std::condition_variable line_arrived_;
  std::deque<std::string> lines_;
  std::uint64_t first_line_ = 1;  // the number of lines_.front()
  // A reader waits for lines: the next publish wakes it (once; the lines after that one wait for
  // its next look, so a busy herd pays one wake-up per batch, not one per line).
  bool reader_waiting_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> watchers_{0};
  std::atomic<bool> only_when_watched_{false};
};

}  // namespace herd
