#pragma once
// The `herd` subcommands, each in its own file with its own flag table.

#include <string>
#include <vector>

namespace herd::cli {

using Args = std::vector<std::string>;

int run_node(const Args& args);         // serve_commands.cpp
int run_up(const Args& args);           // serve_commands.cpp
int run_places_mock(const Args& args);  // serve_commands.cpp
int run_sim(const Args& args);          // sim_command.cpp
int run_bench(const Args& args);        // bench_command.cpp
int run_line_echo(const Args& args);    // bench_command.cpp

}  // namespace herd::cli
