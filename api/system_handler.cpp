#include "api/system_handler.h"

namespace sipvault::api {

using namespace sipvault::store;

ApiResponse SystemHandler::health(const ApiRequest&) {
  DbError error;
  const bool db_ok = ctx_.pool.ping(error);
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("status", db_ok ? "ok" : "degraded");
  o->set("database", db_ok ? "ok" : "unavailable");
  return ApiResponse::json(db_ok ? 200 : 503, o);
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
