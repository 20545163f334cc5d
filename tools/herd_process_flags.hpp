#pragma once
// The flags that run a herd of server processes from a command (herd sim --herd-cmd, herd grade):
// one table for every command that takes them, over any settings with an ExternalHerd `herd` and
// a bool `namespaces` (--herd-net).

#include <iosfwd>
#include <sstream>
#include <string>

#include "sim/world/world.hpp"
#include "tools/flag_table.hpp"

namespace herd::cli {

// `placeholders_more`: what this command adds to the template's placeholders, said in --help.
template <typename Settings>
FlagTable<Settings> herd_process_flags(const std::string& placeholders_more,
                                       const std::string& shown_default) {
  return {
      {"herd-cmd", "TEMPLATE",
       "run each server as a process started from TEMPLATE (under /bin/sh -c, from this "
       "directory) instead of Herd's nodes in this process; {name}, {port}, {config}, "
       "{places_url} (the mock's legacy Nearby Search), {places_new_url} (its Places API (New) "
       "searchNearby), {dir} (the server's own folder)" +
           placeholders_more +
           " and {classic} are replaced, and set as HERD_NAME, HERD_PORT, ... in the environment, "
           "e.g. 'python3 server.py {name} --config {config}'",
       [shown_default](const Settings&) { return shown_default; },
       [](Settings& s, const std::string& v) {
         if (v.empty()) throw UsageError{"--herd-cmd needs a command"};
         s.herd.command = v;
       }},
      {"herd-client", "course|persistent",
       "with --herd-cmd: how clients talk to the servers. course: as the course's grader does, "
       "each request on a fresh connection, half-closed after the line, the reply read until "
       "the server closes (a reply without its newline is the same reply); persistent: one "
       "connection per server, kept, for herds that serve many lines on one",
       [](const Settings&) { return std::string("course"); },
       [](Settings& s, const std::string& v) {
         if (v != "course" && v != "persistent")
           throw UsageError{"--herd-client: expected course or persistent, got \"" + v + "\""};
         s.herd.course_clients = v == "course";
       }},
      {"herd-timeout-ms", "MS",
       "with --herd-cmd: how long a client's request (a send step, traffic) and each of the "
       "checker's questions wait for a server's reply",
       [](const Settings& s) { return std::to_string(s.herd.reply_timeout_ms); },
       [](Settings& s, const std::string& v) {
         s.herd.reply_timeout_ms =
             static_cast<int>(parse_integer("herd-timeout-ms", v, 1, 600'000));
       }},
      {"herd-ports", "NAME=PORT,...",
       "with --herd-cmd: the servers listen on these ports and know their neighbours' from their "
       "own code, so no proxy sits between them and link faults are refused",
       [](const Settings&) { return std::string("none: the harness picks ports"); },
       [](Settings& s, const std::string& v) {
         std::istringstream pairs(v);
         for (std::string pair; std::getline(pairs, pair, ',');) {
           auto equals = pair.find('=');
           if (equals == std::string::npos || equals == 0)
             throw UsageError{"--herd-ports: expected NAME=PORT, got \"" + pair + "\""};
           s.herd.ports[pair.substr(0, equals)] = static_cast<std::uint16_t>(
               parse_integer("herd-ports", pair.substr(equals + 1), 1, 65535));
         }
       }},
      {"herd-net", "namespaces|shared",
       "with --herd-ports: namespaces puts each server in a network namespace of its own, with "
       "Herd's fault proxies listening on its neighbours' ports inside it, so link faults reach "
       "servers whose ports are written in their code (as root, or where the kernel allows "
       "user namespaces); shared runs them on this machine's loopback, links untouched, and "
       "skips the scenarios with link faults",
       [](const Settings&) { return std::string("namespaces"); },
       [](Settings& s, const std::string& v) {
         if (v != "namespaces" && v != "shared")
           throw UsageError{"--herd-net: expected namespaces or shared, got \"" + v + "\""};
         s.namespaces = v == "namespaces";
       }},
      {"herd-start-ms", "MS",
       "with --herd-cmd: how long a server may take to listen after it is started",
       [](const Settings& s) { return std::to_string(s.herd.start_timeout_ms); },
       [](Settings& s, const std::string& v) {
         s.herd.start_timeout_ms = static_cast<int>(parse_integer("herd-start-ms", v, 1, 600'000));
       }},
  };
}

// With --herd-ports: prepares a network namespace per server (before any thread starts: a
// process with threads cannot enter a user namespace) and says what the run gets; false when
// the kernel refuses, and the servers then share this machine's loopback.
bool enter_net_namespaces(std::ostream& out);

}  // namespace herd::cli
