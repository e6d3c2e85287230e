#include "parser/sip_kpi_tracker.h"

namespace sipvault::parser {

bool SipKpiTracker::isUserFailure(uint16_t status) {
  return status == 486 || status == 487 || status == 600 || status == 603;
}

const std::string& SipKpiTracker::keyOf(const KpiMessage& m) {
  key_.assign(m.method.data(), m.method.size());
  key_ += '\n';
  key_ += std::to_string(m.cseq);
  key_ += '\n';
  key_.append(m.peer.data(), m.peer.size());
  key_ += '\n';
  key_.append(m.call_id.data(), m.call_id.size());
  return key_;
}

SipKpiTracker::Transaction& SipKpiTracker::findOrAdd(const KpiMessage& m, bool& added) {
  keyOf(m);
  if (auto it = index_.find(key_); it != index_.end()) {
    added = false;
    return *it->second;
  }
  added = true;
  if (limits_.max_transactions > 0 && index_.size() >= limits_.max_transactions) {
    const Transaction& oldest = order_.front();
    if (!oldest.final_done && oldest.seen_request) sink_.evicted();
    index_.erase(oldest.key);
    order_.pop_front();
  }
  order_.push_back(Transaction{key_, std::string(m.label), m.time_us});
  index_.emplace(key_, std::prev(order_.end()));
  return order_.back();
}

void SipKpiTracker::observe(const KpiMessage& m) {
  if (m.call_id.empty()) return;
  if (m.is_request) {
    if (m.method != "INVITE") return;
    bool added = false;
    Transaction& t = findOrAdd(m, added);
    if (t.seen_request) return;  // a retransmission
    // Also when a response came first (another capture point's clock, or reordering): the
    // request is still one attempt; the delay is unknown then.
    t.seen_request = true;
    if (added) t.start_us = m.time_us;
    else t.delay_done = true;
    sink_.attempt(t.label);
    return;
  }
  if (m.status < 100 || m.status > 699) return;
  if (m.method == "INVITE") onInviteResponse(m);
  else if (m.method == "REGISTER") onRegisterResponse(m);
}

void SipKpiTracker::onInviteResponse(const KpiMessage& m) {
  if (m.status == 100) return;
  const bool final = m.status >= 200;
  // A provisional response for a request this worker never saw tells nothing: no entry for it.
  if (!final) {
    auto it = index_.find(keyOf(m));
    if (it == index_.end()) return;
    Transaction& t = *it->second;
    if (t.seen_request && !t.delay_done && m.time_us >= t.start_us) sink_.sessionRequestDelay(t.label, m.time_us - t.start_us);
    t.delay_done = true;
    return;
  }
  bool added = false;
  Transaction& t = findOrAdd(m, added);
  if (t.final_done) return;  // a retransmitted final response
  t.final_done = true;
  if (m.status < 300) {
    if (t.seen_request && !t.delay_done && m.time_us >= t.start_us)
      sink_.sessionRequestDelay(t.label, m.time_us - t.start_us);
    t.delay_done = true;
    sink_.answered(t.label);
  } else {
    sink_.failed(t.label, m.status / 100, isUserFailure(m.status));
  }
}

void SipKpiTracker::onRegisterResponse(const KpiMessage& m) {
  if (m.status < 200) return;
  bool added = false;
  Transaction& t = findOrAdd(m, added);
  if (t.final_done) return;
  t.final_done = true;
  t.seen_request = true;  // nothing left to wait for: never a timeout or an eviction
  const RegisterResult r = m.status < 300                       ? RegisterResult::Success
                           : (m.status == 401 || m.status == 407) ? RegisterResult::Challenge
                                                                  : RegisterResult::Failure;
  sink_.registerResult(t.label, r);
}

void SipKpiTracker::expire(uint64_t now_us) {
  while (!order_.empty() && order_.front().start_us + limits_.timeout_us <= now_us) {
    const Transaction& t = order_.front();
    if (t.seen_request && !t.final_done) sink_.timeout(t.label);
    index_.erase(t.key);
    order_.pop_front();
  }
}

}  // namespace sipvault::parser
