#pragma once
// A throwaway certificate authority for https tests: a CA, a server certificate it signed for
// 127.0.0.1 and localhost, and a second CA that signed nothing, written as PEM files.

#include <string>

namespace herd::test {

struct TestPki {
  std::string ca_file;        // the CA that signed the server's certificate
  std::string other_ca_file;  // a CA that did not
  std::string cert_file, key_file;
};

// Writes the files into `dir` (which must exist). Fails the test when OpenSSL refuses.
[[nodiscard]] TestPki make_test_pki(const std::string& dir);

}  // namespace herd::test
