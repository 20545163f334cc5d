// What the live view's HTTP thread and the runner share: the lines a page follows and whether
// anyone follows them.

#include "sim/live/live_session.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace herd;
using namespace std::chrono_literals;

TEST_CASE("a reader gets every line after the one it saw, each with its prefix") {
  LiveSession session;
  session.publish("0.1 crash Bona");
  session.publish("0.2 restart Bona");
  std::uint64_t after = 0;
  std::string out;
  CHECK(session.wait_lines(after, 10ms, "data: ", out) == 2);
  CHECK(out == "data: 0.1 crash Bona\ndata: 0.2 restart Bona\n");
  CHECK(after == 2);
  session.publish("0.3 pause Clark");
  out.clear();
  CHECK(session.wait_lines(after, 10ms, "", out) == 1);
  CHECK(out == "0.3 pause Clark\n");
  out.clear();
  CHECK(session.wait_lines(after, 10ms, "", out) == 0);  // nothing new: the wait times out
}

TEST_CASE("a reader waiting is woken by the next line from another thread") {
  LiveSession session;
  std::uint64_t after = 0;
  std::string out;
  std::thread writer([&] {
    // Published once the reader waits or soon after; either way it must get it, not time out.
    session.publish("0.1 crash Bona");
  });
  auto count = session.wait_lines(after, 5s, "", out);
  writer.join();
  CHECK(count == 1);
  CHECK(out == "0.1 crash Bona\n");
}

TEST_CASE("only the newest lines are kept, a slow reader skips what was dropped") {
  LiveSession session;
  for (std::size_t i = 0; i < LiveSession::kept + 5; ++i)
    session.publish("line " + std::to_string(i));
  std::uint64_t after = 0;
  std::string out;
  CHECK(session.wait_lines(after, 10ms, "", out) == LiveSession::kept);
  CHECK(out.starts_with("line 5\n"));
  CHECK(after == LiveSession::kept + 5);
}

TEST_CASE("lines are wanted always during a scenario, then only while someone watches") {
  LiveSession session;
  CHECK(session.wants_lines());
  session.publish_only_when_watched();
  CHECK_FALSE(session.wants_lines());
  session.watcher_joined();
  CHECK(session.watchers() == 1);
  CHECK(session.wants_lines());
  session.watcher_left();
  CHECK_FALSE(session.wants_lines());
}
