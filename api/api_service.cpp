#include "api/api_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "api/password_hash.h"
#include "api/time_text.h"
#include "store/db_connection.h"
#include "store/migrator.h"

namespace sipvault::api {

using namespace sipvault::store;

bool writeSecretFile(const std::string& path, std::string_view content, std::string& error) {
  std::error_code ec;
  const std::filesystem::path file(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  // O_EXCL: never reuse a file someone else may have made (or linked) with a wider mode.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = errno == EEXIST ? "the file already exists" : std::strerror(errno);
    return false;
  }
  bool ok = true;
  while (ok && !content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) content.remove_prefix(static_cast<size_t>(n));
  }
  if (!ok) error = std::strerror(errno);
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    error = std::strerror(errno);
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = std::strerror(errno);
  }
  if (!ok) ::unlink(path.c_str());  // half a password is worse than none
  return ok;
}

ApiService::ApiService(ApiOptions options, MetricsRegistry& metrics, Log log)
    : options_(std::move(options)),
      metrics_(metrics),
      log_(log),
      pool_(options_.db, options_.pool, metrics),
      auth_pool_(options_.db, options_.auth_pool, metrics),
      shards_(options_.cluster.enabled ? std::make_unique<ShardMonitor>(options_.db, options_.cluster, metrics)
                                       : nullptr),
      messages_(pool_, shards_.get()),
      auth_(auth_pool_, options_.session_ttl),
      limiter_(options_.login),
      // Through the auth pool: busy searches must not make the database look down.
      health_(
          [this] {
            DbError ignored;
            return auth_pool_.ping(ignored);
          },
          options_.health_check_interval),
      alias_store_(pool_),
      aliases_(alias_store_, metrics, log),
      ctx_{options_,
           pool_,
           messages_,
           auth_,
           limiter_,
           health_,
           shards_.get(),
           metrics,
           log,
           metrics.counter("api_login_failures_total", "logins refused for a wrong user or password"),
           metrics.counter("api_login_rate_limited_total", "logins refused by the rate limit (429)"),
           aliases_},
      server_(std::make_unique<ApiServer>(ctx_, StaticFiles(options_.ui_dir))) {}

ApiService::~ApiService() { stop(); }

std::optional<StartFailure> ApiService::start() {
  DbError error;
  if (!pool_.ping(error))
    return StartFailure{StartFailure::Kind::Unavailable,
                        "cannot reach the database " + options_.db.describe() + ": " + error.describe(),
                        "start MariaDB (deploy/mariadb.sh start DIR PORT) or fix db.host/db.port/db.user"};
  if (auto failure = migrateSchema()) return failure;
  if (auto failure = ensureAdmin()) return failure;
  // Aliases: loaded before the first request, then kept fresh (a failure only keeps the last table).
  if (!aliases_.refresh(error)) log_.warn("alias_reload_failed", {{"error", error.describe()}});
  aliases_.start(options_.alias_refresh);
  health_.start();
  if (shards_) {
    shards_->start();
    if (!shards_->known())
      log_.warn("cluster_shards_unknown", {{"detail", "the head has no Spider table sip_messages yet"},
                                           {"fix", "run tools/sipvault-cluster apply (docs/cluster.md)"}});
    for (const ShardState& s : shards_->shards())
      log_.info("cluster_shard", {{"shard", s.name}, {"shard_id", s.shard_id}, {"up", s.up}});
  }
  std::string listen_error;
  if (!server_->start(listen_error))
    return StartFailure{StartFailure::Kind::Unavailable, listen_error,
                        "free the port or set api.listen / --listen"};
  log_.info("listening", {{"addr", server_->boundAddress()}, {"ui_dir", options_.ui_dir},
                          {"db", options_.db.describe()}, {"db_pool", options_.pool.size}});
  return std::nullopt;
}

void ApiService::stop() {
  if (server_) server_->stop();
  aliases_.stop();
  health_.stop();
  if (shards_) shards_->stop();
}

std::optional<StartFailure> ApiService::migrateSchema() {
  // The api's tables are store/ migrations like the capture tables: whichever of writer and api
  // starts first brings the database up to date (the migrator serializes them on a server lock).
  DbError error;
  auto db = DbConnection::open(options_.db, error);
  MigrationReport report;
  // A cluster head: the api's tables only; the capture tables are Spider tables that
  // tools/sipvault-cluster makes from the shards, which their own writers migrate.
  const MigrationScope scope = options_.cluster.enabled ? MigrationScope::kHead : MigrationScope::kAll;
  if (!db || !migrate(*db, embeddedMigrations(), nowUs(), report, error, scope))
    return StartFailure{StartFailure::Kind::Unavailable, "schema migration failed: " + error.describe(),
                        "grant CREATE and ALTER on the database to " + options_.db.user};
  if (report.database_is_newer)
    log_.warn("schema_newer",
              {{"database_version", report.version_before},
               {"detail", "the database was migrated by a newer sipvault; upgrade this api"}});
  if (!report.applied.empty()) log_.info("schema_migrated", {{"version", report.version_after}});
  return std::nullopt;
}

std::optional<StartFailure> ApiService::ensureAdmin() {
  if (options_.admin_user.empty()) return std::nullopt;
  if (!validUsername(options_.admin_user))
    return StartFailure{StartFailure::Kind::Config,
                        "api.admin_user '" + options_.admin_user + "' is not a valid name",
                        "use 1-64 of A-Z a-z 0-9 . _ @ -"};
  DbError error;
  bool exists = false;
  if (!auth_.userExists(options_.admin_user, exists, error))
    return StartFailure{StartFailure::Kind::Unavailable, "cannot read api_users: " + error.describe(),
                        "check the database"};
  if (exists) {
    log_.info("admin_exists", {{"username", options_.admin_user}});
    return std::nullopt;
  }
  auto password = randomPassword();
  if (!password)
    return StartFailure{StartFailure::Kind::Unavailable, "no random bytes for the admin password",
                        "check the system's random source"};
  switch (auth_.createUser(options_.admin_user, *password, Role::Admin, error)) {
    case AuthStore::Outcome::Ok: break;
    case AuthStore::Outcome::Exists:  // another api instance created it a moment ago
      log_.info("admin_exists", {{"username", options_.admin_user}});
      return std::nullopt;
    default:
      return StartFailure{StartFailure::Kind::Unavailable, "cannot create the admin: " + error.describe(),
                          "check the database"};
  }
  // The password goes to a file only: logs are copied and kept where an admin's password must not be.
  std::string file_error;
  if (!writeSecretFile(options_.admin_password_file, *password + "\n", file_error)) {
    // No admin whose password nobody knows: the next start creates it again.
    DbError undo;
    const bool removed = auth_.deleteUser(options_.admin_user, undo, false) == AuthStore::Outcome::Ok;
    return StartFailure{
        StartFailure::Kind::Config,
        "cannot write the new admin's password to " + options_.admin_password_file + ": " + file_error +
            (removed ? " (the admin was removed again)"
                     : " (removing the admin failed: " + undo.describe() + ")"),
        "remove the old file or set api.admin_password_file to a new path in a writable directory"};
  }
  log_.info("admin_created",
            {{"username", options_.admin_user}, {"password_file", options_.admin_password_file}});
  return std::nullopt;
}

}  // namespace sipvault::api
