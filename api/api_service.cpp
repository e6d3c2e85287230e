#include "api/api_service.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "api/password_hash.h"
#include "api/time_text.h"
#include "store/db_connection.h"
#include "store/migrator.h"

namespace sipvault::api {

using namespace sipvault::store;

ApiService::ApiService(ApiOptions options, MetricsRegistry& metrics, Log log)
    : options_(std::move(options)),
      metrics_(metrics),
      log_(log),
      pool_(options_.db, options_.pool, metrics),
      messages_(pool_),
      auth_(pool_, options_.session_ttl),
      limiter_(options_.login_max_failures, options_.login_window),
      ctx_{options_,
           pool_,
           messages_,
           auth_,
           limiter_,
           metrics,
           log,
           metrics.counter("api_login_failures_total", "logins refused for a wrong user or password"),
           metrics.counter("api_login_rate_limited_total", "logins refused by the rate limit (429)")},
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
}

std::optional<StartFailure> ApiService::migrateSchema() {
  // The api's tables are store/ migrations like the capture tables: whichever of writer and api
  // starts first brings the database up to date (the migrator serializes them on a server lock).
  DbError error;
  auto db = DbConnection::open(options_.db, error);
  MigrationReport report;
  if (!db || !migrate(*db, embeddedMigrations(), nowUs(), report, error))
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
  // The password file is written before the password is logged, owner-readable only.
  const std::filesystem::path file(options_.admin_password_file);
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  {
    const mode_t old_mask = ::umask(077);
    std::ofstream out(file, std::ios::trunc);
    out << *password << '\n';
    out.close();
    ::umask(old_mask);
    if (!out)
      return StartFailure{StartFailure::Kind::Config,
                          "admin '" + options_.admin_user +
                              "' was created but its password could not be written to " + file.string() +
                              " (password: " + *password + ")",
                          "set api.admin_password_file to a writable path"};
  }
  log_.info("admin_created", {{"username", options_.admin_user}, {"password", *password},
                              {"password_file", file.string()}});
  return std::nullopt;
}

}  // namespace sipvault::api
