#include "api/system_handler.h"

#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;

ApiResponse SystemHandler::health(const ApiRequest&) {
  // The background check's last answer: no database round trip per request.
  const DbHealth::State db = ctx_.db_health.state();
  Poco::JSON::Object::Ptr o = jsonObject();
  bool shard_down = false;
  Poco::JSON::Array::Ptr shards = new Poco::JSON::Array;
  if (ctx_.shards) {
    // A cluster head: each shard's last probe. A shard down makes answers partial, not the api
    // unavailable, so the HTTP status stays the database's.
    for (const ShardState& s : ctx_.shards->shards()) {
      Poco::JSON::Object::Ptr so = jsonObject();
      so->set("name", s.name);
      so->set("shard_id", s.shard_id);
      so->set("state", s.up ? "up" : "down");
      so->set("since", s.since_us ? Poco::Dynamic::Var(formatTimeUs(s.since_us)) : Poco::Dynamic::Var());
      so->set("checked_at", s.checked_us ? Poco::Dynamic::Var(formatTimeUs(s.checked_us)) : Poco::Dynamic::Var());
      if (!s.up) so->set("error", s.error);
      shard_down = shard_down || !s.up;
      shards->add(so);
    }
  }
  o->set("status", db.ok && !shard_down ? "ok" : "degraded");
  o->set("database", db.ok ? "ok" : "unavailable");
  o->set("database_checked_at",
         db.checked_us ? Poco::Dynamic::Var(formatTimeUs(db.checked_us)) : Poco::Dynamic::Var());
  if (ctx_.shards) o->set("shards", shards);
  return ApiResponse::json(db.ok ? 200 : 503, o);
}

ApiResponse SystemHandler::metrics(const ApiRequest&) {
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = ctx_.registry.render();
  return r;
}

ApiResponse SystemHandler::openapi(const ApiRequest&) {
  ApiResponse r;
  r.body = std::string(openApiDocument());
  return r;
}

}  // namespace sipvault::api
