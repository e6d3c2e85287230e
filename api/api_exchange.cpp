#include "api/api_exchange.h"

#include <Poco/JSON/Parser.h>

#include <charconv>
#include <sstream>

#include "api/message_record.h"
#include "api/sql_pool.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;

Poco::JSON::Object::Ptr jsonObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::JSON::Object::Ptr intervalsJson(uint64_t from_us, uint64_t to_us, uint64_t step_s) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("from", formatTimeUs(from_us));
  o->set("to", formatTimeUs(to_us));
  o->set("from_us", from_us);
  o->set("to_us", to_us);
  o->set("step", step_s);
  return o;
}

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

namespace {
constexpr int kMaxJsonDepth = 16;
}  // namespace

std::optional<Poco::JSON::Object::Ptr> jsonBody(const std::string& body, ParamError& error) {
  // Bounded nesting before the parser sees it (its result is built recursively).
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        error = {"body", "nested too deeply"};
        return std::nullopt;
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var v = parser.parse(body);
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  error = {"body", "expected a JSON object"};
  return std::nullopt;
}

std::optional<std::string> stringMember(const Poco::JSON::Object::Ptr& o, const std::string& name,
                                        ParamError& error) {
  if (!o->has(name) || !o->get(name).isString()) {
    error = {name, "required, a string"};
    return std::nullopt;
  }
  return o->get(name).extract<std::string>();
}

std::optional<uint64_t> parseRowId(std::string_view text) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace sipvault::api
