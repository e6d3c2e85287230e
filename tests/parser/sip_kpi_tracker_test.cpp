// parser/sip_kpi_tracker.h and sip_kpi_metrics.h: the KPI state machine, pure, with a recording sink;
// kpi_recorder.h through the record builder: which peer and which alias label a message gets.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "parser/kpi_recorder.h"
#include "parser/parser_options.h"
#include "parser/record_builder.h"
#include "parser/sip_kpi_metrics.h"
#include "parser/sip_kpi_tracker.h"
#include "sipvault.pb.h"

using namespace sipvault;
using namespace sipvault::parser;

namespace {

struct Recorder : KpiSink {
  std::vector<std::string> events;
  void attempt(std::string_view l) override { events.push_back("attempt " + std::string(l)); }
  void answered(std::string_view l) override { events.push_back("answered " + std::string(l)); }
  void failed(std::string_view l, int c, bool user) override {
    events.push_back("failed " + std::string(l) + " " + std::to_string(c) + (user ? " user" : ""));
  }
  void timeout(std::string_view l) override { events.push_back("timeout " + std::string(l)); }
  void sessionRequestDelay(std::string_view l, uint64_t us) override {
    events.push_back("srd " + std::string(l) + " " + std::to_string(us));
  }
  void registerResult(std::string_view l, RegisterResult r) override {
    events.push_back("register " + std::string(l) + " " + std::to_string(static_cast<int>(r)));
  }
  void evicted() override { events.push_back("evicted"); }
};

KpiMessage request(const char* method, const char* call_id, uint64_t us, const char* peer = "B") {
  KpiMessage m;
  m.is_request = true;
  m.method = method;
  m.call_id = call_id;
  m.cseq = 1;
  m.peer = peer;
  m.time_us = us;
  m.label = "SBC";
  return m;
}

KpiMessage response(const char* method, uint16_t status, const char* call_id, uint64_t us, const char* peer = "B") {
  KpiMessage m = request(method, call_id, us, peer);
  m.is_request = false;
  m.status = status;
  return m;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("an answered INVITE: one attempt, the delay to the first 18x, one answer", "[parser][kpi]") {
  Recorder r;
  SipKpiTracker t({}, r);
  t.observe(request("INVITE", "c1", 1000000));
  t.observe(request("INVITE", "c1", 1500000));  // retransmission
  t.observe(response("INVITE", 100, "c1", 1010000));
  t.observe(response("INVITE", 180, "c1", 1200000));
  t.observe(response("INVITE", 183, "c1", 1300000));
  t.observe(response("INVITE", 200, "c1", 3000000));
  t.observe(response("INVITE", 200, "c1", 3500000));  // retransmitted 200
  CHECK(r.events == V{"attempt SBC", "srd SBC 200000", "answered SBC"});
}

TEST_CASE("failures count by class, user failures for NER, and the delay to a 200 without 18x", "[parser][kpi]") {
  Recorder r;
  SipKpiTracker t({}, r);
  t.observe(request("INVITE", "a", 0));
  t.observe(response("INVITE", 486, "a", 10));
  t.observe(request("INVITE", "b", 0));
  t.observe(response("INVITE", 503, "b", 10));
  t.observe(request("INVITE", "c", 0));
  t.observe(response("INVITE", 603, "c", 10));
  t.observe(request("INVITE", "d", 0));
  t.observe(response("INVITE", 200, "d", 70));
  CHECK(r.events == V{"attempt SBC", "failed SBC 4 user", "attempt SBC", "failed SBC 5", "attempt SBC",
                      "failed SBC 6 user", "attempt SBC", "srd SBC 70", "answered SBC"});
}

TEST_CASE("the same INVITE on two hops counts once per hop", "[parser][kpi]") {
  Recorder r;
  SipKpiTracker t({}, r);
  t.observe(request("INVITE", "h", 0, "proxy"));
  t.observe(request("INVITE", "h", 5, "gateway"));
  t.observe(response("INVITE", 200, "h", 50, "gateway"));
  t.observe(response("INVITE", 200, "h", 60, "proxy"));
  CHECK(r.events == V{"attempt SBC", "attempt SBC", "srd SBC 45", "answered SBC", "srd SBC 60", "answered SBC"});
}

TEST_CASE("a response whose request another worker saw still counts its outcome once", "[parser][kpi]") {
  Recorder r;
  SipKpiTracker t({}, r);
  t.observe(response("INVITE", 180, "x", 10));  // unknown: nothing to measure
  t.observe(response("INVITE", 404, "x", 20));
  t.observe(response("INVITE", 404, "x", 30));
  CHECK(r.events == V{"failed SBC 4"});
}

TEST_CASE("an INVITE without a final response times out, evictions are counted", "[parser][kpi]") {
  Recorder r;
  KpiLimits limits;
  limits.timeout_us = 1000;
  limits.max_transactions = 2;
  SipKpiTracker t(limits, r);
  t.observe(request("INVITE", "t1", 0));
  t.expire(999);
  CHECK(t.size() == 1);
  t.expire(1000);
  CHECK(t.size() == 0);
  t.observe(request("INVITE", "e1", 2000));
  t.observe(request("INVITE", "e2", 2001));
  t.observe(request("INVITE", "e3", 2002));  // pushes e1 out
  CHECK(t.size() == 2);
  CHECK(r.events == V{"attempt SBC", "timeout SBC", "attempt SBC", "attempt SBC", "evicted", "attempt SBC"});
}

TEST_CASE("REGISTER: success, challenge, failure, retransmissions once", "[parser][kpi]") {
  Recorder r;
  SipKpiTracker t({}, r);
  t.observe(request("REGISTER", "r", 0));
  t.observe(response("REGISTER", 401, "r", 1));
  KpiMessage again = response("REGISTER", 200, "r", 2);
  again.cseq = 2;
  t.observe(again);
  t.observe(again);
  KpiMessage bad = response("REGISTER", 403, "r", 3);
  bad.cseq = 3;
  t.observe(bad);
  CHECK(r.events == V{"register SBC 1", "register SBC 0", "register SBC 2"});
}

TEST_CASE("KPI metrics: per alias series, bounded labels fold into other, label values escaped", "[parser][kpi]") {
  MetricsRegistry registry;
  SipKpiMetrics m(registry, 1);
  m.attempt("SBC \"A\"");
  m.attempt("Core");  // beyond the bound: other
  m.answered("SBC \"A\"");
  m.sessionRequestDelay("SBC \"A\"", 120000);
  m.failed("SBC \"A\"", 5, false);
  const std::string text = registry.render();
  CHECK(text.find("sipvault_sip_kpi_invite_attempts_total{alias=\"SBC \\\"A\\\"\"} 1") != std::string::npos);
  CHECK(text.find("sipvault_sip_kpi_invite_attempts_total{alias=\"other\"} 1") != std::string::npos);
  CHECK(text.find("sipvault_sip_kpi_labels_folded_total 1") != std::string::npos);
  CHECK(text.find("sip_kpi_srd_milliseconds_bucket{alias=\"SBC \\\"A\\\"\",le=\"100\"} 0") != std::string::npos);
  CHECK(text.find("sip_kpi_srd_milliseconds_bucket{alias=\"SBC \\\"A\\\"\",le=\"250\"} 1") != std::string::npos);
  CHECK(text.find("sip_kpi_srd_milliseconds_sum{alias=\"SBC \\\"A\\\"\"} 120") != std::string::npos);
  CHECK(text.find("sip_kpi_invite_failed_total{alias=\"SBC \\\"A\\\"\",class=\"5xx\"} 1") != std::string::npos);
  CHECK(text.find("Core") == std::string::npos);
}


namespace {

void addSip(wire::PacketBatch& b, const std::string& src, const std::string& dst, uint64_t us, const std::string& text) {
  wire::CapturedPacket* p = b.add_packets();
  p->set_payload_type(1);
  p->set_src_ip(src);
  p->set_dst_ip(dst);
  p->set_src_port(5060);
  p->set_dst_port(5060);
  p->set_capture_time_us(us);
  p->set_payload(text);
}

std::string sipText(const std::string& start, const std::string& cseq) {
  return start + "\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n"
                 "Call-ID: rec-1@x\r\nCSeq: " + cseq + "\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace

TEST_CASE("the record builder feeds KPIs labelled by the far side's alias, other without one", "[parser][kpi]") {
  std::string why;
  std::vector<store::Alias> aliases{{1, "GW", *store::parseAliasTarget("198.51.100.0/24", why)}};
  auto table = std::make_shared<const store::AliasTable>(aliases);
  Recorder sink;
  KpiRecorder kpi({}, sink, [table] { return table; });
  ParserOptions options;
  MetricsRegistry registry;
  ParserMetrics metrics(registry);
  RecordBuilder builder(options, metrics);
  builder.setKpi(&kpi);
  const std::string uac("\xc0\x00\x02\x01", 4), gw("\xc6\x33\x64\x05", 4), other("\xcb\x00\x71\x01", 4);
  wire::PacketBatch in;
  addSip(in, uac, gw, 1000000, sipText("INVITE sip:b@y SIP/2.0", "1 INVITE"));
  addSip(in, gw, uac, 1080000, sipText("SIP/2.0 180 Ringing", "1 INVITE"));
  addSip(in, gw, uac, 2000000, sipText("SIP/2.0 200 OK", "1 INVITE"));
  addSip(in, uac, other, 3000000, sipText("REGISTER sip:y SIP/2.0", "2 REGISTER"));
  addSip(in, other, uac, 3010000, sipText("SIP/2.0 200 OK", "2 REGISTER"));
  wire::SipBatch out;
  builder.build(in, out);
  CHECK(out.records_size() == 5);
  CHECK(sink.events == V{"attempt GW", "srd GW 80000", "answered GW", "register other 0"});
}
