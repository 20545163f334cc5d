#include "core/places_client.hpp"

#include <httplib.h>
#include <openssl/x509.h>

#include <chrono>
#include <mutex>
#include <vector>

#include "core/places_format.hpp"

namespace herd {
namespace {

struct SplitUrl {
  std::string origin;  // scheme://host[:port]
  std::string path;
};

bool split_url(const std::string& url, SplitUrl& out) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  auto scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  auto path_start = url.find('/', scheme_end + 3);
  out.origin = url.substr(0, path_start);
  out.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  return out.origin.size() > scheme_end + 3;
}

std::string percent_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

// What went wrong, in words a log reader acts on: a read that ran out of time says so, not "Read";
// a certificate that is not trusted says why, and which setting names the trusted ones.
std::string PlacesClient::describe_failure(int error, long verify_result,
                                           std::chrono::steady_clock::time_point began) const {
  auto code = static_cast<httplib::Error>(error);
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - began)
                    .count();
  bool out_of_time = waited + 20 >= settings_.timeout_ms;
  if (code == httplib::Error::ConnectionTimeout ||
      ((code == httplib::Error::Read || code == httplib::Error::Write) && out_of_time))
    return "Places timed out after " + std::to_string(settings_.timeout_ms) + " ms";
  if (code == httplib::Error::Connection) return "cannot connect to Places at " + origin_;
  auto trusted = settings_.ca_file.empty() ? std::string("the system's certificate authorities")
                                           : "the certificates in " + settings_.ca_file;
  if (code == httplib::Error::SSLServerVerification) {
    std::string why = verify_result != X509_V_OK ? X509_verify_cert_error_string(verify_result)
                                                 : "its name does not match " + origin_;
    return "refused the certificate of " + origin_ + ": " + why + " (trusted: " + trusted +
           "; --places-ca-file names others)";
  }
  if (code == httplib::Error::SSLLoadingCerts)
    return "cannot load " + trusted + " for https to Places";
  if (code == httplib::Error::SSLConnection)
    return "TLS handshake with Places at " + origin_ + " failed";
  return "Places request failed: " + httplib::to_string(code) + " after " + std::to_string(waited) +
         " ms";
}

std::string nearby_location(const NearbyQuery& query) {
  // A '+' would read as a space in a query string, and Google wants no sign on positives.
  auto unsigned_plus = [](std::string_view v) { return v.starts_with('+') ? v.substr(1) : v; };
  return std::string(unsigned_plus(query.latitude)) + "," +
         std::string(unsigned_plus(query.longitude));
}

std::string nearby_query_string(const NearbyQuery& query, std::string_view key) {
  return "location=" + percent_encode(nearby_location(query)) +
         "&radius=" + percent_encode(query.radius_metres) + "&key=" + percent_encode(key);
}

struct PlacesClient::Pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<httplib::Client>> idle;
};

PlacesClient::PlacesClient(PlacesSettings settings)
    : settings_(std::move(settings)), pool_(std::make_unique<Pool>()) {
  SplitUrl url;
  if (split_url(settings_.url, url)) {
    origin_ = std::move(url.origin);
    path_ = std::move(url.path);
  }
}

PlacesClient::~PlacesClient() = default;

PlacesAnswer PlacesClient::fetch(const NearbyQuery& query) {
  auto failed = [](std::string message) {
    auto body = places_error_body(message);
    return PlacesAnswer{std::move(body), std::move(message)};
  };
  if (origin_.empty()) return failed("the Places URL is not an http(s) URL");
  try {
    std::unique_ptr<httplib::Client> client;
    {
      std::lock_guard lock(pool_->mutex);
      if (!pool_->idle.empty()) {
        client = std::move(pool_->idle.back());
        pool_->idle.pop_back();
      }
    }
    if (!client) {
      client = std::make_unique<httplib::Client>(origin_);
      auto timeout_s = settings_.timeout_ms / 1000;
      auto timeout_us = (settings_.timeout_ms % 1000) * 1000;
      client->set_connection_timeout(timeout_s, timeout_us);
      client->set_read_timeout(timeout_s, timeout_us);
      client->set_write_timeout(timeout_s, timeout_us);
      // A connection the server closed while idle is reopened by the library on the next call.
      client->set_keep_alive(true);
      // A kept-alive connection leaves TCP's quick-ACK start, so without this Nagle's algorithm
      // would hold back a request's second write until the server's delayed ACK.
      client->set_tcp_nodelay(true);
      client->enable_server_certificate_verification(true);
      if (!settings_.ca_file.empty()) client->set_ca_cert_path(settings_.ca_file);
    }
    const bool new_api = uses_new_api(settings_);
    httplib::Request request;
    if (new_api) {
      // The key goes in a header, so it is in no URL that a proxy or a log might keep.
      request.method = "POST";
      request.path = path_;
      request.headers = {{"Content-Type", "application/json"},
                         {"X-Goog-Api-Key", settings_.key},
                         {"X-Goog-FieldMask", settings_.field_mask}};
      request.body = search_nearby_request(query);
    } else {
      request.method = "GET";
      request.path = path_ + "?" + nearby_query_string(query, settings_.key);
    }
    std::string body;
    bool too_large = false;
    request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t,
                                   std::uint64_t) {
      if (body.size() + length > settings_.max_body_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, length);
      return true;
    };
    auto began = std::chrono::steady_clock::now();
    httplib::Response response;
    auto error = httplib::Error::Success;
    bool sent = client->send(request, response, error);
    // Only a connection that finished a whole exchange is fit to carry the next one.
    if (sent && !too_large) {
      std::lock_guard lock(pool_->mutex);
      if (pool_->idle.size() < max_idle_connections) pool_->idle.push_back(std::move(client));
    }
    if (too_large) return failed("Places answered with a body over the size limit");
    if (!sent) {
      long verify = error == httplib::Error::SSLServerVerification && client
                        ? client->get_openssl_verify_result()
                        : 0;
      return failed(describe_failure(static_cast<int>(error), verify, began));
    }
    if (new_api)
      return shape_search_nearby(response.status, body, query.bound, settings_.new_reply);
    if (response.status != 200)
      return failed("Places answered HTTP " + std::to_string(response.status));
    return shape_legacy_answer(body, query.bound);
  } catch (const std::exception& e) {
    return failed(std::string("Places request failed: ") + e.what());
  }
}

}  // namespace herd
