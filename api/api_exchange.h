#pragma once
// One REST exchange as the handlers see it: a decoded request in, a complete response out.
// Plain values, independent of Poco's HTTP classes, so that handlers are small and testable.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth_store.h"
#include "api/query_params.h"
#include "api/search_filter.h"

namespace sipvault::api {

struct ApiRequest {
  std::string method;                 // "GET", "POST", ...
  std::vector<std::string> segments;  // decoded path segments: "/api/v1/calls/a%2Fb/flow" -> api v1 calls a/b flow
  QueryParams query;
  std::string body;
  std::string client;                 // peer address, for the login rate limit
  std::optional<Principal> principal; // set for every route that needs a token
  uint64_t now_us = 0;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A body too large to hold (exports): when set, `body` is ignored and this writes the body to the
  // connection after the headers, with chunked transfer encoding. It throws to cut the response off
  // (the client then sees an unterminated chunked body, never a short file that looks complete).
  std::function<void(std::ostream&)> stream;

  [[nodiscard]] static ApiResponse json(int status, const Poco::JSON::Object::Ptr& object);
  // {"error": {"code", "message", "parameter"?}}
  [[nodiscard]] static ApiResponse error(int status, std::string_view code, std::string_view message,
                                         std::string_view parameter = {});
  [[nodiscard]] static ApiResponse badParameter(const ParamError& e) {
    return error(400, "bad_parameter", e.parameter + ": " + e.message, e.parameter);
  }
  // 503 for a pool timeout, else 500; the detail goes to the log, not to the client.
  [[nodiscard]] static ApiResponse databaseError(const store::DbError& e);
};

// A new JSON object that keeps keys in insertion order.
[[nodiscard]] Poco::JSON::Object::Ptr jsonObject();
// The head of an answer over time intervals (stats, summaries): {"from", "to", "from_us", "to_us", "step"}.
[[nodiscard]] Poco::JSON::Object::Ptr intervalsJson(uint64_t from_us, uint64_t to_us, uint64_t step_s);

// A row id from a path segment: decimal digits only; nullopt otherwise (the caller answers 404).
[[nodiscard]] std::optional<uint64_t> parseRowId(std::string_view text);

// Checks that every query parameter is one of `allowed`; the first other name is the error.
[[nodiscard]] std::optional<ParamError> onlyParams(const QueryParams& query,
                                                   std::initializer_list<std::string_view> allowed);

// The body as a JSON object (nesting bounded); nullopt with `error` naming "body" otherwise.
[[nodiscard]] std::optional<Poco::JSON::Object::Ptr> jsonBody(const std::string& body, ParamError& error);
// A string member; nullopt with `error` naming it when missing or not a string.
[[nodiscard]] std::optional<std::string> stringMember(const Poco::JSON::Object::Ptr& o,
                                                      const std::string& name, ParamError& error);

}  // namespace sipvault::api
