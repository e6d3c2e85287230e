#include "api/api_exchange.h"

#include <sstream>

#include "api/message_record.h"
#include "api/sql_pool.h"

namespace sipvault::api {

using namespace sipvault::store;

Poco::JSON::Object::Ptr jsonObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

ApiResponse ApiResponse::json(int status, const Poco::JSON::Object::Ptr& object) {
  ApiResponse r;
  r.status = status;
  std::ostringstream out;
  object->stringify(out);
  r.body = out.str();
  return r;
}

ApiResponse ApiResponse::error(int status, std::string_view code, std::string_view message,
                               std::string_view parameter) {
  Poco::JSON::Object::Ptr e = jsonObject();
  e->set("code", std::string(code));
  if (!parameter.empty()) e->set("parameter", jsonText(parameter));
  e->set("message", jsonText(message));
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("error", e);
  return json(status, o);
}

ApiResponse ApiResponse::databaseError(const DbError& e) {
  if (e.code == kPoolExhausted) return error(503, "unavailable", "the database is busy; try again");
  return error(500, "database_error", "the database query failed");
}

std::optional<ParamError> onlyParams(const QueryParams& query, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : query) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == name;
    if (!ok) return ParamError{name, "unknown parameter"};
  }
  return std::nullopt;
}

}  // namespace sipvault::api
