#include "core/line_queue.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace herd;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    REQUIRE(end != std::string::npos);  // every line ends in "\n"
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string at_for(int client, int time) {
  return "AT Clark +0.000123456 client-" + std::to_string(client) +
         ".cs.ucla.edu +34.068930-118.445127 " + std::to_string(time);
}

}  // namespace

TEST_CASE("a small batch goes out whole and in the order pushed") {
  LineQueue queue;
  queue.push("AT Clark +0.1 kiwi +1+1 1");
  queue.push("AT Clark +0.1 apple +1+1 2");
  queue.push("AT Clark +0.1 kiwi +1+1 3");
  CHECK(queue.bytes() == 26 + 27 + 26);  // each line and its "\n"
  std::string out = "left over";
  queue.take(out);
  CHECK(lines_of(out) == std::vector<std::string>{"AT Clark +0.1 kiwi +1+1 1",
                                                  "AT Clark +0.1 apple +1+1 2",
                                                  "AT Clark +0.1 kiwi +1+1 3"});
  CHECK(queue.empty());
  CHECK(queue.bytes() == 0);
}

TEST_CASE("taking a batch keeps both buffers, so a link that keeps up stops allocating") {
  LineQueue queue;
  std::string out;
  for (int i = 0; i < 100; ++i) queue.push(at_for(i, i));
  queue.take(out);
  auto first_batch = out.capacity();
  queue.push(at_for(1, 1000));
  queue.take(out);
  queue.push(at_for(2, 1001));
  std::string again;
  queue.take(again);
  // The two buffers swap back and forth: the queue now writes into the first batch's buffer.
  CHECK(again.capacity() >= first_batch);
}

TEST_CASE("a backlog drops every line whose client has a newer one queued") {
  LineQueue queue;
  const int clients = 50;
  const int rounds = 200;  // about 13 times the trim threshold, all queued while the link is stuck
  int time = 0;
  std::size_t pushed = 0, largest = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int c = 0; c < clients; ++c) {
      auto line = at_for(c, ++time);
      pushed += line.size() + 1;
      queue.push(line);
      largest = std::max(largest, queue.bytes());
    }
  }
  REQUIRE(pushed > 10 * LineQueue::min_trim_bytes);
  CHECK(largest <= LineQueue::min_trim_bytes + 100);
  std::string out;
  queue.take(out);
  auto lines = lines_of(out);
  CHECK(lines.size() < static_cast<std::size_t>(rounds * clients));
  // Whatever was dropped, the newest line of every client is there, once.
  for (int c = 0; c < clients; ++c)
    CHECK(std::count(lines.begin(), lines.end(), at_for(c, time - clients + 1 + c)) == 1);
}

TEST_CASE("a backlog of distinct clients is never trimmed: every line is somebody's newest") {
  LineQueue queue;
  const int clients = 5000;  // several times the trim threshold
  for (int c = 0; c < clients; ++c) queue.push(at_for(c, c));
  std::string out;
  queue.take(out);
  CHECK(lines_of(out).size() == clients);
}

TEST_CASE("clear forgets what was queued") {
  LineQueue queue;
  queue.push("AT Clark +0.1 kiwi +1+1 1");
  queue.clear();
  CHECK(queue.empty());
  std::string out;
  queue.take(out);
  CHECK(out.empty());
}
