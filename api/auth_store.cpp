#include "api/auth_store.h"

#include <charconv>

#include "api/base64.h"
#include "api/password_hash.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr std::string_view kSessionPrefix = "svs_";
constexpr std::string_view kTokenPrefix = "svt_";
constexpr size_t kSecretBytes = 32;

bool toNumber(const std::optional<std::string>& cell, uint64_t& out) {
  if (!cell) return false;
  auto [ptr, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), out);
  return ec == std::errc() && ptr == cell->data() + cell->size();
}

DbError badRow() { return DbError{0, "", "unexpected row shape from the database"}; }

std::optional<std::string> newSecret(std::string_view prefix) {
  auto bytes = randomBytes(kSecretBytes);
  if (!bytes) return std::nullopt;
  return std::string(prefix) + base64UrlEncode(*bytes);
}

constexpr int kDuplicateKey = 1062;  // ER_DUP_ENTRY

}  // namespace

std::optional<Role> parseRole(std::string_view text) {
  if (text == "admin") return Role::Admin;
  if (text == "viewer") return Role::Viewer;
  return std::nullopt;
}

std::string_view roleName(Role role) { return role == Role::Admin ? "admin" : "viewer"; }

bool validUsername(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '@' || c == '-'))
      return false;
  return true;
}

AuthStore::AuthStore(SqlPool& pool, std::chrono::seconds session_ttl)
    : pool_(pool), session_ttl_(session_ttl), dummy_hash_(hashPassword("not a password").value_or("")) {}

AuthStore::Outcome AuthStore::createUser(std::string_view username, std::string_view password, Role role,
                                         DbError& error) {
  auto hash = hashPassword(password);
  if (!hash) {
    error = DbError{0, "", "no random bytes for the password salt"};
    return Outcome::Error;
  }
  SqlQuery q;
  q.text("INSERT INTO api_users (username, role, password_hash, created_us) VALUES (").bytes(username);
  q.text(", ").bytes(roleName(role)).text(", ").bytes(*hash).text(", ").number(nowUs()).text(")");
  if (pool_.execute(q, error)) return Outcome::Ok;
  return error.code == kDuplicateKey ? Outcome::Exists : Outcome::Error;
}

bool AuthStore::listUsers(std::vector<UserInfo>& out, DbError& error) {
  DbRows rows;
  if (!pool_.query(SqlQuery{"SELECT username, role, created_us FROM api_users ORDER BY username", {}}, rows, error))
    return false;
  for (const DbRow& row : rows) {
    UserInfo u;
    if (row.size() != 3 || !row[0] || !row[1] || !toNumber(row[2], u.created_us)) {
      error = badRow();
      return false;
    }
    u.username = *row[0];
    u.role = parseRole(*row[1]).value_or(Role::Viewer);
    out.push_back(std::move(u));
  }
  return true;
}

AuthStore::Outcome AuthStore::deleteUser(std::string_view username, DbError& error, bool keep_last_admin) {
  // One transaction: the user, their sessions and tokens go together or not at all, and the row
  // locks (FOR UPDATE) make two admins deleting each other at once see each other's delete.
  Outcome outcome = Outcome::Ok;
  const bool ok = pool_.withTransaction(error, [&](SqlSession& s, DbError& e) {
    SqlQuery who;
    who.text("SELECT id, role FROM api_users WHERE username = ").bytes(username).text(" FOR UPDATE");
    DbRows rows;
    if (!s.query(who.sql, who.params, rows, e)) return false;
    uint64_t id = 0;
    if (rows.empty()) {
      outcome = Outcome::NotFound;
      return false;
    }
    if (rows[0].size() != 2 || !toNumber(rows[0][0], id) || !rows[0][1]) {
      e = badRow();
      return false;
    }
    if (keep_last_admin && parseRole(*rows[0][1]) == Role::Admin) {
      DbRows admins;
      if (!s.query("SELECT id FROM api_users WHERE role = 'admin' FOR UPDATE", {}, admins, e)) return false;
      if (admins.size() <= 1) {
        outcome = Outcome::Denied;
        return false;
      }
    }
    for (std::string_view table : {"api_sessions", "api_tokens", "api_users"}) {
      SqlQuery d;
      d.text("DELETE FROM ")
          .text(table)
          .text(table == "api_users" ? " WHERE id = " : " WHERE user_id = ")
          .number(id);
      if (!s.execute(d.sql, d.params, e)) return false;
    }
    return true;
  });
  if (ok) return Outcome::Ok;
  return outcome != Outcome::Ok ? outcome : Outcome::Error;
}

bool AuthStore::countAdmins(uint64_t& count, DbError& error) {
  DbRows rows;
  if (!pool_.query(SqlQuery{"SELECT COUNT(*) FROM api_users WHERE role = 'admin'", {}}, rows, error)) return false;
  if (rows.size() != 1 || rows[0].size() != 1 || !toNumber(rows[0][0], count)) {
    error = badRow();
    return false;
  }
  return true;
}

bool AuthStore::userExists(std::string_view username, bool& exists, DbError& error) {
  SqlQuery q;
  q.text("SELECT 1 FROM api_users WHERE username = ").bytes(username);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  exists = !rows.empty();
  return true;
}

AuthStore::Outcome AuthStore::login(std::string_view username, std::string_view password, std::string& token,
                                    uint64_t& expires_us, Role& role, DbError& error) {
  SqlQuery q;
  q.text("SELECT role, password_hash, id FROM api_users WHERE username = ").bytes(username);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return Outcome::Error;
  uint64_t user_id = 0;
  const bool known =
      rows.size() == 1 && rows[0].size() == 3 && rows[0][0] && rows[0][1] && toNumber(rows[0][2], user_id);
  // An unknown user costs one PBKDF2 run too, so timing does not tell which names exist.
  const bool match = verifyPassword(password, known ? *rows[0][1] : dummy_hash_);
  if (!known || !match) return Outcome::Denied;
  role = parseRole(*rows[0][0]).value_or(Role::Viewer);
  return openSession(username, user_id, token, expires_us, error) ? Outcome::Ok : Outcome::Error;
}

bool AuthStore::openSession(std::string_view username, uint64_t user_id, std::string& token,
                            uint64_t& expires_us, DbError& error) {
  auto secret = newSecret(kSessionPrefix);
  if (!secret) {
    error = DbError{0, "", "no random bytes for the session token"};
    return false;
  }
  const uint64_t now = nowUs();
  expires_us = now + static_cast<uint64_t>(session_ttl_.count()) * 1000000;
  // Expired sessions are removed here, where they would otherwise pile up.
  SqlQuery purge;
  purge.text("DELETE FROM api_sessions WHERE expires_us < ").number(now);
  if (!pool_.execute(purge, error)) return false;
  SqlQuery ins;
  // Bound to the id read with the password: if the user is deleted meanwhile, the session is
  // an orphan that authenticate() never joins to anyone, even a new user of the same name.
  ins.text("INSERT INTO api_sessions (token_hash, username, user_id, created_us, expires_us) VALUES (")
      .bytes(sha256(*secret));
  ins.text(", ").bytes(username).text(", ").number(user_id).text(", ").number(now).text(", ").number(
      expires_us);
  ins.text(")");
  if (!pool_.execute(ins, error)) return false;
  token = std::move(*secret);
  return true;
}

bool AuthStore::account(std::string_view username, Account& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT password_hash FROM api_users WHERE username = ").bytes(username);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  out = Account::None;
  if (rows.size() == 1 && rows[0].size() == 1 && rows[0][0])
    out = *rows[0][0] == kDirectoryPassword ? Account::Directory : Account::Local;
  return true;
}

bool AuthStore::upsertDirectoryUser(std::string_view username, Role role, uint64_t& user_id, DbError& error) {
  SqlQuery q;
  q.text("INSERT INTO api_users (username, role, password_hash, created_us) VALUES (").bytes(username);
  q.text(", ").bytes(roleName(role)).text(", ").bytes(kDirectoryPassword).text(", ").number(nowUs());
  q.text(") ON DUPLICATE KEY UPDATE role = IF(password_hash = ").bytes(kDirectoryPassword);
  q.text(", VALUES(role), role)");
  if (!pool_.execute(q, error)) return false;
  SqlQuery read;
  read.text("SELECT password_hash, id FROM api_users WHERE username = ").bytes(username);
  DbRows rows;
  if (!pool_.query(read, rows, error)) return false;
  if (rows.size() != 1 || rows[0].size() != 2 || !rows[0][0] || *rows[0][0] != kDirectoryPassword ||
      !toNumber(rows[0][1], user_id)) {
    error = DbError{0, "", "a local user has this name"};
    return false;
  }
  return true;
}

bool AuthStore::endSession(const std::string& token_hash, DbError& error) {
  SqlQuery q;
  q.text("DELETE FROM api_sessions WHERE token_hash = ").bytes(token_hash);
  return pool_.execute(q, error);
}

bool AuthStore::authenticate(std::string_view bearer, uint64_t now_us, std::optional<Principal>& out,
                             DbError& error) {
  out.reset();
  const bool session = bearer.substr(0, kSessionPrefix.size()) == kSessionPrefix;
  const bool api_token = bearer.substr(0, kTokenPrefix.size()) == kTokenPrefix;
  if (!session && !api_token) return true;
  if (bearer.size() > 128) return true;
  const std::string hash = sha256(bearer);
  SqlQuery q;
  if (session) {
    q.text(
         "SELECT u.username, u.role, s.expires_us, '' FROM api_sessions s JOIN api_users u ON u.id = "
         "s.user_id WHERE s.token_hash = ")
        .bytes(hash);
  } else {
    q.text(
         "SELECT t.username, t.role, t.expires_us, t.name FROM api_tokens t JOIN api_users u ON u.id = "
         "t.user_id WHERE t.token_hash = ")
        .bytes(hash);
  }
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  if (rows.empty()) return true;
  const DbRow& row = rows[0];
  uint64_t expires = 0;
  if (row.size() != 4 || !row[0] || !row[1] || !toNumber(row[2], expires) || !row[3]) {
    error = badRow();
    return false;
  }
  if (expires != 0 && expires <= now_us) return true;
  auto role = parseRole(*row[1]);
  if (!role) return true;
  out = Principal{*row[0], *role, session, hash, *row[3]};
  return true;
}

bool AuthStore::createToken(std::string_view name, Role role, std::string_view owner, uint64_t expires_us,
                            std::string& token, TokenInfo& info, DbError& error) {
  auto secret = newSecret(kTokenPrefix);
  if (!secret) {
    error = DbError{0, "", "no random bytes for the token"};
    return false;
  }
  const std::string hash = sha256(*secret);
  const uint64_t now = nowUs();
  SqlQuery ins;
  // The owner's id is read by the INSERT itself: an owner deleted meanwhile inserts nothing.
  ins.text(
         "INSERT INTO api_tokens (token_hash, name, username, user_id, role, created_us, expires_us) SELECT ")
      .bytes(hash);
  ins.text(", ").bytes(name).text(", username, id, ").bytes(roleName(role)).text(", ").number(now);
  ins.text(", ").number(expires_us).text(" FROM api_users WHERE username = ").bytes(owner);
  uint64_t inserted = 0;
  if (!pool_.execute(ins, error, &inserted)) return false;
  if (inserted != 1) {
    error = DbError{0, "", "the token's owner no longer exists"};
    return false;
  }
  SqlQuery sel;
  sel.text("SELECT id FROM api_tokens WHERE token_hash = ").bytes(hash);
  DbRows rows;
  if (!pool_.query(sel, rows, error)) return false;
  if (rows.size() != 1 || rows[0].size() != 1 || !toNumber(rows[0][0], info.id)) {
    error = badRow();
    return false;
  }
  info.name = name;
  info.username = owner;
  info.role = role;
  info.created_us = now;
  info.expires_us = expires_us;
  token = std::move(*secret);
  return true;
}

bool AuthStore::listTokens(std::vector<TokenInfo>& out, DbError& error) {
  DbRows rows;
  if (!pool_.query(SqlQuery{"SELECT id, name, username, role, created_us, expires_us FROM api_tokens ORDER BY id", {}},
                   rows, error))
    return false;
  for (const DbRow& row : rows) {
    TokenInfo t;
    if (row.size() != 6 || !toNumber(row[0], t.id) || !row[1] || !row[2] || !row[3] ||
        !toNumber(row[4], t.created_us) || !toNumber(row[5], t.expires_us)) {
      error = badRow();
      return false;
    }
    t.name = *row[1];
    t.username = *row[2];
    t.role = parseRole(*row[3]).value_or(Role::Viewer);
    out.push_back(std::move(t));
  }
  return true;
}

AuthStore::Outcome AuthStore::deleteToken(uint64_t id, DbError& error) {
  SqlQuery q;
  q.text("DELETE FROM api_tokens WHERE id = ").number(id);
  uint64_t affected = 0;
  if (!pool_.execute(q, error, &affected)) return Outcome::Error;
  return affected ? Outcome::Ok : Outcome::NotFound;
}

}  // namespace sipvault::api
