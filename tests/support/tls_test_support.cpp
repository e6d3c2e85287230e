#include "tls_test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace sipvault::test {
namespace {

void run(const std::string& dir, const std::string& step, const std::string& command) {
  std::string output;
  if (runShell("cd '" + dir + "' && " + command, output) != 0)
    throw std::runtime_error("test certificates: " + step + " failed: " + output);
}

// A key and a certificate signed by `ca` (files <name>.key, <name>.pem) with these extensions.
void issue(const std::string& dir, const std::string& name, const std::string& subject, const std::string& ca,
           const std::string& extensions) {
  std::ofstream(dir + "/" + name + ".ext") << extensions;
  run(dir, name + " key", "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
                              ".key -out " + name + ".csr -subj '" + subject + "'");
  run(dir, name + " certificate", "openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                                      ".key -CAcreateserial -days 2 -out " + name + ".pem -extfile " + name + ".ext");
}

void makeCa(const std::string& dir, const std::string& name, const std::string& subject) {
  run(dir, name, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout " + name +
                     ".key -out " + name + ".pem -subj '" + subject + "'");
}

struct CertificateDir {
  TestCertificates certs;
  CertificateDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sipvault-tls-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("test certificates: mkdtemp failed");
    const std::string d = tmpl;
    certs.dir = d;
    makeCa(d, "ca", "/CN=sipvault test CA");
    makeCa(d, "other-ca", "/CN=unrelated test CA");
    const std::string leaf = "basicConstraints=CA:FALSE\n";
    issue(d, "server", "/CN=localhost", "ca",
          leaf + "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n");
    issue(d, "misnamed", "/CN=collector.invalid", "ca",
          leaf + "subjectAltName=DNS:collector.invalid\nextendedKeyUsage=serverAuth\n");
    issue(d, "client", "/CN=sipvault-agent", "ca", leaf + "extendedKeyUsage=clientAuth\n");
    issue(d, "other-client", "/CN=intruder", "other-ca", leaf + "extendedKeyUsage=clientAuth\n");
    certs.ca = d + "/ca.pem";
    certs.server_cert = d + "/server.pem";
    certs.server_key = d + "/server.key";
    certs.misnamed_cert = d + "/misnamed.pem";
    certs.misnamed_key = d + "/misnamed.key";
    certs.client_cert = d + "/client.pem";
    certs.client_key = d + "/client.key";
    certs.other_ca = d + "/other-ca.pem";
    certs.other_client_cert = d + "/other-client.pem";
    certs.other_client_key = d + "/other-client.key";
  }
  ~CertificateDir() {
    std::error_code ec;
    std::filesystem::remove_all(certs.dir, ec);
  }
};

}  // namespace

const TestCertificates& testCertificates() {
  static const CertificateDir dir;
  return dir.certs;
}

int runShell(const std::string& command, std::string& output) {
  output.clear();
  FILE* p = ::popen(("(" + command + ") 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  const int st = ::pclose(p);
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace sipvault::test
