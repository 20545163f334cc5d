#include "core/node_events.hpp"

namespace herd {

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::line_in:
      return "line_in";
    case EventKind::line_out:
      return "line_out";
    case EventKind::update_stored:
      return "update_stored";
    case EventKind::update_dropped:
      return "update_dropped";
    case EventKind::update_refused:
      return "update_refused";
    case EventKind::link_up:
      return "link_up";
    case EventKind::link_down:
      return "link_down";
    case EventKind::update_not_sent:
      return "update_not_sent";
  }
  return "unknown";
}

}  // namespace herd
