#pragma once
// The names every coroutine file of Herd uses, in one place. Internal: it includes Asio, so only
// the few .cpp files that run coroutines include it.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herd {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
// Awaits an operation and returns its error as a value: failures at an I/O edge are expected.
// Deferred, the operation is awaited as it is; with use_awaitable each one became a coroutine
// frame of its own, made and resumed for every read (one per line a flood delivers). Awaitable
// operators (a || b) take awaitables: there, as_tuple(use_awaitable).
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::deferred);

}  // namespace herd
