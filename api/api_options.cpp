#include "api/api_options.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <unistd.h>

#include <climits>

#include "common/config_values.h"
#include "store/db_stage_options.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

std::string executablePath() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string defaultUiDir() {
  // A binary inside the build tree serves the UI from the source tree, so edits show at once.
  const std::string exe = executablePath();
  const std::string build = SIPVAULT_API_BUILD_DIR;
  if (!exe.empty() && exe.rfind(build + "/", 0) == 0) return SIPVAULT_API_UI_SOURCE_DIR;
  return SIPVAULT_API_UI_INSTALL_DIR;
}

ApiOptions ApiOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  ApiOptions o;
  o.listen = c.getString("api.listen", o.listen);
  o.tls_cert = c.getString("api.tls_cert", "");
  o.tls_key = c.getString("api.tls_key", "");
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw Poco::InvalidArgumentException(o.tls_cert.empty() ? "api.tls_cert" : "api.tls_key",
                                         "HTTPS needs both api.tls_cert and api.tls_key");
  o.ui_dir = c.getString("api.ui_dir", "");
  if (o.ui_dir.empty()) o.ui_dir = defaultUiDir();
  o.http_threads = static_cast<int>(intInRange(c, "api.http_threads", o.http_threads, 1, 1024));
  o.http_queue = static_cast<int>(intInRange(c, "api.http_queue", o.http_queue, 1, 100000));
  o.max_query_bytes =
      static_cast<size_t>(intInRange(c, "api.max_query_bytes", static_cast<int64_t>(o.max_query_bytes), 256, 16000));
  o.max_body_bytes =
      static_cast<size_t>(intInRange(c, "api.max_body_bytes", static_cast<int64_t>(o.max_body_bytes), 1024, 1 << 24));
  o.request_deadline = std::chrono::seconds(
      intInRange(c, "api.request_deadline_s",
                 std::chrono::duration_cast<std::chrono::seconds>(o.request_deadline).count(), 1, 86400));
  o.export_max_bytes = static_cast<uint64_t>(intInRange(
      c, "api.export_max_bytes", static_cast<int64_t>(o.export_max_bytes), 4096, int64_t{1} << 32));
  o.max_connections_per_source = static_cast<size_t>(intInRange(
      c, "api.max_connections_per_source", static_cast<int64_t>(o.max_connections_per_source), 1, 100000));
  o.alias_refresh = std::chrono::seconds(intInRange(c, "api.alias_refresh_s", 10, 1, 3600));
  o.health_check_interval = std::chrono::milliseconds(
      intInRange(c, "api.health_check_interval_ms", o.health_check_interval.count(), 100, 600000));
  o.session_ttl = std::chrono::seconds(intInRange(c, "api.session_ttl_s", o.session_ttl.count(), 60, 86400 * 365));
  o.login.max_failures = static_cast<size_t>(
      intInRange(c, "api.login_max_failures", static_cast<int64_t>(o.login.max_failures), 1, 1000000));
  o.login.window =
      std::chrono::seconds(intInRange(c, "api.login_window_s", o.login.window.count(), 1, 86400));
  o.login.max_concurrent = static_cast<size_t>(
      intInRange(c, "api.login_max_concurrent", static_cast<int64_t>(o.login.max_concurrent), 1, 1024));
  o.login.user_free_failures = static_cast<size_t>(intInRange(
      c, "api.login_user_free_failures", static_cast<int64_t>(o.login.user_free_failures), 1, 1000000));
  o.login.user_backoff_max = std::chrono::seconds(
      intInRange(c, "api.login_user_backoff_max_s", o.login.user_backoff_max.count(), 1, 86400));
  {
    std::string bad;
    auto proxies = TrustedProxies::parse(c.getString("api.trusted_proxies", ""), bad);
    if (!proxies)
      throw Poco::InvalidArgumentException("api.trusted_proxies",
                                           "'" + bad + "' is not an address or prefix");
    o.trusted_proxies = std::move(*proxies);
  }
  o.default_range_us = static_cast<uint64_t>(
                           intInRange(c, "api.default_range_s", static_cast<int64_t>(o.default_range_us / 1000000), 1,
                                      86400 * 366)) *
                       1000000;
  o.flow_range_us = static_cast<uint64_t>(intInRange(c, "api.flow_default_range_s",
                                                     static_cast<int64_t>(o.flow_range_us / 1000000), 1, 86400 * 366)) *
                    1000000;
  o.stats.max_range_us = static_cast<uint64_t>(intInRange(
                             c, "api.stats_max_range_s", static_cast<int64_t>(o.stats.max_range_us / 1000000),
                             60, 86400 * 3660)) *
                         1000000;
  o.stats.top_methods = static_cast<uint64_t>(
      intInRange(c, "api.stats_top_methods", static_cast<int64_t>(o.stats.top_methods), 0, 1000));
  o.stats.max_cells = static_cast<uint64_t>(
      intInRange(c, "api.stats_max_cells", static_cast<int64_t>(o.stats.max_cells), 1000, 10000000));
  o.stats.minute_counts = c.getBool("api.stats_minute_counts", o.stats.minute_counts);
  o.flow.inferred_window_us =
      static_cast<uint64_t>(intInRange(c, "api.flow_inferred_window_s",
                                       static_cast<int64_t>(o.flow.inferred_window_us / 1000000), 0, 3600)) *
      1000000;
  o.flow.max_legs =
      static_cast<size_t>(intInRange(c, "api.flow_max_legs", static_cast<int64_t>(o.flow.max_legs), 1, 256));
  o.flow.max_messages = static_cast<uint64_t>(
      intInRange(c, "api.flow_max_messages", static_cast<int64_t>(o.flow.max_messages), 1, 100000));
  o.admin_user = c.getString("api.admin_user", "");
  o.admin_password_file = c.getString("api.admin_password_file", o.admin_password_file);
  o.share_secret = c.getString("api.share_secret", "");
  if (!o.share_secret.empty() && o.share_secret.size() < 32)
    throw Poco::InvalidArgumentException("api.share_secret", "at least 32 bytes (or empty: generated)");
  o.share_max_ttl_s = intInRange(c, "api.share_max_ttl_s", o.share_max_ttl_s, 60, 366 * 86400);
  o.share_default_ttl_s =
      intInRange(c, "api.share_default_ttl_s", o.share_default_ttl_s, 60, o.share_max_ttl_s);
  o.ldap = LdapOptions::fromConfig(c);
  o.pool.size = static_cast<size_t>(intInRange(c, "api.db_pool_size", static_cast<int64_t>(o.pool.size), 1, 1000));
  o.pool.acquire_timeout = std::chrono::milliseconds(
      intInRange(c, "api.db_acquire_timeout_ms", o.pool.acquire_timeout.count(), 1, 600000));
  o.pool.statement_timeout =
      std::chrono::seconds(intInRange(c, "api.query_timeout_s", o.pool.statement_timeout.count(), 0, 86400));
  o.auth_pool.size = static_cast<size_t>(
      intInRange(c, "api.db_auth_pool_size", static_cast<int64_t>(o.auth_pool.size), 1, 100));
  o.auth_pool.acquire_timeout = o.pool.acquire_timeout;
  o.auth_pool.statement_timeout = o.pool.statement_timeout;

  o.cluster.enabled = boolValue(c, "api.cluster", false);
  o.cluster.probe_interval = std::chrono::milliseconds(
      intInRange(c, "api.cluster_probe_interval_ms", o.cluster.probe_interval.count(), 100, 600000));
  o.cluster.probe_timeout =
      std::chrono::seconds(intInRange(c, "api.cluster_probe_timeout_s", o.cluster.probe_timeout.count(), 1, 600));
  if (o.cluster.enabled && o.pool.statement_timeout.count() > 0) {
    // Spider waits on a hung shard for spider_net_read_timeout, which neither KILL nor
    // max_statement_time cuts short: make it the api's own query timeout.
    const std::string t = std::to_string(o.pool.statement_timeout.count());
    o.pool.session_setup = "SET SESSION spider_net_read_timeout = " + t + ", spider_net_write_timeout = " + t;
  }

  o.db = readDbOptions(c, o.db);
  return o;
}

}  // namespace sipvault::api
