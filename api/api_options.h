#pragma once
// Everything sipvault-api can be told, filled once in main from CLI + config file
// (deploy/config/api.ini is the documented example).
#include <chrono>
#include <cstdint>
#include <string>

#include "api/call_flow.h"
#include "api/ldap_directory.h"
#include "api/login_limiter.h"
#include "api/shard_monitor.h"
#include "api/sql_pool.h"
#include "api/trusted_proxies.h"
#include "store/db_connection.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::api {

struct StatsOptions {
  uint64_t max_range_us = 31ull * 86400 * 1000000;  // api.stats_max_range_s: longer -> 400 `to`
  uint64_t top_methods = 20;                        // api.stats_top_methods: series of their own
  uint64_t max_cells = 200000;  // api.stats_max_cells: intervals x (methods + other + 6 classes)
  // api.stats_minute_counts: answer requests without a filter (only from/to/step, step a multiple
  // of 60 s) from the writers' per-minute counts (sip_minute_stats) instead of scanning
  // sip_messages. false = always scan (for a database older than schema v13's counts).
  bool minute_counts = true;
};

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
  // api.request_deadline_s: a request (reading it, answering it) must be done within this, else
  // its connection is shut down; Poco's own timeout is per read, which a trickling client resets.
  std::chrono::milliseconds request_deadline{60000};
  // api.export_max_bytes: an export stops before this size, with X-Sipvault-Truncated + cursor.
  uint64_t export_max_bytes = 64ull << 20;
  size_t max_connections_per_source = 32;  // api.max_connections_per_source: more -> refused at once
  // api.health_check_interval_ms: how often a background check pings the database for /health.
  std::chrono::milliseconds health_check_interval{5000};
  // api.alias_refresh_s: how often the alias cache reloads api_aliases (changes made through this
  // process apply at once; other api processes see them within this period).
  std::chrono::milliseconds alias_refresh{10000};
  std::chrono::seconds session_ttl{12 * 3600};     // api.session_ttl_s
  LoginLimits login;  // api.login_max_failures, api.login_window_s, api.login_max_concurrent,
                      // api.login_user_free_failures, api.login_user_backoff_max_s
  // api.trusted_proxies: addresses/prefixes ("10.0.0.0/8, 192.0.2.7, ::1") whose X-Forwarded-For
  // is believed; empty (default) = the client is always the TCP peer.
  TrustedProxies trusted_proxies;
  uint64_t default_range_us = 3600ull * 1000000;   // api.default_range_s: searches without from/to
  uint64_t flow_range_us = 24ull * 3600 * 1000000; // api.flow_default_range_s: flows without from/to
  StatsOptions stats;  // api.stats_max_range_s, api.stats_top_methods, api.stats_max_cells
  FlowOptions flow;    // api.flow_inferred_window_s, api.flow_max_legs, api.flow_max_messages
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
  // api.db_auth_pool_size: sessions of their own for logins and bearer checks, so that slow
  // searches holding every search session cannot lock everyone out (timeouts as `pool`).
  SqlPoolOptions auth_pool{2, std::chrono::milliseconds(2000), std::chrono::seconds(30), "auth", ""};
  // api.cluster, api.cluster_probe_interval_ms, api.cluster_probe_timeout_s: this api reads a
  // cluster head (docs/cluster.md): head-scope migrations, shards probed, partial answers.
  ClusterOptions cluster;
  store::DbOptions db;  // db.host, db.port, db.socket, db.user, db.password, db.name, db.connect_timeout_s

  [[nodiscard]] bool https() const { return !tls_cert.empty(); }

  // Reads the keys above; throws Poco::Exception naming the key on a bad value.
  static ApiOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

// The UI directory used when api.ui_dir is not set.
[[nodiscard]] std::string defaultUiDir();

}  // namespace sipvault::api
