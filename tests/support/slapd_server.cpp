#include "slapd_server.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "tls_test_support.h"

namespace sipvault::test {

namespace {

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string person(const std::string& uid, const std::string& password) {
  return "dn: uid=" + uid + ",ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: " + uid +
         "\ncn: " + uid + "\nsn: " + uid + "\nuserPassword: " + password + "\n\n";
}

}  // namespace

SlapdServer::SlapdServer() {
  static int instance = 0;
  dir_ = std::string(SIPVAULT_BINARY_DIR) + "/tests/slapd-" + std::to_string(getpid()) + "-" +
         std::to_string(instance++);
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_ + "/db");
  const TestCertificates& certs = testCertificates();
  ldap_port_ = freePort();
  do ldaps_port_ = freePort();
  while (ldaps_port_ == ldap_port_);

  // Passwords are plain userPassword values (slapd compares them on a simple bind). Anonymous
  // users may only bind; the service account and every user read everything but passwords.
  const std::string conf = dir_ + "/slapd.conf";
  writeFile(conf,
            "include /etc/ldap/schema/core.schema\n"
            "include /etc/ldap/schema/cosine.schema\n"
            "include /etc/ldap/schema/inetorgperson.schema\n"
            "include /etc/ldap/schema/nis.schema\n"
            "modulepath /usr/lib/ldap\n"
            "moduleload back_mdb\n"
            "pidfile " +
                dir_ +
                "/slapd.pid\n"
                "TLSCACertificateFile " +
                certs.ca +
                "\n"
                "TLSCertificateFile " +
                certs.server_cert +
                "\n"
                "TLSCertificateKeyFile " +
                certs.server_key +
                "\n"
                "database mdb\n"
                "maxsize 104857600\n"
                "suffix \"dc=example,dc=org\"\n"
                "rootdn \"cn=root,dc=example,dc=org\"\n"
                "rootpw root-secret-1\n"
                "directory " +
                dir_ +
                "/db\n"
                "access to attrs=userPassword by anonymous auth by self read by * none\n"
                "access to * by users read by * none\n");
  const std::string ldif = dir_ + "/data.ldif";
  writeFile(
      ldif,
      "dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\no: example\ndc: example\n\n"
      "dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\n\n"
      "dn: ou=groups,dc=example,dc=org\nobjectClass: organizationalUnit\nou: groups\n\n"
      "dn: cn=reader,dc=example,dc=org\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
      "cn: reader\nuserPassword: " +
          std::string(kReaderPassword) + "\n\n" + person("alice", kAlicePassword) +
          person("bob", kBobPassword) + person("carol", kCarolPassword) + "dn: " + kAdminGroup +
          "\nobjectClass: groupOfNames\ncn: sipvault-admins\n"
          "member: uid=alice,ou=people,dc=example,dc=org\n\n"
          "dn: " +
          kViewerGroup +
          "\nobjectClass: groupOfNames\ncn: sipvault-viewers\n"
          "member: uid=alice,ou=people,dc=example,dc=org\nmember: uid=bob,ou=people,dc=example,dc=org\n\n");
  std::string output;
  if (runShell("/usr/sbin/slapadd -f " + conf + " -l " + ldif, output) != 0)
    throw std::runtime_error("slapadd failed: " + output);
  // -d 0: stay in the foreground (a child we can stop by its pid), log nothing extra.
  proc_ =
      std::make_unique<ChildProcess>(std::vector<std::string>{"/usr/sbin/slapd", "-f", conf, "-h",
                                                              ldapUrl() + "/ " + ldapsUrl() + "/", "-d", "0"},
                                     dir_ + "/slapd.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    if (runShell("LDAPNOINIT=1 ldapwhoami -x -H " + ldapUrl() + " -D " + kReaderDn + " -w " + kReaderPassword,
                 output) == 0)
      break;
    if (!proc_->running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("slapd did not start: " + output + "\n" + proc_->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

const std::string& SlapdServer::caFile() const { return testCertificates().ca; }

void SlapdServer::stop() {
  if (proc_) proc_->stop();
  proc_.reset();
}

SlapdServer::~SlapdServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace sipvault::test
