#pragma once
// Users, login sessions and API tokens, in the api's own tables (created on start, not
// partitioned):
//
//   api_users     username (PK), role, password_hash (password_hash.h format), created_us
//   api_users     + id (unique, auto-increment; schema v5)
//   api_sessions  token_hash (PK, SHA-256 of the bearer), username, user_id, created_us, expires_us
//   api_tokens    id (PK), token_hash (unique), name, username (creator), user_id (creator's id),
//                 role, created_us, expires_us (0 = never)
//
// A bearer token is "svs_" (session) or "svt_" (API token) + base64url(32 random bytes). Only its
// SHA-256 is stored, so a database dump does not hold usable tokens. Sessions take the user's
// current role, and every session and token of a deleted user stops working at once: they are
// joined to their user by id, so a user deleted and created again under the same name starts with
// none of the old ones.
//
// Thread-safe (uses the pool only); errors are DbError values.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/sql_pool.h"

namespace sipvault::api {

enum class Role { Viewer, Admin };
[[nodiscard]] std::optional<Role> parseRole(std::string_view text);
[[nodiscard]] std::string_view roleName(Role role);

// Who made a request.
struct Principal {
  std::string username;
  Role role = Role::Viewer;
  bool is_session = false;
  std::string token_hash;  // SHA-256 of the bearer (logout deletes by it)
  std::string token_name;  // API tokens only
};

struct UserInfo {
  std::string username;
  Role role = Role::Viewer;
  uint64_t created_us = 0;
};

struct TokenInfo {
  uint64_t id = 0;
  std::string name;
  std::string username;
  Role role = Role::Viewer;
  uint64_t created_us = 0;
  uint64_t expires_us = 0;  // 0 = never
};

// [A-Za-z0-9._@-]{1,64}
[[nodiscard]] bool validUsername(std::string_view name);

class AuthStore {
 public:
  AuthStore(SqlPool& pool, std::chrono::seconds session_ttl);

  enum class Outcome { Ok, NotFound, Exists, Denied, Error };

  // Exists when the name is taken; Error (with `error`) on a database failure.
  [[nodiscard]] Outcome createUser(std::string_view username, std::string_view password, Role role,
                                   store::DbError& error);
  [[nodiscard]] bool listUsers(std::vector<UserInfo>& out, store::DbError& error);
  // Deletes the user and their sessions and tokens in one transaction. NotFound when there is no
  // such user; Denied (nothing deleted) when it is the last admin, unless `keep_last_admin` is
  // false (start-up taking back an admin it just created).
  [[nodiscard]] Outcome deleteUser(std::string_view username, store::DbError& error,
                                   bool keep_last_admin = true);
  [[nodiscard]] bool countAdmins(uint64_t& count, store::DbError& error);
  [[nodiscard]] bool userExists(std::string_view username, bool& exists, store::DbError& error);

  // Checks the password (constant time; unknown users cost the same) and opens a session.
  // Denied on a wrong user or password.
  [[nodiscard]] Outcome login(std::string_view username, std::string_view password, std::string& token,
                              uint64_t& expires_us, Role& role, store::DbError& error);
  [[nodiscard]] bool endSession(const std::string& token_hash, store::DbError& error);

  // Directory (LDAP) users live in api_users too (sessions join it for the role), with the
  // password hash kDirectoryPassword, which no password matches: only the directory logs them in.
  static constexpr std::string_view kDirectoryPassword = "ldap";
  enum class Account { None, Local, Directory };
  [[nodiscard]] bool account(std::string_view username, Account& out, store::DbError& error);
  // Creates the directory user or updates its role, and gives its id; a local user of that name
  // is left alone (false with `error` then).
  [[nodiscard]] bool upsertDirectoryUser(std::string_view username, Role role, uint64_t& user_id,
                                         store::DbError& error);
  // A new session for an existing user (after the password or the directory said yes), bound to
  // its id (issue 18): a later user of the same name never inherits it.
  [[nodiscard]] bool openSession(std::string_view username, uint64_t user_id, std::string& token,
                                 uint64_t& expires_us, store::DbError& error);

  // The principal for a bearer token; `out` stays empty when the token is unknown or expired.
  [[nodiscard]] bool authenticate(std::string_view bearer, uint64_t now_us, std::optional<Principal>& out,
                                  store::DbError& error);

  // A new API token; `token` is the secret, shown once.
  [[nodiscard]] bool createToken(std::string_view name, Role role, std::string_view owner,
                                 uint64_t expires_us, std::string& token, TokenInfo& info,
                                 store::DbError& error);
  [[nodiscard]] bool listTokens(std::vector<TokenInfo>& out, store::DbError& error);
  [[nodiscard]] Outcome deleteToken(uint64_t id, store::DbError& error);

 private:
  SqlPool& pool_;
  std::chrono::seconds session_ttl_;
  std::string dummy_hash_;  // verified against when the user does not exist
};

}  // namespace sipvault::api
