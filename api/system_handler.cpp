#include "api/system_handler.h"

#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;

ApiResponse SystemHandler::health(const ApiRequest&) {
  // The background check's last answer: no database round trip per request.
  const DbHealth::State db = ctx_.db_health.state();
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("status", db.ok ? "ok" : "degraded");
  o->set("database", db.ok ? "ok" : "unavailable");
  o->set("database_checked_at",
         db.checked_us ? Poco::Dynamic::Var(formatTimeUs(db.checked_us)) : Poco::Dynamic::Var());
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
