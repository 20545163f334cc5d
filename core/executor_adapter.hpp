#pragma once
// What every wrapper of an executor shares: each property query, require and prefer goes to the
// executor it wraps, and what require and prefer return is wrapped again the same way, as
// asio::strand does. A wrapper derives from it (CRTP), adds its own execute(), and says how to
// wrap an executor of another type: `rewrap(next)`. PausableExecutor (core/) and the virtual
// network's CountedExecutor are two. Internal: it includes Asio.

#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <utility>

namespace herd {

template <typename Wrapper, typename Inner>
class ExecutorAdapter {
 public:
  template <typename Property>
  requires boost::asio::can_query<const Inner&, const Property&>::value decltype(auto) query(
      const Property& p) const {
    return boost::asio::query(inner_, p);
  }

  template <typename Property>
  requires boost::asio::can_require<const Inner&, const Property&>::value auto require(
      const Property& p) const {
    return wrapper().rewrap(boost::asio::require(inner_, p));
  }

  template <typename Property>
  requires boost::asio::can_prefer<const Inner&, const Property&>::value auto prefer(
      const Property& p) const {
    return wrapper().rewrap(boost::asio::prefer(inner_, p));
  }

 protected:
  explicit ExecutorAdapter(Inner inner) noexcept : inner_(std::move(inner)) {}

  Inner inner_;

 private:
  const Wrapper& wrapper() const { return static_cast<const Wrapper&>(*this); }
};

}  // namespace herd
