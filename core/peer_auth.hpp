#pragma once
// Peer authentication with a shared secret: a challenge-response over HMAC-SHA256 (OpenSSL), so an
// AT is accepted only from a link that proved it knows the secret. The secret is never logged.
//
//   link -> node:  HERD-HELLO <link's name> <link nonce>
//   node -> link:  HERD-CHALLENGE <node nonce>
//   link -> node:  HERD-AUTH <hex HMAC(secret, "herd-peer|" name "|" link nonce "|" node nonce)>

#include <string>
#include <string_view>

namespace herd {

// 32 hex digits from the system's secure random source.
[[nodiscard]] std::string random_nonce();

[[nodiscard]] std::string peer_proof(std::string_view secret, std::string_view name,
                                     std::string_view link_nonce, std::string_view node_nonce);

// Compares in constant time.
[[nodiscard]] bool proof_matches(std::string_view expected, std::string_view given);

}  // namespace herd
