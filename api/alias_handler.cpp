#include "api/alias_handler.h"

#include <Poco/JSON/Array.h>

#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr size_t kMaxNote = 255;
constexpr size_t kMaxTargetText = 64;

Poco::JSON::Object::Ptr aliasJson(const AliasRow& r) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("id", std::to_string(r.alias.id));
  o->set("name", jsonText(r.alias.name));
  o->set("target", formatAliasTarget(r.alias.target));
  o->set("kind", std::string(aliasKindName(r.alias.target.kind)));
  o->set("note", jsonText(r.note));
  o->set("created_by", jsonText(r.created_by));
  o->set("created_at", formatTimeUs(r.created_us));
  o->set("updated_at", formatTimeUs(r.updated_us));
  return o;
}

}  // namespace

bool AliasHandler::readBody(const ApiRequest& req, AliasRow& row, ApiResponse& bad) const {
  ParamError e;
  auto body = jsonBody(req.body, e);
  if (!body) return bad = ApiResponse::badParameter(e), false;
  auto name = stringMember(*body, "name", e);
  if (!name) return bad = ApiResponse::badParameter(e), false;
  std::string why;
  if (!validAliasName(*name, why)) return bad = ApiResponse::badParameter({"name", why}), false;
  auto target = stringMember(*body, "target", e);
  if (!target) return bad = ApiResponse::badParameter(e), false;
  if (target->size() > kMaxTargetText)
    return bad = ApiResponse::badParameter({"target", "longer than " + std::to_string(kMaxTargetText) + " bytes"}),
           false;
  auto parsed = parseAliasTarget(*target, why);
  if (!parsed) return bad = ApiResponse::badParameter({"target", why}), false;
  std::string note;
  if ((*body)->has("note") && !(*body)->get("note").isEmpty()) {
    auto n = stringMember(*body, "note", e);
    if (!n) return bad = ApiResponse::badParameter(e), false;
    if (n->size() > kMaxNote) return bad = ApiResponse::badParameter({"note", "longer than 255 bytes"}), false;
    for (unsigned char c : *n)
      if (c < 0x20 || c == 0x7f) return bad = ApiResponse::badParameter({"note", "contains a control character"}), false;
    note = std::move(*n);
  }
  row.alias.name = std::move(*name);
  row.alias.target = *parsed;
  row.note = std::move(note);
  return true;
}

void AliasHandler::changed(const char* what, const AliasRow& row, const ApiRequest& req) {
  ctx_.log.info(what, {{"id", row.alias.id},
                       {"target", formatAliasTarget(row.alias.target)},
                       {"by", req.principal ? req.principal->username : std::string()}});
  DbError error;
  if (!ctx_.aliases.refresh(error)) ctx_.log.warn("alias_reload_failed", {{"error", error.describe()}});
}

ApiResponse AliasHandler::list(const ApiRequest& req) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  std::vector<AliasRow> rows;
  DbError error;
  if (!store_.list(rows, error)) return ApiResponse::databaseError(error);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const AliasRow& r : rows) items->add(aliasJson(r));
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  return ApiResponse::json(200, o);
}

ApiResponse AliasHandler::create(const ApiRequest& req) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  AliasRow row;
  ApiResponse bad;
  if (!readBody(req, row, bad)) return bad;
  row.created_by = req.principal ? req.principal->username : std::string();
  DbError error;
  switch (store_.create(row, req.now_us, error)) {
    case AliasStore::Result::Ok:
      break;
    case AliasStore::Result::Duplicate:
      return ApiResponse::error(409, "conflict", "this target already has an alias", "target");
    default:
      return ApiResponse::databaseError(error);
  }
  changed("alias_created", row, req);
  return ApiResponse::json(201, aliasJson(row));
}

ApiResponse AliasHandler::update(const ApiRequest& req, const std::string& id_text) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  auto id = parseRowId(id_text);
  if (!id) return ApiResponse::error(404, "not_found", "no such alias");
  AliasRow row;
  ApiResponse bad;
  if (!readBody(req, row, bad)) return bad;
  row.alias.id = *id;
  DbError error;
  switch (store_.update(row, req.now_us, error)) {
    case AliasStore::Result::Ok:
      break;
    case AliasStore::Result::NotFound:
      return ApiResponse::error(404, "not_found", "no such alias");
    case AliasStore::Result::Duplicate:
      return ApiResponse::error(409, "conflict", "this target already has an alias", "target");
    default:
      return ApiResponse::databaseError(error);
  }
  std::optional<AliasRow> stored;
  if (!store_.byId(*id, stored, error)) return ApiResponse::databaseError(error);
  if (!stored) return ApiResponse::error(404, "not_found", "no such alias");
  changed("alias_updated", *stored, req);
  return ApiResponse::json(200, aliasJson(*stored));
}

ApiResponse AliasHandler::remove(const ApiRequest& req, const std::string& id_text) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  auto id = parseRowId(id_text);
  if (!id) return ApiResponse::error(404, "not_found", "no such alias");
  DbError error;
  std::optional<AliasRow> existing;
  if (!store_.byId(*id, existing, error)) return ApiResponse::databaseError(error);
  switch (store_.remove(*id, error)) {
    case AliasStore::Result::Ok:
      break;
    case AliasStore::Result::NotFound:
      return ApiResponse::error(404, "not_found", "no such alias");
    default:
      return ApiResponse::databaseError(error);
  }
  if (existing) changed("alias_deleted", *existing, req);
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("deleted", std::to_string(*id));
  return ApiResponse::json(200, o);
}

}  // namespace sipvault::api
