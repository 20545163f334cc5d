#pragma once
// Peer authentication with a shared secret: a mutual challenge-response over HMAC-SHA256
// (OpenSSL), so an AT is accepted only from a link that proved it knows the secret, and a link
// sends only to a server that proved it too. The secret is never logged.
//
//   link -> node:  HERD-HELLO <from> <to> <link nonce>
//   node -> link:  HERD-CHALLENGE <node nonce> <node proof>
//   link -> node:  HERD-AUTH <link proof>
//
// Each proof covers both names, both nonces and its direction, so a proof made for one server
// means nothing to another and a node's answer cannot be replayed as a link's: a process that
// sits on a down neighbour's port and relays a real link's handshake to a third server is
// refused there, because the link named the neighbour it meant to reach.

#include <string>
#include <string_view>

namespace herd {

// 32 hex digits from the system's secure random source.
[[nodiscard]] std::string random_nonce();

// Whether `text` looks like a nonce: 16 to 64 hex digits.
[[nodiscard]] bool is_nonce(std::string_view text);

// What the link sends in HERD-AUTH: it, `from`, knows the secret and means to reach `to`.
[[nodiscard]] std::string link_proof(std::string_view secret, std::string_view from,
                                     std::string_view to, std::string_view link_nonce,
                                     std::string_view node_nonce);
// What the node sends with its challenge: it is `to`, and knows the secret.
[[nodiscard]] std::string node_proof(std::string_view secret, std::string_view from,
                                     std::string_view to, std::string_view link_nonce,
                                     std::string_view node_nonce);

// Compares two secrets or proofs in constant time.
[[nodiscard]] bool secrets_equal(std::string_view expected, std::string_view given);

}  // namespace herd
