#pragma once
// An executor that counts the work given to it, for a loop that runs its io_context itself: the
// virtual loop polls only when something was given since its last poll, where a poll of an empty
// io_context cost about 400 instructions after every event of a busy run. Internal to the
// virtual network: it includes Asio.

#include <atomic>
#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace herd::vnet {

// Forwards every property to the executor it wraps, as PausableExecutor does.
template <typename Inner>
class CountedExecutor {
 public:
  // `given` outlives every copy: the loop that owns the io_context.
  CountedExecutor(Inner inner, std::atomic<std::uint64_t>* given) noexcept
      : inner_(std::move(inner)), given_(given) {}

  template <typename Property>
  requires boost::asio::can_query<const Inner&, const Property&>::value decltype(auto) query(
      const Property& p) const {
    return boost::asio::query(inner_, p);
  }
  template <typename Property>
  requires boost::asio::can_require<const Inner&, const Property&>::value auto require(
      const Property& p) const {
    using Next = std::decay_t<decltype(boost::asio::require(inner_, p))>;
    return CountedExecutor<Next>(boost::asio::require(inner_, p), given_);
  }
  template <typename Property>
  requires boost::asio::can_prefer<const Inner&, const Property&>::value auto prefer(
      const Property& p) const {
    using Next = std::decay_t<decltype(boost::asio::prefer(inner_, p))>;
    return CountedExecutor<Next>(boost::asio::prefer(inner_, p), given_);
  }
  // Counted before it is given on: work the inner executor runs at once is counted too, which
  // costs the loop one poll that finds nothing, never a poll it needed.
  template <typename F>
  void execute(F&& f) const {
    given_->fetch_add(1, std::memory_order_relaxed);
    inner_.execute(std::forward<F>(f));
  }

  friend bool operator==(const CountedExecutor& a, const CountedExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.given_ == b.given_;
  }
  friend bool operator!=(const CountedExecutor& a, const CountedExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  template <typename>
  friend class CountedExecutor;
  Inner inner_;
  std::atomic<std::uint64_t>* given_;
};

}  // namespace herd::vnet
