#pragma once
// SIP KPIs (issue 14; RFC 6076 terms) from the messages one parser worker sees. Pure: no clock
// (time is the messages' capture time), no I/O; the events go to a KpiSink. Not thread-safe: one
// per worker.
//
// INVITE transactions are keyed by Call-ID + CSeq number + the far peer (the request's
// destination, the response's source: raw ip + port), so that one request seen at several
// capture points counts once per hop and a retransmission not again.
//   INVITE request, new key         -> attempt
//   18x or 2xx, first for the key   -> SRD sample (RFC 6076 4.2: request to the first non-100
//                                      provisional, or to the 2xx when none came)
//   final response, first for key   -> answered (2xx) or failed (3xx counted as class 3, 4xx, 5xx,
//                                      6xx); 486/487/600/603 also count as user failures (NER:
//                                      the network did its job, the user declined or hung up)
//   no final within timeout         -> timeout
// A final response whose request this worker did not see (another worker took it, or it came
// before start) still counts as answered/failed: outcomes add up over workers however the
// packets were spread. Only SRD needs both halves on one worker (parser/README.md "KPIs").
// REGISTER final responses count once per key as success (2xx), challenge (401/407) or failure.
//
// Memory is bounded: at most max_transactions keys; a new one evicts the oldest (counted) and
// keys older than `timeout_us` (by capture time) expire on expire().
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sipvault::parser {

enum class RegisterResult { Success, Challenge, Failure };

// Receives the KPI events; `label` is the caller's label for the peer (borrowed for the call).
class KpiSink {
 public:
  virtual ~KpiSink() = default;
  virtual void attempt(std::string_view label) = 0;
  virtual void answered(std::string_view label) = 0;
  virtual void failed(std::string_view label, int status_class, bool user_failure) = 0;  // class 3..6
  virtual void timeout(std::string_view label) = 0;
  virtual void sessionRequestDelay(std::string_view label, uint64_t delay_us) = 0;
  virtual void registerResult(std::string_view label, RegisterResult result) = 0;
  virtual void evicted() = 0;  // an unfinished transaction pushed out by max_transactions
};

struct KpiMessage {
  bool is_request = false;
  std::string_view method;     // request method, or the response's CSeq method
  uint16_t status = 0;         // responses
  std::string_view call_id;
  uint64_t cseq = 0;
  std::string_view peer;       // far side: request dst / response src, any stable bytes (ip + port)
  uint64_t time_us = 0;        // capture time
  std::string_view label;      // the peer's KPI label
};

struct KpiLimits {
  size_t max_transactions = 100000;       // parser.kpi_max_transactions
  uint64_t timeout_us = 180ull * 1000000;  // parser.kpi_transaction_timeout_s (RFC 3261 Timer C)
};

class SipKpiTracker {
 public:
  SipKpiTracker(KpiLimits limits, KpiSink& sink) : limits_(limits), sink_(sink) {}

  void observe(const KpiMessage& m);
  // Expires transactions started more than timeout_us before `now_us` (a capture time).
  void expire(uint64_t now_us);
  [[nodiscard]] size_t size() const { return index_.size(); }

  // 486 Busy Here, 487 Request Terminated, 600 Busy Everywhere, 603 Decline.
  [[nodiscard]] static bool isUserFailure(uint16_t status);

 private:
  struct Transaction {
    std::string key;
    std::string label;
    uint64_t start_us = 0;
    bool seen_request = false;
    bool delay_done = false;
    bool final_done = false;
  };
  using List = std::list<Transaction>;

  const std::string& keyOf(const KpiMessage& m);  // into key_
  Transaction& findOrAdd(const KpiMessage& m, bool& added);
  void onInviteResponse(const KpiMessage& m);
  void onRegisterResponse(const KpiMessage& m);

  KpiLimits limits_;
  KpiSink& sink_;
  List order_;  // oldest first (insertion order)
  std::unordered_map<std::string, List::iterator> index_;
  std::string key_;  // reused
};

}  // namespace sipvault::parser
