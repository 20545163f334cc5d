#pragma once
// A command's flags as one table: each row declares a flag, registers it with program_options,
// shows its default in --help (read from a default-constructed settings struct, so the default
// lives in one place) and validates and applies its value. Only the `herd` CLI includes this.

#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace herd::cli {

// A startup problem the user can fix: printed as one line, exit status 2.
struct UsageError {
  std::string message;
};

template <typename Settings>
struct Flag {
  std::string name;        // without "--"
  std::string value_name;  // empty: a switch that takes no value
  std::string help;
  // The default as --help shows it; empty: none is shown.
  std::function<std::string(const Settings&)> shown_default;
  // Validates the value ("" for a switch) and stores it; throws UsageError naming the flag.
  std::function<void(Settings&, const std::string& value)> apply;
  bool repeatable = false;  // takes several values (applied one by one)
};

template <typename Settings>
using FlagTable = std::vector<Flag<Settings>>;

// Registers every flag of `table` as text; values are checked by apply_flags, so the messages
// are ours and name the flag.
template <typename Settings>
void register_flags(const FlagTable<Settings>& table,
                    boost::program_options::options_description& od) {
  namespace po = boost::program_options;
  const Settings defaults{};
  for (const auto& flag : table) {
    std::string help = flag.help;
    if (flag.shown_default) {
      auto shown = flag.shown_default(defaults);
      if (!shown.empty()) help += " (default: " + shown + ")";
    }
    if (flag.value_name.empty()) {
      od.add_options()(flag.name.c_str(), po::bool_switch(), help.c_str());
    } else if (flag.repeatable) {
      od.add_options()(
          flag.name.c_str(),
          po::value<std::vector<std::string>>()->multitoken()->value_name(flag.value_name),
          help.c_str());
    } else {
      od.add_options()(flag.name.c_str(), po::value<std::string>()->value_name(flag.value_name),
                       help.c_str());
    }
  }
}

// Applies what the command line gave; flags not given keep their defaults.
template <typename Settings>
void apply_flags(const FlagTable<Settings>& table,
                 const boost::program_options::variables_map& values, Settings& settings) {
  for (const auto& flag : table) {
    auto it = values.find(flag.name);
    if (it == values.end() || it->second.empty()) continue;
    if (flag.value_name.empty()) {
      if (it->second.template as<bool>()) flag.apply(settings, "");
    } else if (flag.repeatable) {
      for (const auto& value : it->second.template as<std::vector<std::string>>())
        flag.apply(settings, value);
    } else {
      flag.apply(settings, it->second.template as<std::string>());
    }
  }
}

// Parses `args` for `herd COMMAND`; prints the help and returns false when asked for it.
bool parse_command_line(const std::string& command, const std::string& synopsis,
                        const std::vector<std::string>& args,
                        boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description& positional,
                        boost::program_options::variables_map& values);

// Parses `args` for `herd COMMAND`, whose flags are all in `table`, into `settings`; false when
// the help was printed.
template <typename Settings>
bool parse_flags(const std::string& command, const std::string& synopsis,
                 const std::vector<std::string>& args, const FlagTable<Settings>& table,
                 Settings& settings) {
  boost::program_options::options_description options("Options");
  register_flags(table, options);
  boost::program_options::variables_map values;
  if (!parse_command_line(command, synopsis, args, options, {}, values)) return false;
  apply_flags(table, values, settings);
  return true;
}

// "--name: expected an integer from LOW to HIGH, got "VALUE"" unless `value` is one.
[[nodiscard]] std::int64_t parse_integer(const std::string& flag, const std::string& value,
                                         std::int64_t low, std::int64_t high);

// --control-bind's value: an IPv4 or IPv6 address ("localhost" is 127.0.0.1), or a usage error
// that says so (a bad address is not "Address already in use").
[[nodiscard]] std::string control_address(const std::string& value);

}  // namespace herd::cli
