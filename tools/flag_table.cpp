#include "tools/flag_table.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <iostream>

namespace herd::cli {

std::int64_t parse_integer(const std::string& flag, const std::string& value, std::int64_t low,
                           std::int64_t high) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < low || out > high)
    throw UsageError{"--" + flag + ": expected an integer from " + std::to_string(low) + " to " +
                     std::to_string(high) + ", got \"" + value + "\""};
  return out;
}

std::string control_address(const std::string& value) {
  if (value == "localhost") return "127.0.0.1";
  unsigned char address[16];
  if (inet_pton(AF_INET, value.c_str(), address) == 1 ||
      inet_pton(AF_INET6, value.c_str(), address) == 1)
    return value;
  throw UsageError{
      "--control-bind: expected an IP address of this machine, such as 127.0.0.1 or "
      "0.0.0.0, got \"" +
      value + "\""};
}

bool parse_command_line(const std::string& command, const std::string& synopsis,
                        const std::vector<std::string>& args,
                        boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description& positional,
                        boost::program_options::variables_map& values) {
  namespace po = boost::program_options;
  options.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), values);
  if (values.count("help")) {
    std::cout << "Usage: herd " << command << " " << synopsis << "\n\n" << options << "\n";
    return false;
  }
  po::notify(values);
  return true;
}

}  // namespace herd::cli
