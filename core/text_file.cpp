#include "core/text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace herd {

Expected<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return fail(std::string("cannot open the file: ") + std::strerror(errno));
  std::string out;
  char chunk[64 * 1024];
  while (true) {
    auto n = std::fread(chunk, 1, sizeof chunk, file.get());
    if (out.size() + n > max_bytes)
      return fail("larger than " + std::to_string(max_bytes) + " bytes; not a file of this kind");
    out.append(chunk, n);
    if (n < sizeof chunk) break;
  }
  if (std::ferror(file.get()))
    return fail(std::string("cannot read the file: ") + std::strerror(errno));
  return out;
}

bool read_text_file(const std::string& path, std::string& out) {
  auto text = read_bounded_file(path, static_cast<std::size_t>(-1));
  if (!text) return false;
  out = std::move(*text);
  return true;
}

}  // namespace herd
