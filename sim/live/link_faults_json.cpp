#include "sim/live/link_faults_json.hpp"

#include <nlohmann/json.hpp>

namespace herd {

nlohmann::json link_faults_json(const LinkFaults& f) {
  return {{"cut", f.cut},
          {"drop", f.drop},
          {"hold", f.hold},
          {"latency_ms", f.latency_ms},
          {"jitter_ms", f.jitter_ms},
          {"bytes_per_s", f.bytes_per_s},
          {"slice_bytes", f.slice_bytes}};
}

}  // namespace herd
