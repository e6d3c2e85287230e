#include "api/auth_handler.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <charconv>

#include "api/message_record.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

std::optional<ParamError> checkPassword(const std::string& password) {
  if (password.size() < 8 || password.size() > 1024) return ParamError{"password", "8 to 1024 bytes"};
  return std::nullopt;
}

Poco::Dynamic::Var timeOrNull(uint64_t us) {
  if (us == 0) return Poco::Dynamic::Var();
  return formatTimeUs(us);
}

Poco::JSON::Object::Ptr tokenJson(const TokenInfo& t) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("id", std::to_string(t.id));
  o->set("name", jsonText(t.name));
  o->set("username", jsonText(t.username));
  o->set("role", std::string(roleName(t.role)));
  o->set("created_at", formatTimeUs(t.created_us));
  o->set("expires_at", timeOrNull(t.expires_us));
  return o;
}

}  // namespace

ApiResponse AuthHandler::login(const ApiRequest& req) {
  ParamError bad;
  auto body = jsonBody(req.body, bad);
  if (!body) return ApiResponse::badParameter(bad);
  auto username = stringMember(*body, "username", bad);
  if (!username) return ApiResponse::badParameter(bad);
  auto password = stringMember(*body, "password", bad);
  if (!password) return ApiResponse::badParameter(bad);
  if (username->size() > 64 || password->size() > 1024) {
    ctx_.login_failures.inc();
    return ApiResponse::error(401, "unauthorized", "invalid username or password");
  }

  const auto admission = ctx_.login_limiter.admit(*username, req.client, LoginLimiter::Clock::now());
  if (admission.verdict != LoginLimiter::Verdict::Go) {
    ctx_.login_limited.inc();
    const bool busy = admission.verdict == LoginLimiter::Verdict::Busy;
    ApiResponse r =
        busy ? ApiResponse::error(503, "unavailable", "too many logins at once; try again shortly")
             : ApiResponse::error(429, "too_many_requests", "too many failed logins; try again later");
    r.headers.emplace_back("Retry-After", std::to_string(admission.retry_after.count()));
    return r;
  }
  std::string token;
  uint64_t expires_us = 0;
  Role role = Role::Viewer;
  DbError error;
  bool unavailable = false;
  const auto outcome = directoryLogin(*username, *password, token, expires_us, role, error, unavailable);
  if (unavailable) {  // not the user's fault: no failure counted
    ctx_.login_limiter.withdraw(*username, req.client);
    return ApiResponse::error(503, "directory_unavailable",
                              "the login directory (LDAP) cannot be reached; try again later "
                              "(local accounts can still log in)");
  }
  // A database error counts as a failure too: it must not become a way around the limit.
  ctx_.login_limiter.finish(*username, req.client, outcome == AuthStore::Outcome::Ok);
  switch (outcome) {
    case AuthStore::Outcome::Ok: break;
    case AuthStore::Outcome::Denied:
      ctx_.login_failures.inc();
      // Names that are not valid usernames are not logged: they could forge log lines.
      ctx_.log.info("login_failed", {{"username", validUsername(*username) ? *username : std::string("(invalid)")},
                                     {"client", req.client}});
      return ApiResponse::error(401, "unauthorized", "invalid username or password");
    default:
      ctx_.log.error("login_db_error", {{"error", error.describe()}});
      return ApiResponse::databaseError(error);
  }
  ctx_.log.info("login", {{"username", *username}, {"client", req.client}});
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("token", token);
  o->set("expires_at", formatTimeUs(expires_us));
  o->set("role", std::string(roleName(role)));
  o->set("username", *username);
  return ApiResponse::json(200, o);
}

AuthStore::Outcome AuthHandler::directoryLogin(const std::string& username, const std::string& password,
                                               std::string& token, uint64_t& expires_us, Role& role,
                                               DbError& error, bool& unavailable) {
  AuthStore::Account account = AuthStore::Account::Local;
  if (directory_.enabled() && !ctx_.auth.account(username, account, error)) return AuthStore::Outcome::Error;
  if (account == AuthStore::Account::Local)
    return ctx_.auth.login(username, password, token, expires_us, role, error);
  const LdapResult r = directory_.authenticate(username, password);
  const std::string shown = validUsername(username) ? username : std::string("(invalid)");
  if (r.kind == LdapResult::Kind::Unavailable) {
    unavailable = true;
    ctx_.log.error("ldap_unavailable", {{"username", shown}, {"error", r.detail}});
    return AuthStore::Outcome::Denied;
  }
  if (r.kind == LdapResult::Kind::Denied) {
    ctx_.log.info("ldap_login_denied", {{"username", shown}, {"reason", r.detail}});
    return AuthStore::Outcome::Denied;
  }
  uint64_t user_id = 0;
  if (!ctx_.auth.upsertDirectoryUser(username, r.role, user_id, error) ||
      !ctx_.auth.openSession(username, user_id, token, expires_us, error))
    return AuthStore::Outcome::Error;
  role = r.role;
  ctx_.log.info("ldap_login",
                {{"username", username}, {"dn", r.dn}, {"role", std::string(roleName(r.role))}});
  return AuthStore::Outcome::Ok;
}

ApiResponse AuthHandler::logout(const ApiRequest& req) {
  if (req.principal->is_session) {
    DbError error;
    if (!ctx_.auth.endSession(req.principal->token_hash, error)) return ApiResponse::databaseError(error);
  }
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("ok", true);
  return ApiResponse::json(200, o);
}

ApiResponse AuthHandler::me(const ApiRequest& req) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("username", jsonText(req.principal->username));
  o->set("role", std::string(roleName(req.principal->role)));
  o->set("auth", req.principal->is_session ? "session" : "token");
  if (!req.principal->is_session) o->set("token_name", jsonText(req.principal->token_name));
  return ApiResponse::json(200, o);
}

ApiResponse AdminHandler::listUsers(const ApiRequest&) {
  std::vector<UserInfo> users;
  DbError error;
  if (!ctx_.auth.listUsers(users, error)) return ApiResponse::databaseError(error);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const UserInfo& u : users) {
    Poco::JSON::Object::Ptr o = jsonObject();
    o->set("username", jsonText(u.username));
    o->set("role", std::string(roleName(u.role)));
    o->set("created_at", formatTimeUs(u.created_us));
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  return ApiResponse::json(200, o);
}

ApiResponse AdminHandler::createUser(const ApiRequest& req) {
  ParamError bad;
  auto body = jsonBody(req.body, bad);
  if (!body) return ApiResponse::badParameter(bad);
  auto username = stringMember(*body, "username", bad);
  if (!username) return ApiResponse::badParameter(bad);
  if (!validUsername(*username)) return ApiResponse::badParameter({"username", "1 to 64 of A-Z a-z 0-9 . _ @ -"});
  auto password = stringMember(*body, "password", bad);
  if (!password) return ApiResponse::badParameter(bad);
  if (auto e = checkPassword(*password)) return ApiResponse::badParameter(*e);
  auto role_text = stringMember(*body, "role", bad);
  if (!role_text) return ApiResponse::badParameter(bad);
  auto role = parseRole(*role_text);
  if (!role) return ApiResponse::badParameter({"role", "admin or viewer"});
  DbError error;
  switch (ctx_.auth.createUser(*username, *password, *role, error)) {
    case AuthStore::Outcome::Ok: break;
    case AuthStore::Outcome::Exists:
      return ApiResponse::error(409, "conflict", "user already exists", "username");
    default: return ApiResponse::databaseError(error);
  }
  ctx_.log.info("user_created", {{"username", *username}, {"role", *role_text}, {"by", req.principal->username}});
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("username", *username);
  o->set("role", *role_text);
  return ApiResponse::json(201, o);
}

ApiResponse AdminHandler::deleteUser(const ApiRequest& req, const std::string& username) {
  DbError error;
  // Never lock everyone out: the last admin stays (checked inside the delete's transaction).
  switch (ctx_.auth.deleteUser(username, error)) {
    case AuthStore::Outcome::Ok: break;
    case AuthStore::Outcome::NotFound: return ApiResponse::error(404, "not_found", "no such user");
    case AuthStore::Outcome::Denied:
      return ApiResponse::error(409, "conflict", "cannot delete the last admin");
    default: return ApiResponse::databaseError(error);
  }
  ctx_.log.info("user_deleted", {{"username", username}, {"by", req.principal->username}});
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("deleted", jsonText(username));
  return ApiResponse::json(200, o);
}

ApiResponse AdminHandler::listTokens(const ApiRequest&) {
  std::vector<TokenInfo> tokens;
  DbError error;
  if (!ctx_.auth.listTokens(tokens, error)) return ApiResponse::databaseError(error);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const TokenInfo& t : tokens) items->add(tokenJson(t));
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  return ApiResponse::json(200, o);
}

ApiResponse AdminHandler::createToken(const ApiRequest& req) {
  ParamError bad;
  auto body = jsonBody(req.body, bad);
  if (!body) return ApiResponse::badParameter(bad);
  auto name = stringMember(*body, "name", bad);
  if (!name) return ApiResponse::badParameter(bad);
  if (name->empty() || name->size() > 128) return ApiResponse::badParameter({"name", "1 to 128 bytes"});
  for (unsigned char c : *name)
    if (c < 0x20 || c == 0x7f) return ApiResponse::badParameter({"name", "contains a control character"});
  Role role = Role::Viewer;
  if ((*body)->has("role")) {
    auto role_text = stringMember(*body, "role", bad);
    if (!role_text) return ApiResponse::badParameter(bad);
    auto r = parseRole(*role_text);
    if (!r) return ApiResponse::badParameter({"role", "admin or viewer"});
    role = *r;
  }
  uint64_t expires_us = 0;
  if ((*body)->has("expires_days") && !(*body)->get("expires_days").isEmpty()) {
    const Poco::Dynamic::Var v = (*body)->get("expires_days");
    int64_t days = -1;
    if (v.isInteger()) {
      try {
        days = v.convert<int64_t>();
      } catch (const Poco::Exception&) {
        days = -1;
      }
    }
    if (days < 0 || days > 3650) return ApiResponse::badParameter({"expires_days", "0-3650 (0 = never expires)"});
    if (days > 0) expires_us = req.now_us + static_cast<uint64_t>(days) * 86400ull * 1000000;
  }
  std::string token;
  TokenInfo info;
  DbError error;
  if (!ctx_.auth.createToken(*name, role, req.principal->username, expires_us, token, info, error))
    return ApiResponse::databaseError(error);
  ctx_.log.info("token_created", {{"id", info.id}, {"role", std::string(roleName(role))}, {"by", req.principal->username}});
  Poco::JSON::Object::Ptr o = tokenJson(info);
  o->set("token", token);
  return ApiResponse::json(201, o);
}

ApiResponse AdminHandler::deleteToken(const ApiRequest& req, const std::string& id_text) {
  uint64_t id = 0;
  auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || ptr != id_text.data() + id_text.size())
    return ApiResponse::error(404, "not_found", "no such token");
  DbError error;
  switch (ctx_.auth.deleteToken(id, error)) {
    case AuthStore::Outcome::Ok: break;
    case AuthStore::Outcome::NotFound: return ApiResponse::error(404, "not_found", "no such token");
    default: return ApiResponse::databaseError(error);
  }
  ctx_.log.info("token_deleted", {{"id", id}, {"by", req.principal->username}});
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("deleted", id_text);
  return ApiResponse::json(200, o);
}

}  // namespace sipvault::api
