#pragma once
// Everything sipvault-api can be told, filled once in main from CLI + config file
// (deploy/config/api.ini is the documented example).
#include <chrono>
#include <cstdint>
#include <string>

#include "api/call_flow.h"
#include "api/ldap_directory.h"
#include "api/sql_pool.h"
#include "store/db_connection.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::api {

struct ApiOptions {
  std::string listen = "0.0.0.0:8080";  // api.listen: HOST:PORT of the HTTP server
  // api.tls_cert, api.tls_key: PEM certificate chain and private key. Both set = api.listen
  // speaks HTTPS only (TLS 1.2+), and cookies get the Secure attribute; both empty = plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  // api.ui_dir: the web UI's files. Default: the source tree's api/ui for a binary run from the
  // build tree, else ${prefix}/share/sipvault/ui (see defaultUiDir()).
  std::string ui_dir;
  int http_threads = 16;                 // api.http_threads: requests served at once
  int http_queue = 64;                   // api.http_queue: connections waiting for a thread
  size_t max_query_bytes = 8192;         // api.max_query_bytes: longer request targets get 414
  size_t max_body_bytes = 65536;         // api.max_body_bytes: larger bodies get 413
  std::chrono::seconds session_ttl{12 * 3600};     // api.session_ttl_s
  size_t login_max_failures = 10;                  // api.login_max_failures per user+client...
  std::chrono::seconds login_window{60};           // api.login_window_s ...within this window -> 429
  uint64_t default_range_us = 3600ull * 1000000;   // api.default_range_s: searches without from/to
  uint64_t flow_range_us = 24ull * 3600 * 1000000; // api.flow_default_range_s: flows without from/to
  FlowOptions flow;                                // api.flow_inferred_window_s, api.flow_max_legs
  // api.admin_user (--create-admin USER): created with a random password when missing; the
  // password goes to api.admin_password_file (relative paths from the working directory).
  std::string admin_user;
  std::string admin_password_file = "var/api-admin-password";
  // Share links (share_links.h): api.share_secret, the HMAC key (>= 32 bytes; empty = one generated
  // and kept in the database); api.share_default_ttl_s / api.share_max_ttl_s, a link's life when
  // its creator names none / at most.
  std::string share_secret;
  int64_t share_default_ttl_s = 7 * 86400;
  int64_t share_max_ttl_s = 30 * 86400;
  LdapOptions ldap;     // api.ldap_*: directory login (ldap_directory.h); off unless api.ldap_url is set
  SqlPoolOptions pool;  // api.db_pool_size, api.db_acquire_timeout_ms, api.query_timeout_s
  store::DbOptions db;  // db.host, db.port, db.socket, db.user, db.password, db.name, db.connect_timeout_s

  [[nodiscard]] bool https() const { return !tls_cert.empty(); }

  // Reads the keys above; throws Poco::Exception naming the key on a bad value.
  static ApiOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

// The UI directory used when api.ui_dir is not set.
[[nodiscard]] std::string defaultUiDir();

}  // namespace sipvault::api
