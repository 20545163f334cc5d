#include "core/text_file.hpp"

#include <fstream>
#include <sstream>

namespace herd {

bool read_text_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  out = text.str();
  return !in.bad();
}

}  // namespace herd
