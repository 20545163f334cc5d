#include "sim/runner/request_pool.hpp"

namespace herd {

RequestPool::RequestPool(Connect connect, int reply_timeout_ms, std::size_t threads)
    : connect_(std::move(connect)), reply_timeout_ms_(reply_timeout_ms) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

RequestPool::~RequestPool() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    queue_.clear();  // not yet sent: dropped
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void RequestPool::submit(std::string node, std::string line) {
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(node), std::move(line));
    ++unfinished_;
  }
  wake_.notify_one();
}

std::vector<RequestPool::Done> RequestPool::take_done() {
  std::lock_guard lock(mutex_);
  return std::exchange(done_, {});
}

bool RequestPool::wait_all(std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mutex_);
  return finished_.wait_until(lock, until, [this] { return unfinished_ == 0; });
}

std::size_t RequestPool::unfinished() {
  std::lock_guard lock(mutex_);
  return unfinished_;
}

void RequestPool::work() {
  while (true) {
    std::pair<std::string, std::string> request;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (closing_) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    Done done;
    done.node = std::move(request.first);
    done.line = std::move(request.second);
    auto client = connect_(done.node);
    if (!client) {
      done.why = done.node + " refused the connection";
    } else if (!client->send(done.line + "\n")) {
      done.why = client->why_nothing().empty() ? done.node + " closed the connection"
                                               : client->why_nothing();
    } else if (auto first = client->read_through("\n", reply_timeout_ms_)) {
      done.answered = true;
      done.reply = first->substr(0, first->size() - 1);
    } else {
      done.why =
          client->why_nothing().empty() ? "no reply from " + done.node : client->why_nothing();
    }
    std::lock_guard lock(mutex_);
    done_.push_back(std::move(done));
    --unfinished_;
    finished_.notify_all();
  }
}

}  // namespace herd
