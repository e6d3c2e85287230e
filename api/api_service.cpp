#include "api/api_service.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "api/password_hash.h"

namespace sipvault::api {

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

std::optional<ApiStartFailure> ApiService::start() {
  DbError error;
  if (!pool_.ping(error))
    return ApiStartFailure{ApiStartFailure::Kind::Unavailable,
                           "cannot reach the database " + options_.db.describe() + ": " + error.describe(),
                           "start MariaDB (deploy/mariadb.sh start DIR PORT) or fix db.host/db.port/db.user"};
  if (!auth_.createTables(error))
    return ApiStartFailure{ApiStartFailure::Kind::Unavailable, "cannot create the api tables: " + error.describe(),
                           "grant CREATE on the database to " + options_.db.user};
  if (auto failure = ensureAdmin()) return failure;
  std::string listen_error;
  if (!server_->start(listen_error))
    return ApiStartFailure{ApiStartFailure::Kind::Unavailable, listen_error,
                           "free the port or set api.listen / --listen"};
  log_.info("listening", {{"addr", server_->boundAddress()}, {"ui_dir", options_.ui_dir},
                          {"db", options_.db.describe()}, {"db_pool", options_.pool.size}});
  return std::nullopt;
}

void ApiService::stop() {
  if (server_) server_->stop();
}

std::optional<ApiStartFailure> ApiService::ensureAdmin() {
  if (options_.admin_user.empty()) return std::nullopt;
  if (!validUsername(options_.admin_user))
    return ApiStartFailure{ApiStartFailure::Kind::Config, "api.admin_user '" + options_.admin_user + "' is not a valid name",
                           "use 1-64 of A-Z a-z 0-9 . _ @ -"};
  DbError error;
  bool exists = false;
  if (!auth_.userExists(options_.admin_user, exists, error))
    return ApiStartFailure{ApiStartFailure::Kind::Unavailable, "cannot read api_users: " + error.describe(),
                           "check the database"};
  if (exists) {
    log_.info("admin_exists", {{"username", options_.admin_user}});
    return std::nullopt;
  }
  auto password = randomPassword();
  if (!password)
    return ApiStartFailure{ApiStartFailure::Kind::Unavailable, "no random bytes for the admin password",
                           "check the system's random source"};
  switch (auth_.createUser(options_.admin_user, *password, Role::Admin, error)) {
    case AuthStore::Outcome::Ok: break;
    case AuthStore::Outcome::Exists:  // another api instance created it a moment ago
      log_.info("admin_exists", {{"username", options_.admin_user}});
      return std::nullopt;
    default:
      return ApiStartFailure{ApiStartFailure::Kind::Unavailable, "cannot create the admin: " + error.describe(),
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
      return ApiStartFailure{ApiStartFailure::Kind::Config,
                             "admin '" + options_.admin_user + "' was created but its password could not be written to " +
                                 file.string() + " (password: " + *password + ")",
                             "set api.admin_password_file to a writable path"};
  }
  log_.info("admin_created", {{"username", options_.admin_user}, {"password", *password},
                              {"password_file", file.string()}});
  return std::nullopt;
}

}  // namespace sipvault::api
