#pragma once
// Aliases over REST (api/API_CONTRACT.md, "Aliases"):
//   GET    /api/v1/aliases        every alias (viewer)
//   POST   /api/v1/aliases        {"name", "target", "note"?} -> 201 (admin)
//   PUT    /api/v1/aliases/{id}   {"name", "target", "note"?} -> 200 (admin)
//   DELETE /api/v1/aliases/{id}   -> 200 {"deleted": "<id>"} (admin)
// Names and targets are checked by store/alias_table.h's rules before any SQL; a bad one is a
// 400 naming the member, a target that already has an alias a 409. Every change reloads this
// process's AliasCache at once (other api processes within api.alias_refresh_s). Thread-safe.
#include <string>

#include "api/alias_cache.h"
#include "api/alias_store.h"
#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

class AliasHandler {
 public:
  explicit AliasHandler(ApiContext& ctx) : ctx_(ctx), store_(ctx.pool) {}
  [[nodiscard]] ApiResponse list(const ApiRequest& req);
  [[nodiscard]] ApiResponse create(const ApiRequest& req);
  [[nodiscard]] ApiResponse update(const ApiRequest& req, const std::string& id);
  [[nodiscard]] ApiResponse remove(const ApiRequest& req, const std::string& id);

 private:
  // name/target/note of the body into `row`; the 400 in `bad` otherwise.
  [[nodiscard]] bool readBody(const ApiRequest& req, AliasRow& row, ApiResponse& bad) const;
  void changed(const char* what, const AliasRow& row, const ApiRequest& req);
  ApiContext& ctx_;
  AliasStore store_;
};

}  // namespace sipvault::api
