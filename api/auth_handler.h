#pragma once
// Authentication and account management endpoints (api/API_CONTRACT.md, "Auth"):
//   AuthHandler   POST /login, POST /logout, GET /me
//   AdminHandler  GET/POST /users, DELETE /users/{username}, GET/POST /tokens, DELETE /tokens/{id}
// Request bodies are JSON objects of at most api.max_body_bytes (checked by the server).
#include "api/api_context.h"
#include "api/api_exchange.h"
#include "api/ldap_directory.h"

namespace sipvault::api {

class AuthHandler {
 public:
  explicit AuthHandler(ApiContext& ctx) : ctx_(ctx), directory_(ctx.options.ldap) {
    if (directory_.enabled()) ctx_.log.info("ldap_login_enabled", {{"url", ctx.options.ldap.url}});
  }
  [[nodiscard]] ApiResponse login(const ApiRequest& req);
  [[nodiscard]] ApiResponse logout(const ApiRequest& req);
  [[nodiscard]] ApiResponse me(const ApiRequest& req);

 private:
  // With api.ldap_url set, a name that is not a local (password) user logs in through the
  // directory; local users, admins included, never depend on it.
  [[nodiscard]] AuthStore::Outcome directoryLogin(const std::string& username, const std::string& password,
                                                  std::string& token, uint64_t& expires_us, Role& role,
                                                  store::DbError& error, bool& unavailable);
  ApiContext& ctx_;
  LdapDirectory directory_;
};

class AdminHandler {
 public:
  explicit AdminHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse listUsers(const ApiRequest& req);
  [[nodiscard]] ApiResponse createUser(const ApiRequest& req);
  [[nodiscard]] ApiResponse deleteUser(const ApiRequest& req, const std::string& username);
  [[nodiscard]] ApiResponse listTokens(const ApiRequest& req);
  [[nodiscard]] ApiResponse createToken(const ApiRequest& req);
  [[nodiscard]] ApiResponse deleteToken(const ApiRequest& req, const std::string& id);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
