#include "sim/world/virtual_loop.hpp"

#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/detail/thread_info_base.hpp>
#include <boost/asio/io_context.hpp>

#include "core/io/environment.hpp"

namespace herd {

// Asio keeps freed handler memory and coroutine frames in a small per-thread cache, but only while
// the thread is inside one of its contexts (a poll). A delivery run in place resumes a node's
// reader outside any poll, so each of its reads allocated a frame and a handler from malloc and
// freed them: about three aligned allocations per delivered line on a busy ring. While an event
// runs in place, this thread's context is the loop's own, whose cache lasts as long as the loop.
// It is not the io_context's, so nothing believes it runs inside the io_context.
struct VirtualLoop::HandlerMemory : boost::asio::detail::thread_context {
  boost::asio::detail::thread_info_base cache;

  // Pushed for one call and popped after it: contexts stay strictly nested.
  class Scope {
   public:
    explicit Scope(HandlerMemory& memory) : pushed_(&memory, memory.cache) {}

   private:
    thread_call_stack::context pushed_;
  };
};

// One thread runs a virtual world, its nodes and everything they post: the io_context takes no
// locks (each poll and its restart took four, about a line's worth of them on a busy ring).
VirtualLoop::VirtualLoop(std::uint64_t seed)
    : net_(seed),
      io_(std::make_unique<boost::asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE)),
      handler_memory_(std::make_unique<HandlerMemory>()) {}

VirtualLoop::~VirtualLoop() {
  net_.discard_events();
  poll_io();
}

std::shared_ptr<io::Environment> VirtualLoop::environment(const std::string& host,
                                                          const PlacesSettings& places) {
  return vnet::make_virtual_environment(net_, *io_, handlers_given_, host, places_, places);
}

void VirtualLoop::poll() {
  // Most events of a busy run are deliveries run in place, which give the io_context nothing.
  if (handlers_given_.load(std::memory_order_relaxed) == given_before_poll_) return;
  poll_io();
}

void VirtualLoop::poll_io() {
  // Read before: what the handlers run now give is counted after it, so the next poll runs it
  // even if this one did too.
  given_before_poll_ = handlers_given_.load(std::memory_order_relaxed);
  io_->restart();
  io_->poll();
}

bool VirtualLoop::step() {
  poll();
  return run_next_in_place();
}

bool VirtualLoop::run_next_in_place() {
  // Right after a poll nothing waits in the executor's queue: a delivery may resume the reader
  // it wakes at once (a post and a poll per line were a fifth of a busy ring's run), and the
  // order of handlers stays the order of events.
  net_.allow_acting_in_place(true);
  struct Disallow {
    vnet::VirtualNetwork& net;
    ~Disallow() { net.allow_acting_in_place(false); }
  } disallow{net_};
  HandlerMemory::Scope memory(*handler_memory_);
  return net_.run_next();
}

bool VirtualLoop::run_until(const std::function<bool()>& done, vnet::Time deadline,
                            const std::function<bool()>& stop) {
  for (;;) {
    poll();
    if (done()) return true;
    if (stop && stop()) return false;
    auto next = net_.next_event();
    if (!next || *next > deadline) {
      net_.run_until(deadline);
      poll();
      return done();
    }
    run_next_in_place();
  }
}

void VirtualLoop::drain() {
  poll_io();
  for (int i = 0; i < 100'000 && run_next_in_place(); ++i) poll();
  net_.discard_events();
  poll_io();
}

}  // namespace herd
