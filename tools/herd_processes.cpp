#include <unistd.h>

#include <ostream>

#include "sim/net/net_namespace.hpp"
#include "tools/herd_process_flags.hpp"

namespace herd::cli {

bool enter_net_namespaces(std::ostream& out) {
  if (auto ready = prepare_net_namespaces(); !ready) {
    out << "  no network namespaces: " << ready.error()
        << "\n  so the servers' links are their own, and scenarios with link faults are skipped"
        << std::endl;
    return false;
  }
  out << "  each server in a network namespace of its own, where its neighbours' ports are "
         "Herd's fault proxies"
      << (::geteuid() == 0 ? ""
                           : " (not root: this run has a private network too, so nothing "
                             "outside it reaches --serve or a real Places)")
      << std::endl;
  return true;
}

}  // namespace herd::cli
