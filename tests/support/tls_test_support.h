#pragma once
// Test support for TLS: a fresh set of certificates made at test time with the openssl CLI in a
// temporary directory (no key is ever checked in), and a shell runner for third-party TLS
// clients (openssl s_client, curl). EC P-256 keys, valid for two days.
#include <string>

namespace sipvault::test {

struct TestCertificates {
  std::string dir;
  std::string ca;                            // the test CA (PEM); signed the next three
  std::string server_cert, server_key;       // CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
  std::string misnamed_cert, misnamed_key;   // SAN DNS:collector.invalid only (wrong name for 127.0.0.1)
  std::string client_cert, client_key;       // CN=sipvault-agent, extendedKeyUsage clientAuth
  std::string other_ca;                      // an unrelated CA
  std::string other_client_cert, other_client_key;  // a client certificate signed by other_ca
};

// Made once per process, removed at exit. Throws std::runtime_error naming the openssl step
// that failed (with its output).
[[nodiscard]] const TestCertificates& testCertificates();

// Runs `command` with /bin/sh; stdout+stderr go to `output`. Returns the exit status (-1 when
// it could not run).
int runShell(const std::string& command, std::string& output);

}  // namespace sipvault::test
