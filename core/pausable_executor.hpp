#pragma once
// An executor that runs a node's work on its strand, and holds it while the node is paused.
// Internal to core/: it includes Asio.
//
// Every socket, timer and coroutine of a node uses it, so a paused node is frozen as a process
// under SIGSTOP is: the kernel still queues connections and bytes, but no handler runs, no reply
// is written, no timer acts, until it resumes. Control that must reach a paused node (stop,
// reading its store) goes to the strand directly.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/executor_adapter.hpp"

namespace herd {

class PauseGate {
 public:
  // `strand`: where held work runs once the gate opens again.
  explicit PauseGate(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}

  [[nodiscard]] bool paused() const { return paused_.load(); }
  // Closes the gate; once it returns, no handler is on its way through (one that looked before
  // the gate closed has been queued on the strand, where a barrier posted after it finds it).
  void pause() {
    paused_.store(true);
    while (passing_.load() != 0) std::this_thread::yield();
  }
  // Brackets a handler's way through the gate (sequentially consistent, against pause()).
  void enter() { passing_.fetch_add(1); }
  void leave() { passing_.fetch_sub(1); }
  // Lets held work run, in the order it arrived.
  void resume() {
    std::lock_guard lock(mutex_);
    paused_.store(false, std::memory_order_release);
    for (auto& work : held_) boost::asio::post(strand_, [work = std::move(work)] { work->run(); });
    held_.clear();
  }

  // Keeps `f` for later and returns true while paused; false (leaving `f` alone) otherwise.
  template <typename F>
  bool hold(F& f) {
    std::lock_guard lock(mutex_);
    if (!paused_.load(std::memory_order_relaxed)) return false;
    held_.push_back(std::make_unique<Held<std::decay_t<F>>>(std::move(f)));
    return true;
  }

 private:
  struct Work {
    virtual ~Work() = default;
    virtual void run() = 0;
  };
  template <typename F>
  struct Held final : Work {
    explicit Held(F&& fn) : f(std::move(fn)) {}
    void run() override { std::move(f)(); }
    F f;
  };

  boost::asio::any_io_executor strand_;
  std::mutex mutex_;
  std::atomic<bool> paused_{false};
  std::atomic<int> passing_{0};  // executes between their look at paused_ and their enqueue
  std::vector<std::unique_ptr<Work>> held_;
};

// Wraps an executor (the node's strand), forwarding every property to it (ExecutorAdapter).
template <typename Inner>
class PausableExecutor : public ExecutorAdapter<PausableExecutor<Inner>, Inner> {
 public:
  PausableExecutor(Inner inner, std::shared_ptr<PauseGate> gate) noexcept
      : ExecutorAdapter<PausableExecutor<Inner>, Inner>(std::move(inner)), gate_(std::move(gate)) {}

  template <typename F>
  void execute(F&& f) const {
    struct Passing {
      PauseGate& gate;
      explicit Passing(PauseGate& g) : gate(g) { gate.enter(); }
      ~Passing() { gate.leave(); }
    } passing(*gate_);
    if (gate_->paused() && gate_->hold(f)) return;
    this->inner_.execute(std::forward<F>(f));
  }

  // Whether work given to it now would be held.
  [[nodiscard]] bool paused() const { return gate_ && gate_->paused(); }

  // The same gate in front of another executor: what require and prefer give back.
  template <typename Next>
  [[nodiscard]] PausableExecutor<Next> rewrap(Next next) const {
    return PausableExecutor<Next>(std::move(next), gate_);
  }

  friend bool operator==(const PausableExecutor& a, const PausableExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.gate_ == b.gate_;
  }
  friend bool operator!=(const PausableExecutor& a, const PausableExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  std::shared_ptr<PauseGate> gate_;
};

}  // namespace herd
