#include "parser/kpi_recorder.h"

namespace sipvault::parser {

void KpiRecorder::beginBatch() {
  if (aliases_) table_ = aliases_();
}

void KpiRecorder::observe(const sip::SipMessage& m, const wire::CapturedPacket& p) {
  const std::string& ip = m.is_request ? p.dst_ip() : p.src_ip();
  const auto port = static_cast<uint16_t>(m.is_request ? p.dst_port() : p.src_port());
  peer_.assign(ip);
  peer_ += static_cast<char>(port >> 8);
  peer_ += static_cast<char>(port & 0xff);
  const std::string* alias = table_ ? table_->nameOf(ip, port, p.capture_id()) : nullptr;
  KpiMessage k;
  k.is_request = m.is_request;
  k.method = m.transactionMethod();
  k.status = m.status_code;
  k.call_id = m.call_id;
  k.cseq = m.cseq_number;
  k.peer = peer_;
  k.time_us = p.capture_time_us();
  k.label = alias ? std::string_view(*alias) : kOtherLabel;
  tracker_.observe(k);
  if (k.time_us > newest_us_) newest_us_ = k.time_us;
}

void KpiRecorder::endBatch() { tracker_.expire(newest_us_); }

}  // namespace sipvault::parser
