#include "api/share_handler.h"

#include <Poco/JSON/Array.h>

#include <charconv>

#include "api/call_flow.h"
#include "api/export_handler.h"
#include "api/message_record.h"
#include "api/qos_handler.h"
#include "api/search_handler.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr size_t kMaxNote = 255;

Poco::JSON::Object::Ptr linkJson(const ShareLink& l) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("id", std::to_string(l.id));
  o->set("call_id", jsonText(l.call_id));
  o->set("call_ref", l.call_ref);
  o->set("from", formatTimeUs(l.from_us));
  o->set("to", formatTimeUs(l.to_us));
  o->set("from_us", l.from_us);
  o->set("to_us", l.to_us);
  o->set("note", jsonText(l.note));
  o->set("created_by", jsonText(l.created_by));
  o->set("created_at", formatTimeUs(l.created_us));
  o->set("expires_at", formatTimeUs(l.expires_us));
  return o;
}

// The public view of a link: no creator, no id.
Poco::JSON::Object::Ptr publicJson(const ShareLink& l) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("call_id", jsonText(l.call_id));
  o->set("from", formatTimeUs(l.from_us));
  o->set("to", formatTimeUs(l.to_us));
  o->set("note", jsonText(l.note));
  o->set("expires_at", formatTimeUs(l.expires_us));
  return o;
}

// A time member ("from", "to": the REST time syntax); nullopt when absent, `bad` when invalid.
std::optional<uint64_t> timeMember(const Poco::JSON::Object::Ptr& o, const std::string& name,
                                   std::optional<ParamError>& bad) {
  if (!o->has(name) || o->get(name).isEmpty()) return std::nullopt;
  if (!o->get(name).isString()) {
    bad = ParamError{name, "a time string"};
    return std::nullopt;
  }
  auto t = parseTimeParam(o->get(name).extract<std::string>());
  if (!t) bad = ParamError{name, "not an RFC 3339 time or epoch time with its unit"};
  return t;
}

}  // namespace

ShareHandler::ShareHandler(ApiContext& ctx) : ctx_(ctx), links_(ctx.pool, ctx.options.share_secret) {}

ApiResponse ShareHandler::create(const ApiRequest& req) {
  ParamError bad;
  auto body = jsonBody(req.body, bad);
  if (!body) return ApiResponse::badParameter(bad);
  auto call_id = stringMember(*body, "call_id", bad);
  if (!call_id) return ApiResponse::badParameter(bad);
  if (call_id->empty() || call_id->size() > kMaxCallIdValue)
    return ApiResponse::badParameter({"call_id", "1 to " + std::to_string(kMaxCallIdValue) + " bytes"});
  CallRef call = CallRef::of(*call_id);
  if ((*body)->has("call_ref") && !(*body)->get("call_ref").isEmpty()) {
    auto text = stringMember(*body, "call_ref", bad);
    if (!text) return ApiResponse::badParameter(bad);
    auto ref = decodeCallRef(*text);
    if (!ref) return ApiResponse::badParameter({"call_ref", "not a call_ref from this api"});
    if (jsonText(ref->stored) != *call_id &&
        ref->stored != std::string_view(*call_id).substr(0, kCallIdWidth))
      return ApiResponse::badParameter({"call_ref", "names another call than call_id"});
    call = std::move(*ref);
  }
  std::optional<ParamError> time_error;
  auto from = timeMember(*body, "from", time_error);
  auto to = timeMember(*body, "to", time_error);
  if (time_error) return ApiResponse::badParameter(*time_error);
  ShareLink link;
  link.to_us = to.value_or(req.now_us);
  link.from_us =
      from.value_or(link.to_us > ctx_.options.flow_range_us ? link.to_us - ctx_.options.flow_range_us : 0);
  if (link.from_us > link.to_us) return ApiResponse::badParameter({"from", "after to"});
  int64_t ttl = ctx_.options.share_default_ttl_s;
  if ((*body)->has("expires_s")) {
    const auto& v = (*body)->get("expires_s");
    if (!v.isInteger() || v.convert<int64_t>() < 1 || v.convert<int64_t>() > ctx_.options.share_max_ttl_s)
      return ApiResponse::badParameter(
          {"expires_s", "whole seconds, 1 to " + std::to_string(ctx_.options.share_max_ttl_s)});
    ttl = v.convert<int64_t>();
  }
  if ((*body)->has("note") && !(*body)->get("note").isEmpty()) {
    auto note = stringMember(*body, "note", bad);
    if (!note) return ApiResponse::badParameter(bad);
    if (note->size() > kMaxNote) return ApiResponse::badParameter({"note", "at most 255 bytes"});
    link.note = *note;
  }
  // Only a call that has messages in the range can be shared (a typo would share nothing).
  CallFlow flow;
  DbError error;
  if (!buildCallFlow(ctx_.messages, call, link.from_us, link.to_us, ctx_.options.flow, flow, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "share_create"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (flow.messages.empty())
    return ApiResponse::error(404, "not_found", "no message of this call in the time range");
  link.call_id = call.stored;
  link.call_ref = encodeCallRef(call);
  link.created_by = req.principal->username;
  link.expires_us = req.now_us + static_cast<uint64_t>(ttl) * 1000000;
  std::string token;
  if (!links_.create(link, token, error)) {
    ctx_.log.error("share_create_failed", {{"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  ctx_.log.info("share_created", {{"id", link.id}, {"by", link.created_by}, {"expires_us", link.expires_us}});
  Poco::JSON::Object::Ptr o = linkJson(link);
  o->set("token", token);
  o->set("url", "/#/share?t=" + token);
  return ApiResponse::json(201, o);
}

ApiResponse ShareHandler::list(const ApiRequest& req) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  const bool admin = req.principal->role == Role::Admin;
  std::vector<ShareLink> links;
  DbError error;
  if (!links_.listActive(req.now_us,
                         admin ? std::nullopt : std::optional<std::string_view>(req.principal->username),
                         links, error))
    return ApiResponse::databaseError(error);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const ShareLink& l : links) items->add(linkJson(l));
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  return ApiResponse::json(200, o);
}

ApiResponse ShareHandler::revoke(const ApiRequest& req, const std::string& id_text) {
  auto id = parseRowId(id_text);
  if (!id) return ApiResponse::error(404, "not_found", "no such share link");
  std::optional<ShareLink> link;
  DbError error;
  if (!links_.byId(*id, link, error)) return ApiResponse::databaseError(error);
  if (!link) return ApiResponse::error(404, "not_found", "no such share link");
  if (req.principal->role != Role::Admin && link->created_by != req.principal->username)
    return ApiResponse::error(403, "forbidden", "only its creator or an admin can revoke a share link");
  if (!links_.revoke(*id, req.principal->username, req.now_us, error))
    return ApiResponse::databaseError(error);
  ctx_.log.info("share_revoked", {{"id", *id}, {"by", req.principal->username}});
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("revoked", std::to_string(*id));
  return ApiResponse::json(200, o);
}

bool ShareHandler::open(const ApiRequest& req, const std::string& token, ShareLink& link,
                        ApiResponse& refused) {
  if (auto e = onlyParams(req.query, {})) {
    refused = ApiResponse::badParameter(*e);
    return false;
  }
  DbError error;
  switch (links_.resolve(token, req.now_us, link, error)) {
    case ShareLinks::Check::Ok:
      return true;
    case ShareLinks::Check::Invalid:
      refused = ApiResponse::error(404, "not_found", "no such share link");
      return false;
    case ShareLinks::Check::Expired:
      refused = ApiResponse::error(410, "gone", "this share link has expired");
      return false;
    case ShareLinks::Check::Revoked:
      refused = ApiResponse::error(410, "gone", "this share link was revoked");
      return false;
    case ShareLinks::Check::Error:
      break;
  }
  ctx_.log.error("share_resolve_failed", {{"error", error.describe()}});
  refused = ApiResponse::databaseError(error);
  return false;
}

ApiRequest ShareHandler::scoped(const ApiRequest& req, const ShareLink& link, bool export_query) const {
  ApiRequest r;
  r.method = req.method;
  r.client = req.client;
  r.now_us = req.now_us;
  if (export_query)
    r.query = {{"call_ref", link.call_ref},
               {"legs", "linked"},
               {"from", std::to_string(link.from_us) + "us"},
               {"to", std::to_string(link.to_us) + "us"}};
  return r;
}

ApiResponse ShareHandler::info(const ApiRequest& req, const std::string& token) {
  ShareLink link;
  ApiResponse refused;
  if (!open(req, token, link, refused)) return refused;
  return ApiResponse::json(200, publicJson(link));
}

ApiResponse ShareHandler::flow(const ApiRequest& req, const std::string& token) {
  ShareLink link;
  ApiResponse refused;
  if (!open(req, token, link, refused)) return refused;
  auto call = decodeCallRef(link.call_ref);
  if (!call) return ApiResponse::error(500, "internal", "stored share link is damaged");
  CallFlow flow;
  DbError error;
  if (!buildCallFlow(ctx_.messages, *call, link.from_us, link.to_us, ctx_.options.flow, flow, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "shared_flow"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (flow.messages.empty())
    return ApiResponse::error(404, "not_found", "no message of this call in the time range");
  Poco::JSON::Object::Ptr o = callFlowJson(flow);
  o->set("share", publicJson(link));
  return ApiResponse::json(200, o);
}

ApiResponse ShareHandler::qos(const ApiRequest& req, const std::string& token) {
  ShareLink link;
  ApiResponse refused;
  if (!open(req, token, link, refused)) return refused;
  auto call = decodeCallRef(link.call_ref);
  if (!call) return ApiResponse::error(500, "internal", "stored share link is damaged");
  return QosHandler(ctx_).answer(*call, link.from_us, link.to_us, "shared_qos");
}

ApiResponse ShareHandler::message(const ApiRequest& req, const std::string& token, const std::string& id) {
  ShareLink link;
  ApiResponse refused;
  if (!open(req, token, link, refused)) return refused;
  auto key = parseMessageId(id);
  auto call = decodeCallRef(link.call_ref);
  if (!key || !call) return ApiResponse::error(404, "not_found", "no such message in this share");
  // Only a message the link's flow shows: the flow is the scope, whatever the id names.
  CallFlow flow;
  DbError error;
  if (!buildCallFlow(ctx_.messages, *call, link.from_us, link.to_us, ctx_.options.flow, flow, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "shared_message"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  bool inside = false;
  for (const MessageRecord& m : flow.messages)
    inside = inside || (m.capture_us == key->capture_us && m.id == key->id);
  if (!inside) return ApiResponse::error(404, "not_found", "no such message in this share");
  return SearchHandler(ctx_).message(scoped(req, link, false), id);
}

ApiResponse ShareHandler::exportPcap(const ApiRequest& req, const std::string& token) {
  ShareLink link;
  ApiResponse refused;
  if (!open(req, token, link, refused)) return refused;
  return ExportHandler(ctx_).pcap(scoped(req, link, true));
}

ApiResponse ShareHandler::exportText(const ApiRequest& req, const std::string& token) {
  ShareLink link;
  ApiResponse refused;
  if (!open(req, token, link, refused)) return refused;
  return ExportHandler(ctx_).text(scoped(req, link, true));
}

}  // namespace sipvault::api
