#pragma once
// sipvault-api assembled: the database pool, the api's own tables, the first admin, and the
// HTTP server. main() creates one, start()s it, waits for a signal, stop()s it.
//
// Start-up failures (database unreachable, tables cannot be created, port in use, admin password
// file not writable) come back as a StartFailure naming the problem and the fix.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/alias_cache.h"
#include "api/alias_store.h"
#include "api/api_context.h"
#include "api/api_options.h"
#include "api/api_server.h"
#include "api/auth_store.h"
#include "api/login_limiter.h"
#include "api/message_store.h"
#include "api/sql_pool.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/start_failure.h"

namespace sipvault::api {

// Writes `content` to a new file `path` made 0600 with O_EXCL (an existing file, or a link, is an
// error: its mode and owner are not ours), creating missing parent directories. On failure the
// file is removed again and `error` says why.
[[nodiscard]] bool writeSecretFile(const std::string& path, std::string_view content, std::string& error);

class ApiService {
 public:
  // `metrics` and `log` must outlive the service.
  ApiService(ApiOptions options, MetricsRegistry& metrics, Log log);
  ~ApiService();

  [[nodiscard]] std::optional<StartFailure> start();
  void stop();
  [[nodiscard]] const std::string& boundAddress() const { return server_->boundAddress(); }

 private:
  std::optional<StartFailure> migrateSchema();
  std::optional<StartFailure> ensureAdmin();

  ApiOptions options_;
  MetricsRegistry& metrics_;
  Log log_;
  SqlPool pool_;       // searches, exports, stats
  SqlPool auth_pool_;  // logins and bearer checks only
  std::unique_ptr<ShardMonitor> shards_;  // a cluster head's shards (api.cluster), else nullptr
  MessageStore messages_;
  AuthStore auth_;
  LoginLimiter limiter_;
  DbHealth health_;
  AliasStore alias_store_;
  AliasCache aliases_;
  ApiContext ctx_;
  std::unique_ptr<ApiServer> server_;
};

}  // namespace sipvault::api
