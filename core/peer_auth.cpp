#include "core/peer_auth.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <random>

#include "core/constant_time.hpp"

namespace herd {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

std::string proof(std::string_view direction, std::string_view secret, std::string_view from,
                  std::string_view to, std::string_view link_nonce, std::string_view node_nonce) {
  std::string message(direction);
  message.append("|").append(from).append("|").append(to).append("|").append(link_nonce);
  message.append("|").append(node_nonce);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return to_hex(digest, length);
}

}  // namespace

std::string random_nonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Only if OpenSSL's generator failed; the OS device is the next best source.
    std::random_device device;
    for (auto& b : bytes) b = static_cast<unsigned char>(device());
  }
  return to_hex(bytes, sizeof bytes);
}

bool is_nonce(std::string_view text) {
  return text.size() >= 16 && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string link_proof(std::string_view secret, std::string_view from, std::string_view to,
                       std::string_view link_nonce, std::string_view node_nonce) {
  return proof("herd-link-v2", secret, from, to, link_nonce, node_nonce);
}

std::string node_proof(std::string_view secret, std::string_view from, std::string_view to,
                       std::string_view link_nonce, std::string_view node_nonce) {
  return proof("herd-node-v2", secret, from, to, link_nonce, node_nonce);
}

bool secrets_equal(std::string_view expected, std::string_view given) {
  return constant_time_equal(expected, given);
}

}  // namespace herd
