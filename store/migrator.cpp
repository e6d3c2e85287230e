#include "store/migrator.h"

#include <charconv>

#include "store/capture_tables.h"

namespace sipvault::store {
namespace {

constexpr uint64_t kHourUs = 3600ull * 1000000ull;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

int parseVersion(const std::optional<std::string>& text) {
  int v = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), v);
  return v;
}

// Holds a named server lock for the lifetime of the guard (released on destruction).
class ServerLock {
 public:
  ServerLock(DbConnection& db, std::string name_expr) : db_(db), name_expr_(std::move(name_expr)) {}
  bool acquire(int timeout_s, DbError& error) {
    auto got =
        db_.queryValue("SELECT GET_LOCK(" + name_expr_ + ", " + std::to_string(timeout_s) + ")", error);
    held_ = got && *got == "1";
    if (!held_ && error.message.empty()) error.message = "timed out waiting for lock " + name_expr_;
    return held_;
  }
  ~ServerLock() {
    DbError ignored;
    if (held_) (void)db_.queryValue("SELECT RELEASE_LOCK(" + name_expr_ + ")", ignored);
  }

 private:
  DbConnection& db_;
  std::string name_expr_;
  bool held_ = false;
};

}  // namespace

bool isCaptureMigration(const std::vector<std::string>& statements) {
  for (const std::string& s : statements)
    if (namesCaptureTable(s)) return true;
  return false;
}

std::vector<std::string> splitStatements(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  while (!script.empty()) {
    const size_t nl = script.find('\n');
    std::string_view line = script.substr(0, nl);
    script = nl == std::string_view::npos ? std::string_view() : script.substr(nl + 1);
    const std::string_view t = trim(line);
    if (t.empty() || t.substr(0, 2) == "--") continue;
    if (!current.empty()) current += '\n';
    if (t.back() == ';') {
      current += trim(t.substr(0, t.size() - 1));
      out.push_back(std::move(current));
      current.clear();
    } else {
      current += line;
    }
  }
  if (!trim(current).empty()) out.emplace_back(trim(current));
  return out;
}

std::string expandPlaceholders(std::string_view sql, uint64_t now_us) {
  static constexpr std::string_view kFirstHour = "{{FIRST_HOUR_US}}";
  const std::string value = std::to_string(now_us / kHourUs * kHourUs);
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t at = sql.find(kFirstHour, pos);
    out.append(sql.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) break;
    out += value;
    pos = at + kFirstHour.size();
  }
  return out;
}

bool migrate(DbConnection& db, std::span<const Migration> migrations, uint64_t now_us,
             MigrationReport& report, DbError& error, MigrationScope scope) {
  report = MigrationReport{};
  ServerLock lock(db, "CONCAT('sipvault.migrate.', DATABASE())");
  if (!lock.acquire(60, error)) return false;
  if (!db.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                  " version INT UNSIGNED NOT NULL PRIMARY KEY,"
                  " name VARCHAR(128) NOT NULL,"
                  " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
                  ") ENGINE=InnoDB",
                  error))
    return false;
  auto current = db.queryValue("SELECT COALESCE(MAX(version), 0) FROM schema_version", error);
  if (!current) return false;
  report.version_before = report.version_after = parseVersion(current);
  for (const Migration& m : migrations) {
    if (m.version <= report.version_after) continue;
    const std::vector<std::string> statements = splitStatements(expandPlaceholders(m.sql, now_us));
    const bool skip = scope == MigrationScope::kHead && isCaptureMigration(statements);
    for (const std::string& statement : skip ? std::vector<std::string>() : statements) {
      if (!db.execute(statement, error)) {
        error.message =
            "migration " + std::to_string(m.version) + "_" + std::string(m.name) + ": " + error.message;
        return false;
      }
    }
    std::string record =
        "INSERT INTO schema_version (version, name) VALUES (" + std::to_string(m.version) + ", ";
    DbConnection::appendLiteral(record, m.name);
    record += ')';
    if (!db.execute(record, error)) return false;
    report.applied.push_back(m.version);
    report.version_after = m.version;
  }
  if (!migrations.empty() && report.version_before > migrations.back().version)
    report.database_is_newer = true;
  return true;
}

}  // namespace sipvault::store
