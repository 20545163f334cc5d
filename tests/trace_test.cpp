// The trace's message ids: an arrival is matched to its own send by connection and place on it,
// even when two servers send the same line and the later send arrives first.

#include "sim/report/trace.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace herd;

TEST_CASE("the same line from two senders is matched to each sender's own send") {
  std::ostringstream text;
  Trace trace(&text, true);
  const std::string line = "AT Clark +0.1 c1 +1+1 5.0\n";
  trace.sent(10, 1, true, "Bona", "Jaquez", line);  // Bona's copy goes first ...
  trace.sent(20, 2, true, "Clark", "Jaquez", line);
  trace.delivered(25, 2, true, "Clark", "Jaquez", line);  // ... and arrives last, behind latency
  trace.delivered(40, 1, true, "Bona", "Jaquez", line);
  auto messages = trace.take_messages();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].id == "Bona>Jaquez#1.1");
  CHECK(messages[0].delivered_ns == 40);
  CHECK(messages[1].id == "Clark>Jaquez#2.1");
  CHECK(messages[1].delivered_ns == 25);
  CHECK(text.str().find("0.000000 delivered Clark>Jaquez#2.1\n") != std::string::npos);
}

TEST_CASE("lines split across chunks are counted whole, a reset drops what had not arrived") {
  Trace trace(nullptr, true);
  trace.sent(1, 7, true, "A", "B", "AT one\nAT tw");
  trace.sent(2, 7, true, "A", "B", "o\nAT three\n");
  trace.delivered(3, 7, true, "A", "B", "AT one\nAT t");
  trace.lost(4, 7, "reset");
  auto messages = trace.take_messages();
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].line == "AT one");
  CHECK(messages[0].delivered_ns == 3);
  CHECK(messages[1].line == "AT two");
  CHECK_FALSE(messages[1].delivered_ns);
  CHECK(messages[1].dropped == "reset");
  CHECK(messages[2].id == "A>B#7.3");
  CHECK(messages[2].dropped == "reset");
}

TEST_CASE("the trace's times are fixed-point text, the same on every machine") {
  std::ostringstream text;
  Trace trace(&text);
  trace.event(1'234'567'891, "stored", "Bona AT x");
  CHECK(text.str() == "1.234567 stored Bona AT x\n");
}

TEST_CASE("a listener that stops listening gets no lines, and ids stay right when it is back") {
  std::vector<std::string> heard;
  bool listening = true;
  Trace trace(nullptr);
  trace.set_listener([&](std::string_view line) { heard.emplace_back(line); },
                     [&] { return listening; });
  trace.sent(1, 3, true, "A", "B", "AT one\n");
  trace.delivered(2, 3, true, "A", "B", "AT one\n");
  listening = false;
  CHECK_FALSE(trace.enabled());
  trace.sent(3, 3, true, "A", "B", "AT two\nAT thr");  // counted, not written
  trace.node_event(3, NodeEvent{EventKind::update_stored, "B", "", "AT two", 3, 0, {}});
  trace.delivered(4, 3, true, "A", "B", "AT two\n");
  listening = true;
  trace.sent(5, 3, true, "A", "B", "ee\n");  // finishes a line begun while nobody listened
  trace.delivered(6, 3, true, "A", "B", "AT three\n");
  trace.lost(7, 3, "reset");
  REQUIRE(heard.size() == 4);
  CHECK(heard[0] == "0.000000 sent A>B#3.1 AT one");
  CHECK(heard[1] == "0.000000 delivered A>B#3.1");
  CHECK(heard[2] == "0.000000 sent A>B#3.3 AT three");  // begun unwritten, kept whole
  CHECK(heard[3] == "0.000000 delivered A>B#3.3");
}

TEST_CASE("a message kept for the report is marked delivered even while nobody listens") {
  bool listening = true;
  Trace trace(nullptr, true);
  trace.set_listener([](std::string_view) {}, [&] { return listening; });
  trace.sent(1, 4, true, "A", "B", "AT one\n");
  trace.keep_messages(false);
  listening = false;
  trace.sent(2, 4, true, "A", "B", "AT two\n");
  trace.delivered(3, 4, true, "A", "B", "AT one\nAT two\n");
  auto messages = trace.take_messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].delivered_ns == 3);
}
