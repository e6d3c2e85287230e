#pragma once
// Share links (api/API_CONTRACT.md, "Share links"; store: share_links.h).
//
// Managed with a login (viewer or admin):
//   POST   /api/v1/shares          {"call_id", "call_ref"?, "from"?, "to"?, "expires_s"?, "note"?} -> 201
//   link + token GET    /api/v1/shares          active links: every one for an admin, one's own for a viewer
//   DELETE /api/v1/shares/{id}     revoke: its creator or an admin
// Opened without a login, the token in the path being the only credential:
//   GET /api/v1/shared/{token}                     the link (call, range, expiry)
//   GET /api/v1/shared/{token}/flow                the call's flow, legs included, in the link's range
//   GET /api/v1/shared/{token}/qos                 that call's quality reports (qos_handler.h)
//   GET /api/v1/shared/{token}/messages/{id}       one message of that flow (detail with raw)
//   GET /api/v1/shared/{token}/export.pcap|.txt    that flow's messages
// Nothing else: the token is not a bearer token, a message outside the flow is a 404, and no
// query parameter is accepted. A forged, altered or unknown token is a 404; an expired or revoked
// one a 410. Thread-safe; one instance per server.
#include <string>

#include "api/api_context.h"
#include "api/api_exchange.h"
#include "api/share_links.h"

namespace sipvault::api {

class ShareHandler {
 public:
  explicit ShareHandler(ApiContext& ctx);
  [[nodiscard]] ApiResponse create(const ApiRequest& req);
  [[nodiscard]] ApiResponse list(const ApiRequest& req);
  [[nodiscard]] ApiResponse revoke(const ApiRequest& req, const std::string& id);

  [[nodiscard]] ApiResponse info(const ApiRequest& req, const std::string& token);
  [[nodiscard]] ApiResponse flow(const ApiRequest& req, const std::string& token);
  [[nodiscard]] ApiResponse qos(const ApiRequest& req, const std::string& token);
  [[nodiscard]] ApiResponse message(const ApiRequest& req, const std::string& token, const std::string& id);
  [[nodiscard]] ApiResponse exportPcap(const ApiRequest& req, const std::string& token);
  [[nodiscard]] ApiResponse exportText(const ApiRequest& req, const std::string& token);

 private:
  // The link of `token`, or the error response (404 / 410 / 5xx) in `refused`.
  [[nodiscard]] bool open(const ApiRequest& req, const std::string& token, ShareLink& link,
                          ApiResponse& refused);
  // The request an export or message lookup of `link` is served as.
  [[nodiscard]] ApiRequest scoped(const ApiRequest& req, const ShareLink& link, bool export_query) const;
  ApiContext& ctx_;
  ShareLinks links_;
};

}  // namespace sipvault::api
