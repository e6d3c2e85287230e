// LDAP login (issue 16) against a real OpenLDAP server started by the test
// (tests/support/slapd_server.h: loopback, LDAP and LDAPS, users alice/bob/carol, two groups) and a
// real sipvault-api configured for it: search and direct-bind modes, group -> role, LDAPS checked
// against the test CA, the directory down -> 503 and a log line while local admins still log in.
#include <Poco/JSON/Object.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "api/ldap_directory.h"
#include "api_test_env.h"
#include "child_process.h"
#include "slapd_server.h"
#include "tls_test_support.h"

using namespace sipvault;
using namespace sipvault::apitest;
using namespace std::chrono_literals;
using test::SlapdServer;

namespace {

SlapdServer& slapd() {
  static SlapdServer server;
  return server;
}

// A sipvault-api of its own, over the api tests' database, with `ldap_keys` (INI lines of [api]).
struct LdapApi {
  int port = test::freePort();
  std::string base;
  std::unique_ptr<test::ChildProcess> proc;

  explicit LdapApi(const std::string& ldap_keys) {
    static int n = 0;
    (void)apitest::api();  // the pipeline's database and the local admin
    base = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/ldap-api-" + std::to_string(getpid()) + "-" +
           std::to_string(n++);
    std::ofstream(base + ".ini") << "[api]\n" << ldap_keys;
    proc = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::binaryPath("api", "sipvault-api"), "--config", base + ".ini",
                                 "--listen", "127.0.0.1:" + std::to_string(port), "--db-socket",
                                 SIPVAULT_TEST_DB_SOCKET, "--db-name", kDatabase},
        base + ".log");
    REQUIRE(proc->waitForLog("event=listening", 30s));
  }
  ~LdapApi() {
    if (proc) proc->stop();
  }
  [[nodiscard]] HttpResult login(const std::string& user, const std::string& password) const {
    Poco::JSON::Object o;
    o.set("username", user);
    o.set("password", password);
    std::ostringstream s;
    o.stringify(s);
    return ApiClient(port).post("/api/v1/login", s.str());
  }
};

std::string searchKeys(const std::string& url) {
  return "ldap_url = " + url + "\nldap_base_dn = ou=people," + SlapdServer::kSuffix +
         "\nldap_bind_dn = " + SlapdServer::kReaderDn +
         "\nldap_bind_password = " + SlapdServer::kReaderPassword +
         "\nldap_user_filter = (&(objectClass=inetOrgPerson)(uid={user}))\nldap_admin_group = " +
         SlapdServer::kAdminGroup + "\nldap_viewer_group = " + SlapdServer::kViewerGroup +
         "\nldap_timeout_s = 3\n";
}

std::string errorCode(const HttpResult& r) {
  return r.json()->getObject("error")->getValue<std::string>("code");
}

}  // namespace

TEST_CASE("LDAP filter and DN values are escaped", "[api][ldap][unit]") {
  using api::LdapDirectory;
  CHECK(LdapDirectory::escapeFilter("a*b(c)\\d") == "a\\2ab\\28c\\29\\5cd");
  CHECK(LdapDirectory::escapeFilter(std::string("x\0y", 3)) == "x\\00y");
  CHECK(LdapDirectory::escapeDnValue("a,b+c=d") == "a\\,b\\+c\\=d");
  CHECK(LdapDirectory::escapeDnValue("#x ") == "\\#x\\ ");
  CHECK(LdapDirectory::escapeDnValue("alice") == "alice");
}

TEST_CASE("LDAP login by search maps groups to roles, refuses wrong passwords and users in no group",
          "[api][ldap][integration]") {
  LdapApi s(searchKeys(slapd().ldapUrl()));
  HttpResult alice = s.login("alice", SlapdServer::kAlicePassword);
  INFO(alice.body);
  REQUIRE(alice.status == 200);
  CHECK(alice.json()->getValue<std::string>("role") == "admin");
  const ApiClient as_alice(s.port, alice.json()->getValue<std::string>("token"));
  CHECK(as_alice.get("/api/v1/users").status == 200);
  CHECK(as_alice.get("/api/v1/me").json()->getValue<std::string>("username") == "alice");

  HttpResult bob = s.login("bob", SlapdServer::kBobPassword);
  REQUIRE(bob.status == 200);
  CHECK(bob.json()->getValue<std::string>("role") == "viewer");
  const ApiClient as_bob(s.port, bob.json()->getValue<std::string>("token"));
  CHECK(as_bob.get("/api/v1/calls").status == 200);
  CHECK(as_bob.get("/api/v1/users").status == 403);

  CHECK(s.login("carol", SlapdServer::kCarolPassword).status == 401);  // in no group
  CHECK(s.login("alice", "wrong-password").status == 401);
  CHECK(s.login("alice", "").status == 401);  // an empty password would be an anonymous bind
  CHECK(s.login("nobody", "whatever-1").status == 401);
  CHECK(s.login("ali*", SlapdServer::kAlicePassword).status == 401);  // no filter injection
  // The local admin still logs in with LDAP configured.
  CHECK(s.login("admin", apitest::api().admin_password).status == 200);
  CHECK(s.proc->log().find("event=ldap_login ") != std::string::npos);
}

TEST_CASE("LDAP login by direct bind over LDAPS and StartTLS checks the server against api.ldap_ca_file",
          "[api][ldap][integration]") {
  const std::string direct = "ldap_url = " + slapd().ldapsUrl() + "\nldap_user_dn = uid={user},ou=people," +
                             SlapdServer::kSuffix + "\nldap_admin_group = " + SlapdServer::kAdminGroup +
                             "\nldap_viewer_group = " + SlapdServer::kViewerGroup + "\nldap_timeout_s = 3\n";
  {
    LdapApi s(direct + "ldap_ca_file = " + slapd().caFile() + "\n");
    HttpResult alice = s.login("alice", SlapdServer::kAlicePassword);
    INFO(alice.body);
    REQUIRE(alice.status == 200);
    CHECK(alice.json()->getValue<std::string>("role") == "admin");
    HttpResult bob = s.login("bob", SlapdServer::kBobPassword);
    REQUIRE(bob.status == 200);
    CHECK(bob.json()->getValue<std::string>("role") == "viewer");
    CHECK(s.login("bob", SlapdServer::kAlicePassword).status == 401);
  }
  {
    // StartTLS on the plain port, same CA check.
    LdapApi s("ldap_url = " + slapd().ldapUrl() + "\nldap_starttls = true\nldap_ca_file = " + slapd().caFile() +
              "\nldap_user_dn = uid={user},ou=people," + SlapdServer::kSuffix +
              "\nldap_admin_group = " + SlapdServer::kAdminGroup + "\n");
    HttpResult alice = s.login("alice", SlapdServer::kAlicePassword);
    INFO(alice.body);
    CHECK(alice.status == 200);
    CHECK(s.login("carol", SlapdServer::kCarolPassword).status == 200);  // no viewer group: every user is a viewer
  }
  {
    LdapApi s("ldap_url = " + slapd().ldapUrl() + "\nldap_starttls = true\nldap_ca_file = " +
              test::testCertificates().other_ca + "\nldap_user_dn = uid={user},ou=people," + SlapdServer::kSuffix + "\n");
    CHECK(s.login("alice", SlapdServer::kAlicePassword).status == 503);  // StartTLS really checks the certificate
  }
  {
    // A CA that did not sign the server's certificate: the TLS handshake fails -> the directory
    // cannot be used (503), never a login.
    std::string other_ca = test::testCertificates().other_ca;
    LdapApi s(direct + "ldap_ca_file = " + other_ca + "\n");
    HttpResult r = s.login("alice", SlapdServer::kAlicePassword);
    CHECK(r.status == 503);
    CHECK(errorCode(r) == "directory_unavailable");
  }
}

TEST_CASE("the directory down: a clear 503 and a log line for directory users, local admins still log in",
          "[api][ldap][integration]") {
  const int dead_port = test::freePort();  // nothing listens there
  LdapApi s(searchKeys("ldap://127.0.0.1:" + std::to_string(dead_port)));
  HttpResult r = s.login("alice", SlapdServer::kAlicePassword);
  REQUIRE(r.status == 503);
  CHECK(errorCode(r) == "directory_unavailable");
  CHECK(r.json()->getObject("error")->getValue<std::string>("message").find("LDAP") != std::string::npos);
  CHECK(s.proc->waitForLog("event=ldap_unavailable", 5s));
  HttpResult local = s.login("admin", apitest::api().admin_password);
  CHECK(local.status == 200);
  CHECK(local.json()->getValue<std::string>("role") == "admin");

  // A server that goes away after users logged in through it: the same answer.
  SlapdServer own;
  LdapApi t(searchKeys(own.ldapUrl()));
  REQUIRE(t.login("bob", SlapdServer::kBobPassword).status == 200);
  own.stop();
  HttpResult down = t.login("bob", SlapdServer::kBobPassword);
  CHECK(down.status == 503);
  CHECK(t.login("admin", apitest::api().admin_password).status == 200);
}

TEST_CASE("a bad LDAP configuration stops the api at start with exit 78 naming the key", "[api][ldap][integration]") {
  const std::string base = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/ldap-badconf-" + std::to_string(getpid());
  for (const auto& [keys, named] : std::vector<std::pair<std::string, std::string>>{
           {"ldap_url = http://127.0.0.1:1\nldap_base_dn = dc=x\n", "api.ldap_url"},
           {"ldap_url = ldap://127.0.0.1:1\n", "api.ldap_base_dn"},
           {"ldap_url = ldap://127.0.0.1:1\nldap_user_dn = uid=x,dc=x\n", "api.ldap_user_dn"}}) {
    INFO(keys);
    std::ofstream(base + ".ini") << "[api]\n" << keys;
    test::ChildProcess proc({test::binaryPath("api", "sipvault-api"), "--config", base + ".ini", "--listen",
                             "127.0.0.1:" + std::to_string(test::freePort()), "--db-socket", SIPVAULT_TEST_DB_SOCKET,
                             "--db-name", kDatabase},
                            base + ".log");
    CHECK(proc.wait(20s) == 78);
    CHECK(proc.log().find(named) != std::string::npos);
  }
}
