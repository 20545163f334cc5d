// The `herd` command: run one node, a whole herd, the mock Places, the simulator or the bench.

#include <csignal>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tools/commands.hpp"
#include "tools/flag_table.hpp"

using namespace herd::cli;

namespace {

constexpr int exit_usage = 2;

void print_usage() {
  std::cout
      << "Usage: herd COMMAND [options]   (herd COMMAND --help for each)\n\n"
         "Commands:\n"
         "  node NAME     run one server of the herd (a drop-in for the course's server.py)\n"
         "  up            run every server in one process, with the mock Places\n"
         "  places-mock   run the mock Google Places alone (legacy Nearby Search and Places API "
         "(New))\n"
         "  sim [FILE]    run simulator scenarios: faults, crashes, convergence checks, reports\n"
         "  grade PATH    grade a class's herds: every scenario against every submission\n"
         "  bench         measure speed and memory beside baselines taken in the same run\n"
         "  line-echo     a line-echo server, the bench's baseline\n";
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe (`herd node ... 2>&1 | head -1`) is an error on that write, never the end of
  // the process: a server must outlive whoever stopped reading its notes.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage();
    return exit_usage;
  }
  set_up_with_control(run_up_with_control);
  std::string command = args.front();
  args.erase(args.begin());
  const std::map<std::string, std::function<int(const Args&)>> commands = {
      {"node", run_node},
      {"up", run_up},
      {"places-mock", run_places_mock},
      {"sim", run_sim},
      {"grade", run_grade},
      {"bench", run_bench},
      {"line-echo", run_line_echo}};
  if (command == "--help" || command == "-h" || command == "help") {
    print_usage();
    return 0;
  }
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::cerr << "herd: unknown command \"" << command << "\"\n";
    print_usage();
    return exit_usage;
  }
  try {
    return it->second(args);
  } catch (const boost::program_options::error& e) {
    std::cerr << "herd " << command << ": " << e.what() << " (see herd " << command << " --help)\n";
    return exit_usage;
  } catch (const UsageError& e) {
    std::cerr << "herd " << command << ": " << e.message << "\n";
    return exit_usage;
  }
}
