#pragma once
// The `herd` subcommands, each in its own file with its own flag table.

#include <string>
#include <vector>

#include "core/node.hpp"
#include "core/topology.hpp"

namespace herd::cli {

using Args = std::vector<std::string>;

// `herd up --control PORT`: the herd behind fault proxies and the live view's control API. The
// serving commands know only this plan; the simulator's part runs it (sim_command.cpp), so
// `herd up` without --control links no simulator code.
struct ControlledUp {
  Topology topology;
  NodeOptions node;        // what every server shares
  std::string places_url;  // empty: the mock Places, on places_port (0: any free port)
  int places_port = 0;
  std::string control_bind = "127.0.0.1";
  int control_port = 0;
  bool control_open = false;  // no token asked of the control API (a trusted classroom)
};
using UpWithControl = int (*)(const ControlledUp& plan);
void set_up_with_control(UpWithControl run);        // serve_commands.cpp
int run_up_with_control(const ControlledUp& plan);  // sim_command.cpp

int run_node(const Args& args);         // serve_commands.cpp
int run_up(const Args& args);           // serve_commands.cpp
int run_places_mock(const Args& args);  // serve_commands.cpp
int run_sim(const Args& args);          // sim_command.cpp
int run_grade(const Args& args);        // grade_command.cpp
int run_bench(const Args& args);        // bench_command.cpp
int run_line_echo(const Args& args);    // bench_command.cpp

}  // namespace herd::cli
