#pragma once
// Test support: a private OpenLDAP server (Debian's slapd) for one test process, the way the
// `mariadb` fixture gives the tests a private MariaDB. Its config, database and TLS files live in
// a directory under the build tree; it listens on loopback only, on free ports, plain LDAP and
// LDAPS (certificate: tls_test_support.h's server certificate, SAN localhost / 127.0.0.1, signed
// by its test CA). Stopped (SIGTERM) and its directory removed on destruction.
//
// The directory (suffix dc=example,dc=org; anonymous users can bind, nothing else):
//   cn=reader,dc=example,dc=org                 service account, password kReaderPassword
//   uid=alice,ou=people,...  password kAlicePassword   member of sipvault-admins and sipvault-viewers
//   uid=bob,ou=people,...    password kBobPassword     member of sipvault-viewers
//   uid=carol,ou=people,...  password kCarolPassword   in no group
//   cn=sipvault-admins,ou=groups,...  cn=sipvault-viewers,ou=groups,...  (groupOfNames)
#include <memory>
#include <string>

#include "child_process.h"

namespace sipvault::test {

class SlapdServer {
 public:
  static constexpr const char* kSuffix = "dc=example,dc=org";
  static constexpr const char* kReaderDn = "cn=reader,dc=example,dc=org";
  static constexpr const char* kReaderPassword = "reader-secret-1";
  static constexpr const char* kAlicePassword = "alice-secret-1";
  static constexpr const char* kBobPassword = "bob-secret-1";
  static constexpr const char* kCarolPassword = "carol-secret-1";
  static constexpr const char* kAdminGroup = "cn=sipvault-admins,ou=groups,dc=example,dc=org";
  static constexpr const char* kViewerGroup = "cn=sipvault-viewers,ou=groups,dc=example,dc=org";

  // Writes the config, loads the entries (slapadd), starts slapd and waits until it answers.
  // Throws std::runtime_error naming the step that failed (with its output).
  SlapdServer();
  ~SlapdServer();
  SlapdServer(const SlapdServer&) = delete;
  SlapdServer& operator=(const SlapdServer&) = delete;

  [[nodiscard]] std::string ldapUrl() const { return "ldap://127.0.0.1:" + std::to_string(ldap_port_); }
  [[nodiscard]] std::string ldapsUrl() const { return "ldaps://127.0.0.1:" + std::to_string(ldaps_port_); }
  [[nodiscard]] const std::string& caFile() const;  // the CA that signed the LDAPS certificate
  [[nodiscard]] const std::string& dir() const { return dir_; }
  void stop();

 private:
  std::string dir_;
  int ldap_port_ = 0;
  int ldaps_port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace sipvault::test
