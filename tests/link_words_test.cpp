// What the live view says of a link: the last word either of its servers said, down with a
// crashed server, and kept by a herd left up that keeps nothing else for a report.

#include "sim/report/link_words.hpp"

#include <doctest/doctest.h>

#include "sim/report/run_record.hpp"

using namespace herd;

TEST_CASE("a link is what either end said of it last, and down when one end crashed") {
  LinkWords words;
  CHECK_FALSE(words.up("Clark", "Bona").has_value());  // nothing said: nothing known
  words.said("Clark", "Bona", true);
  CHECK(words.up("Bona", "Clark") == std::optional<bool>(true));
  words.said("Bona", "Clark", false);
  CHECK(words.up("Clark", "Bona") == std::optional<bool>(false));
  words.said("Bona", "Clark", true);
  words.said("Jaquez", "Clark", true);
  words.said("Bona", "Campbell", true);
  words.crashed("Clark");
  CHECK(words.up("Clark", "Bona") == std::optional<bool>(false));
  CHECK(words.up("Clark", "Jaquez") == std::optional<bool>(false));
  CHECK(words.up("Campbell", "Bona") == std::optional<bool>(true));
  CHECK_FALSE(words.up("Clark", "Bailey").has_value());  // a crash says nothing of unknown links
  words.said("Jaquez", "Clark", true);  // the restarted server's neighbour reconnected
  CHECK(words.up("Clark", "Jaquez") == std::optional<bool>(true));
}

TEST_CASE("a herd left up keeps its links' state though it keeps nothing for a report") {
  RunRecord record(RecordSettings{});
  record.keep(false);
  record.node_event(1, NodeEvent{EventKind::link_down, "Clark", "Bona", "connection lost"});
  CHECK(record.link_up("Bona", "Clark") == std::optional<bool>(false));
  record.node_event(2, NodeEvent{EventKind::link_up, "Bona", "Clark", ""});
  CHECK(record.link_up("Clark", "Bona") == std::optional<bool>(true));
  record.server_crashed("Bona");
  CHECK(record.link_up("Clark", "Bona") == std::optional<bool>(false));
}
