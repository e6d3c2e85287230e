#pragma once
// What the REST handlers share: options, database access and the login limiter. Owned by
// ApiService; every member outlives the HTTP server. All members are thread-safe.
#include <string>

#include "api/alias_cache.h"
#include "api/api_options.h"
#include "api/auth_store.h"
#include "api/db_health.h"
#include "api/login_limiter.h"
#include "api/message_store.h"
#include "api/shard_monitor.h"
#include "api/sql_pool.h"
#include "common/log.h"
#include "common/metrics.h"

namespace sipvault::api {

struct ApiContext {
  const ApiOptions& options;
  SqlPool& pool;
  MessageStore& messages;
  AuthStore& auth;
  LoginLimiter& login_limiter;
  const DbHealth& db_health;
  const ShardMonitor* shards;  // a cluster head's shards (api.cluster), nullptr for a single node
  MetricsRegistry& registry;
  Log log;
  Counter& login_failures;
  Counter& login_limited;
  AliasCache& aliases;  // issue 14: names for addresses, capture ids
};

}  // namespace sipvault::api
