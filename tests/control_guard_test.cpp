// Who may use the live view's control API (request_guard.hpp), and reply patterns that can never
// crash or spin a herd (reply_pattern.hpp). Pure: headers in, verdicts out.

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "sim/live/request_guard.hpp"
#include "sim/workload/reply_pattern.hpp"

using namespace herd;

namespace {

const std::string token = "0123456789abcdef0123456789abcdef";

RequestFacts page_request(std::string method, std::string path) {
  RequestFacts r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.host = "127.0.0.1:8080";
  r.token_param = token;
  if (r.method == "POST") {
    r.has_origin = true;
    r.origin = "http://127.0.0.1:8080";
    r.fetch_site = "same-origin";
    r.content_type = "application/json";
  }
  return r;
}

}  // namespace

TEST_CASE("the page's own requests are served") {
  RequestGuard guard("127.0.0.1", 8080, token);
  CHECK(guard.judge(page_request("GET", "/")).status == 0);
  CHECK(guard.judge(page_request("GET", "/api/state")).status == 0);
  CHECK(guard.judge(page_request("POST", "/api/steps")).status == 0);
  auto bearer = page_request("GET", "/api/state");
  bearer.token_param.clear();
  bearer.authorization = "Bearer " + token;
  CHECK(guard.judge(bearer).status == 0);
  auto with_charset = page_request("POST", "/api/clock");
  with_charset.content_type = "application/json; charset=utf-8";
  CHECK(guard.judge(with_charset).status == 0);
  auto localhost = page_request("GET", "/api/state");
  localhost.host = "localhost:8080";
  CHECK(guard.judge(localhost).status == 0);
}

TEST_CASE("a page on another origin cannot post a step, simple request or not") {
  RequestGuard guard("127.0.0.1", 8080, token);
  auto simple = page_request("POST", "/api/steps");
  simple.origin = "http://evil.example";
  simple.fetch_site = "cross-site";
  simple.content_type = "text/plain";
  simple.token_param.clear();
  auto verdict = guard.judge(simple);
  CHECK(verdict.status == 403);
  // Another port of this very host is another origin too.
  auto next_door = page_request("POST", "/api/steps");
  next_door.origin = "http://127.0.0.1:9999";
  next_door.fetch_site.clear();
  CHECK(guard.judge(next_door).status == 403);
  auto opaque = page_request("POST", "/api/steps");
  opaque.origin = "null";  // a sandboxed frame or a file:// page
  CHECK(guard.judge(opaque).status == 403);
  // A browser's preflight from elsewhere is refused; the page's own is answered.
  auto preflight = page_request("OPTIONS", "/api/steps");
  preflight.has_origin = true;
  preflight.origin = "http://evil.example";
  CHECK(guard.judge(preflight).status == 403);
  preflight.origin = "http://127.0.0.1:8080";
  CHECK(guard.judge(preflight).status == 204);
  // An image or script tag on another site sends no Origin, but says where it came from.
  auto tag = page_request("GET", "/api/state");
  tag.fetch_site = "cross-site";
  CHECK(guard.judge(tag).status == 403);
}

TEST_CASE("a DNS name pointing here is refused: rebinding reads nothing") {
  RequestGuard guard("127.0.0.1", 8080, token);
  for (const char* host : {"evil.example:8080", "evil.example", "127.0.0.1.nip.io:8080",
                           "127.0.0.1:8081", "127.0.0.1", "[::1]:8080x", ""}) {
    auto r = page_request("GET", "/api/state");
    r.host = host;
    CHECK_MESSAGE(guard.judge(r).status == 403, host);
  }
  auto page = page_request("GET", "/");
  page.host = "evil.example:8080";
  CHECK(guard.judge(page).status == 403);
  // Bound to every address, any address names it; a name still does not.
  RequestGuard wide("0.0.0.0", 8080, token);
  CHECK(wide.host_allowed("192.168.1.20:8080"));
  CHECK(wide.host_allowed("localhost:8080"));
  CHECK_FALSE(wide.host_allowed("teacher.example.edu:8080"));
  RequestGuard v6("::1", 8080, token);
  CHECK(v6.host_allowed("[::1]:8080"));
  CHECK_FALSE(v6.host_allowed("::1:8080"));
}

TEST_CASE("the API wants the token and JSON, --control-open drops only the token") {
  RequestGuard guard("127.0.0.1", 8080, token);
  auto none = page_request("GET", "/api/state");
  none.token_param.clear();
  CHECK(guard.judge(none).status == 401);
  auto wrong = page_request("GET", "/api/events");
  wrong.token_param = token.substr(0, 31) + "0";
  CHECK(guard.judge(wrong).status == 401);
  auto form = page_request("POST", "/api/steps");
  form.content_type = "application/x-www-form-urlencoded";
  CHECK(guard.judge(form).status == 415);
  CHECK(guard.judge(page_request("GET", "/")).status == 0);  // the page itself holds no secret
  RequestGuard open("127.0.0.1", 8080, "");
  none.token_param.clear();
  CHECK(open.judge(none).status == 0);
  auto evil = page_request("POST", "/api/steps");
  evil.origin = "http://evil.example";
  CHECK(open.judge(evil).status == 403);
}

TEST_CASE("a chunked body, past the size cap's count, and a second Host header are refused") {
  RequestGuard guard("127.0.0.1", 8080, token);
  auto chunked = page_request("POST", "/api/steps");
  chunked.chunked = true;
  CHECK(guard.judge(chunked).status == 411);
  auto two_hosts = page_request("GET", "/api/state");
  two_hosts.host_headers = 2;  // "127.0.0.1:8080" first, a rebinding name after it
  CHECK(guard.judge(two_hosts).status == 400);
}

TEST_CASE("error messages are JSON whatever bytes a request put in them") {
  auto text = error_json(std::string("bad \xff\xfe byte\x01 and \"quote\""));
  auto parsed = nlohmann::json::parse(text);
  CHECK(parsed["error"].get<std::string>().find("quote") != std::string::npos);
  CHECK(control_url("127.0.0.1", 8080, token) == "http://127.0.0.1:8080/?token=" + token);
  CHECK(control_url("0.0.0.0", 80, "") == "http://127.0.0.1:80/");
  CHECK(control_url("::", 8080, "t") == "http://[::1]:8080/?token=t");
}

TEST_CASE("a pattern that backtracks without end, or recurses, matches in linear time") {
  // std::regex overflowed the stack on the first and spun for 15 s on the second.
  std::string long_id = "AT Clark +0.1 " + std::string(30000, 'x') + " +1+1 1700000000";
  auto began = std::chrono::steady_clock::now();
  CHECK(pattern_matches("(.|\\s)*", long_id));
  CHECK_FALSE(pattern_matches("(a|aa)*c", std::string(40, 'a')));
  CHECK_FALSE(pattern_matches("(a*)*b", std::string(100000, 'a')));
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(5));
}

TEST_CASE("reply patterns: RE2 syntax, with JavaScript's [^] read as any character") {
  CHECK(pattern_matches("AT Clark [^\\n]*\\n\\{[^]*\\}\\n\\n", "AT Clark x\n{\n \"a\" : 1\n}\n\n"));
  CHECK(pattern_matches("[+-][0-9]+\\.[0-9]{9}", "+0.263873386"));
  CHECK_FALSE(pattern_matches("[+-][0-9]+\\.[0-9]{9}", "+0.2638733"));
  CHECK(check_pattern("a{2,1000}"));
  CHECK_FALSE(check_pattern("(a)\\1"));  // back-references need backtracking
  CHECK_FALSE(check_pattern("a{2000}"));
  CHECK(pattern_matches("a{5555555555002153233}", "a{5555555555002153233}"));  // plain text
  CHECK_FALSE(check_pattern("("));
}
