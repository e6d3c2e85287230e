#pragma once
// sipvault-api assembled: the database pool, the api's own tables, the first admin, and the
// HTTP server. main() creates one, start()s it, waits for a signal, stop()s it.
//
// Start-up failures (database unreachable, tables cannot be created, port in use, admin password
// file not writable) come back as a StartFailure naming the problem and the fix.
#include <memory>
#include <optional>
#include <string>

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
  SqlPool pool_;
  MessageStore messages_;
  AuthStore auth_;
  LoginLimiter limiter_;
  ApiContext ctx_;
  std::unique_ptr<ApiServer> server_;
};

}  // namespace sipvault::api
