// sipvault-api over HTTPS (api.tls_cert / api.tls_key): a real sipvault-api process over the
// pipeline-filled test database, driven with curl (a client none of us wrote) that checks the
// certificate against the test CA made at test time (tests/support/tls_test_support.h).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "api/api_server.h"
#include "api_test_env.h"
#include "child_process.h"
#include "tls_test_support.h"

using namespace sipvault;
using namespace sipvault::apitest;
using namespace std::chrono_literals;

namespace {

const test::TestCertificates& certs() { return test::testCertificates(); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CurlResult {
  int exit_code = -1;
  int status = 0;
  std::string headers;  // as received, lower-cased names not applied
  std::string body;
  std::string output;   // curl's own messages
};

// The HTTPS api of this test process, on its own port, over the api tests' database.
struct HttpsApi {
  int port = test::freePort();
  std::string base = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/https-" + std::to_string(getpid());
  std::unique_ptr<test::ChildProcess> proc;

  HttpsApi() {
    (void)apitest::api();  // loads the pipeline and the admin when needed
    proc = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::binaryPath("api", "sipvault-api"), "--listen",
                                 "127.0.0.1:" + std::to_string(port), "--tls-cert", certs().server_cert, "--tls-key",
                                 certs().server_key, "--db-socket", SIPVAULT_TEST_DB_SOCKET, "--db-name", kDatabase},
        base + ".log");
    REQUIRE(proc->waitForLog("event=listening", 30s));
  }
  ~HttpsApi() {
    if (proc) proc->stop();
  }

  // curl with the test CA; `args` go before the URL (method, headers, body).
  CurlResult curl(const std::string& url, const std::string& args = "", const std::string& ca_args = "") const {
    static int n = 0;
    const std::string prefix = base + "-curl-" + std::to_string(n++);
    CurlResult r;
    r.exit_code = test::runShell("curl -sS --max-time 20 " + (ca_args.empty() ? "--cacert " + certs().ca : ca_args) +
                                     " -D " + prefix + ".headers -o " + prefix + ".body -w '%{http_code}' " + args +
                                     " '" + url + "'",
                                 r.output);
    r.headers = slurp(prefix + ".headers");
    r.body = slurp(prefix + ".body");
    std::remove((prefix + ".headers").c_str());
    std::remove((prefix + ".body").c_str());
    if (r.exit_code == 0 && r.output.size() >= 3) r.status = std::stoi(r.output.substr(r.output.size() - 3));
    return r;
  }
  [[nodiscard]] std::string url(const std::string& target, const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port) + target;
  }
};

HttpsApi& httpsApi() {
  static HttpsApi instance;
  return instance;
}

Poco::JSON::Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string loginBody() {
  return "{\"username\":\"admin\",\"password\":\"" + apitest::api().admin_password + "\"}";
}

}  // namespace

TEST_CASE("over HTTPS, login and search work for curl checking the certificate against the CA",
          "[api][tls][integration]") {
  const HttpsApi& s = httpsApi();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    INFO(host);
    CurlResult login = s.curl(s.url("/api/v1/login", host), "-X POST -H 'Content-Type: application/json' -d '" +
                                                                loginBody() + "'");
    INFO(login.output);
    REQUIRE(login.exit_code == 0);
    REQUIRE(login.status == 200);
    const std::string token = parse(login.body)->getValue<std::string>("token");
    CHECK(token.size() >= 40);
    // Any cookie set over HTTPS carries Secure.
    std::istringstream lines(login.headers);
    for (std::string line; std::getline(lines, line);)
      if (Poco::icompare(line.substr(0, 11), "set-cookie:") == 0) CHECK(line.find("Secure") != std::string::npos);
    CHECK(login.headers.find("X-Content-Type-Options: nosniff") != std::string::npos);
    // Issue 18: over HTTPS, browsers are told never to try plain HTTP for this host.
    CHECK(login.headers.find("Strict-Transport-Security: max-age=31536000") != std::string::npos);

    size_t expected = 0;
    for (const TruthMessage& t : truth()) expected += t.call_id == kLegB;
    REQUIRE(expected > 0);
    CurlResult search =
        s.curl(s.url("/api/v1/messages?from=0s&to=4102444800000ms&limit=1000&call_id=" + enc(kLegB), host),
               "-H 'Authorization: Bearer " + token + "'");
    INFO(search.output);
    REQUIRE(search.status == 200);
    auto items = parse(search.body)->getArray("items");
    CHECK(items->size() == expected);
    for (size_t i = 0; i < items->size(); ++i)
      CHECK(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("call_id") == kLegB);
  }
}

TEST_CASE("the HTTPS api presents the configured certificate: without the test CA curl refuses it",
          "[api][tls][integration]") {
  const HttpsApi& s = httpsApi();
  CurlResult r = s.curl(s.url("/api/v1/health"), "", "--cacert " + certs().other_ca);
  CHECK(r.exit_code == 60);  // curl: peer certificate cannot be authenticated
  CHECK(r.status == 0);
  CurlResult ok = s.curl(s.url("/api/v1/health"));
  CHECK(ok.status == 200);
}

TEST_CASE("plain HTTP to the HTTPS port fails at once and cleanly - the api keeps serving HTTPS",
          "[api][tls][integration]") {
  HttpsApi& s = httpsApi();
  const auto started = std::chrono::steady_clock::now();
  CurlResult plain = s.curl("http://127.0.0.1:" + std::to_string(s.port) + "/api/v1/health");
  CHECK(plain.exit_code != 0);  // empty reply / reset: no HTTP answer in clear text
  CHECK(plain.status == 0);
  CHECK(plain.headers.find("HTTP/") == std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  // The project's own plain HTTP client gets an error, not a hang or a response.
  CHECK_THROWS(ApiClient(s.port).get("/api/v1/health"));
  CHECK(s.proc->running());
  CurlResult ok = s.curl(s.url("/api/v1/health"));
  CHECK(ok.status == 200);
  CHECK(parse(ok.body)->getValue<std::string>("status") == "ok");
}

TEST_CASE("Set-Cookie values get the Secure attribute once", "[api][tls]") {
  using sipvault::api::withSecureAttribute;
  CHECK(withSecureAttribute("sid=abc") == "sid=abc; Secure");
  CHECK(withSecureAttribute("sid=abc; Path=/; HttpOnly") == "sid=abc; Path=/; HttpOnly; Secure");
  CHECK(withSecureAttribute("sid=abc; secure; HttpOnly") == "sid=abc; secure; HttpOnly");
  CHECK(withSecureAttribute("sid=abc;Secure") == "sid=abc;Secure");
  CHECK(withSecureAttribute("Secure=1") == "Secure=1; Secure");  // a cookie named Secure is no attribute
  CHECK(withSecureAttribute("sid=x; SameSite=Secure") == "sid=x; SameSite=Secure; Secure");
}

TEST_CASE("the api will not start with half a TLS pair or an unreadable certificate, and says why",
          "[api][tls][integration]") {
  const std::string exe = test::binaryPath("api", "sipvault-api");
  const std::string logs = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/https-bad-" + std::to_string(getpid());
  const std::string listen = "127.0.0.1:" + std::to_string(test::freePort());
  test::ChildProcess half({exe, "--listen", listen, "--tls-cert", certs().server_cert}, logs + "-half.log");
  CHECK(half.wait(20s) == 78);
  CHECK(half.log().find("api.tls_key") != std::string::npos);
  test::ChildProcess missing({exe, "--listen", listen, "--tls-cert", certs().dir + "/absent.pem", "--tls-key",
                              certs().server_key},
                             logs + "-missing.log");
  CHECK(missing.wait(20s) == 78);
  CHECK(missing.log().find("absent.pem") != std::string::npos);
  CHECK(missing.log().find("event=startup_failed") != std::string::npos);
}
