#pragma once
// What can be wrong with Places: the faults a scenario sets on the mock. Pure.

namespace herd {

struct PlacesFaults {
  int latency_ms = 0;      // added before every answer
  int http_status = 0;     // non-zero: answer with this status and a short text body
  bool malformed = false;  // answer 200 with a truncated, invalid JSON body
  bool silent = false;     // never answer (until the mock stops)
  bool operator==(const PlacesFaults&) const = default;
};

}  // namespace herd
