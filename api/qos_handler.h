#pragma once
// GET /api/v1/calls/{call_id}/qos (issue 15, api/API_CONTRACT.md "Call quality"): the call's legs
// as the flow endpoint finds them (call_flow.h), the quality reports of those legs (sip_qos by
// call id) and the uncorrelated ones (call_id_hash = 0) sent from a media address the legs' SDP
// named (qos_media.h), within the call's time span +- kQosMarginUs; grouped and summarized by
// qos_report_view.h. When there is no report the answer says why ("reason").
// The share link's /api/v1/shared/{token}/qos answers with buildQos for the link's call and range.
// Thread-safe; one instance per server.
#include <string>

#include "api/api_context.h"
#include "api/api_exchange.h"
#include "api/qos_report_view.h"

namespace sipvault::api {

class QosHandler {
 public:
  explicit QosHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse call(const ApiRequest& req, const std::string& call_id);
  // The answer for `call` over [from_us, to_us] (the flow's range): 404 when the call has no
  // message there, a database error as 5xx.
  [[nodiscard]] ApiResponse answer(const CallRef& call, uint64_t from_us, uint64_t to_us, const char* endpoint);

 private:
  [[nodiscard]] bool buildQos(const CallFlow& flow, QosCallView& view, store::DbError& error);
  ApiContext& ctx_;
};

}  // namespace sipvault::api
