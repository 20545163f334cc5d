#include "tests/test_pki.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace herd::test {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(std::FILE* p) const { std::fclose(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  REQUIRE(key);
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> extension(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value)));
  REQUIRE(extension);
  REQUIRE(X509_add_ext(cert, extension.get(), -1) == 1);
}

// A certificate for `key` named `common_name`, signed by `issuer` (itself when null).
Cert new_cert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
              long serial) {
  Cert cert(X509_new());
  REQUIRE(cert);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (issuer == nullptr) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid");
  }
  REQUIRE(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

void write_cert(const std::string& path, X509* cert) {
  std::unique_ptr<std::FILE, Free> file(std::fopen(path.c_str(), "w"));
  REQUIRE(file);
  REQUIRE(PEM_write_X509(file.get(), cert) == 1);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  std::unique_ptr<std::FILE, Free> file(std::fopen(path.c_str(), "w"));
  REQUIRE(file);
  REQUIRE(PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
  auto ca_key = new_key();
  auto ca = new_cert(ca_key.get(), "Herd Test CA", nullptr, nullptr, 1);
  auto other_key = new_key();
  auto other = new_cert(other_key.get(), "Herd Test CA", nullptr, nullptr, 1);
  auto server_key = new_key();
  auto server = new_cert(server_key.get(), "127.0.0.1", ca.get(), ca_key.get(), 2);
  TestPki pki{dir + "/ca.pem", dir + "/other-ca.pem", dir + "/server.pem", dir + "/server.key"};
  write_cert(pki.ca_file, ca.get());
  write_cert(pki.other_ca_file, other.get());
  write_cert(pki.cert_file, server.get());
  write_key(pki.key_file, server_key.get());
  return pki;
}

}  // namespace herd::test
