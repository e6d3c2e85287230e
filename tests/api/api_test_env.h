#pragma once
// The environment of the api integration tests:
//
//   * truth(): every SIP message the tests put into the pipeline, with the fields a search can
//     match, computed here from the input bytes (HEP decoded with sipvault_hep, SIP parsed with
//     sipvault_sip): the corpus captures hep/kamailio/hep3-kamailio-udp.pcap and
//     hep/hep-wireshark_hep.pcap, plus a few messages derived from the kamailio INVITE/200 for
//     what the corpus lacks (B2BUA legs, X-CID, HEP correlation, TCP, IPv6, invalid UTF-8).
//   * loadPipeline(): fills database kDatabase on the CTest fixture MariaDB through the REAL
//     pipeline: sipvault-collector, sipvault-parser and sipvault-writer processes, HEP sent over
//     UDP; then creates the admin once with sipvault-api --create-admin. Run once per ctest run by
//     the api_pipeline_loader fixture test; tests run it themselves when the data is missing (a
//     test binary started by hand).
//   * api(): one sipvault-api process per test process, on a free port, over that database.
//   * ApiClient: HTTP requests (Poco::Net::HTTPClientSession) with a bearer token.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"

namespace sipvault::apitest {

inline constexpr const char* kDatabase = "sipvault_apitest";

struct TruthMessage {
  uint64_t time_us = 0;
  std::string src_ip, dst_ip;  // text, as the API prints them
  uint16_t src_port = 0, dst_port = 0;
  std::string transport;       // "udp" / "tcp"
  uint32_t capture_id = 0;
  std::string correlation_id;
  std::string payload;         // the raw SIP message
  bool is_request = false;
  std::string method;          // request method or CSeq method
  uint16_t status = 0;
  std::string call_id, from_user, to_user, ruri_user, from_tag, to_tag, user_agent, x_cid;
};

// Call-IDs of the derived messages (see api_test_env.cpp for what each one is).
inline constexpr const char* kLegA = "b2b-leg-a@192.0.2.10";     // incoming leg of a B2BUA
inline constexpr const char* kLegB = "b2b-leg-b@192.0.2.20";     // its outgoing leg: same numbers, overlapping set-up
inline constexpr const char* kLegX = "xcid-leg@192.0.2.20";      // points at leg A with X-CID
inline constexpr const char* kLegC = "corr-leg@192.0.2.20";      // points at leg A with the HEP correlation id
inline constexpr const char* kRepeat = "b2b-repeat@192.0.2.10";  // same numbers as A, 3 s later: not a leg
inline constexpr const char* kTcpV6 = "tcp-v6@2001:db8::1";      // TCP over IPv6, User-Agent not UTF-8
inline constexpr const char* kBusyLate = "busy-late@192.0.2.10";  // INVITE, then 486 (Q.850 17) after 5 s
inline constexpr const char* kFailSoon = "fail-soon@192.0.2.10";  // INVITE 1 s after kBusyLate's, 404 at once

// B2BUA legs linked only by a correlation rule of the parser (issue 14; the loader's parser runs
// with kParserHeaderConfig): other numbers on each side, no X-CID, no HEP correlation id.
inline constexpr const char* kIcidA = "icid-leg-a@192.0.2.10";     // INVITE + 200, P-Charging-Vector
inline constexpr const char* kIcidB = "icid-leg-b@192.0.2.20";     // the same icid-value
inline constexpr const char* kSessionA = "sess-leg-a@192.0.2.10";  // Session-ID local UUID only
inline constexpr const char* kSessionB = "sess-leg-b@192.0.2.20";  // its 200 names A's UUID as remote
inline constexpr const char* kIcidValue = "icid-4711-fra<x>";  // quoted in the header; markup for the UI
inline constexpr const char* kSessionUuidA = "ab30317f1a784dc48ff824d0d3715d86";
// The parser config of the loader: custom header fields and correlation rules.
inline constexpr const char* kParserHeaderConfig =
    "[parser]\n"
    "headers.extract = P-Asserted-Identity, pai_user\n"
    "headers.pai_user.header = P-Asserted-Identity\n"
    "headers.pai_user.regex = <?sips?:([^@;>]+)@\n"
    "correlation.rules = icid, session-id\n";

[[nodiscard]] const std::vector<TruthMessage>& truth();

// SIP the parser cannot parse (kept raw in sip_rejects, issue 12 "Missing 7"); capture id
// kRejectCaptureId, from 192.0.2.60/.61. Not in truth().
inline constexpr uint32_t kRejectCaptureId = 3002;
struct TruthReject {
  uint64_t time_us = 0;
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  std::string reason_part;  // a substring of the parser's reason
  std::string payload;
};
[[nodiscard]] const std::vector<TruthReject>& rejectTruth();
// Every HEP packet sent into the collector (SIP and the corpus' non-SIP packets).
[[nodiscard]] const std::vector<std::string>& hepPackets();

// One UDP datagram to 127.0.0.1:port (HEP into a collector).
void sendUdp(int port, const std::string& bytes);

// A private collector -> parser -> writer into kDatabase, for a test that sends its own HEP: each
// daemon logs into `log_dir`, `parser_args` are added to the parser's (e.g. --config FILE). Ready
// when constructed (throws std::runtime_error naming the daemon that did not start); every daemon
// is stopped by PID when it goes.
class CapturePipeline {
 public:
  explicit CapturePipeline(const std::string& log_dir, const std::vector<std::string>& parser_args = {});
  [[nodiscard]] int hepPort() const { return hep_port_; }
  // SIGTERM in pipeline order (collector, parser, writer): what was received gets stored.
  void stop();

 private:
  int parser_in_, writer_in_, hep_port_;
  test::ChildProcess writer_, parser_, collector_;
};

[[nodiscard]] bool pipelineLoaded();
// Throws std::runtime_error naming what failed.
void loadPipeline();
void ensurePipelineLoaded();

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  [[nodiscard]] Poco::JSON::Object::Ptr json() const;  // throws if not a JSON object
};

class ApiClient {
 public:
  ApiClient(int port, std::string token = "") : port_(port), token_(std::move(token)) {}
  HttpResult get(const std::string& target) const { return request("GET", target, ""); }
  HttpResult post(const std::string& target, const std::string& body) const { return request("POST", target, body); }
  HttpResult del(const std::string& target) const { return request("DELETE", target, ""); }
  HttpResult request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers = {}) const;
  void setToken(std::string token) { token_ = std::move(token); }

 private:
  int port_;
  std::string token_;
};

struct ApiProcessInfo {
  int port = 0;
  std::string admin_password;
  std::string ui_dir;      // a UI directory made for the tests
  std::string secret_file; // a file next to (outside) ui_dir that must never be served
  std::string log_path;
};

// Starts sipvault-api once per process (loading the pipeline first if needed).
[[nodiscard]] const ApiProcessInfo& api();
// A client logged in as the admin (one login per process).
[[nodiscard]] const ApiClient& admin();
// Logs in; the token or "" when refused.
[[nodiscard]] std::string login(const std::string& user, const std::string& password);

// {"name": value, ...} as JSON text, for request bodies.
[[nodiscard]] std::string json(std::initializer_list<std::pair<std::string, Poco::Dynamic::Var>> fields);

// Percent-encodes a query value or path segment.
[[nodiscard]] std::string enc(const std::string& s);
// "192.0.2.1"-style text of 4/16 raw bytes.
[[nodiscard]] std::string ipString(const std::string& raw);

}  // namespace sipvault::apitest
