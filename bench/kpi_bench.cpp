// The parser's per-message cost of the SIP KPIs (issue 14): RecordBuilder::build over batches of
// the loadgen's calls (7 messages each, every call its own Call-ID), with the KPIs off (Arg 0) and
// on with a 50-prefix alias table (Arg 1). The difference is what kpi_recorder + sip_kpi_tracker
// add per message (alias lookup, transaction map, counters); the tracker stays at its steady size.
//
//   build/release/bench/kpi_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/loadgen/call_generator.h"
#include "common/metrics.h"
#include "parser/kpi_recorder.h"
#include "parser/record_builder.h"
#include "sipvault.pb.h"

namespace {

using namespace sipvault;
using namespace sipvault::parser;

constexpr uint64_t kCallsPerBatch = 64;

// Batch `n` of the generated calls, as the collector would send it.
wire::PacketBatch batch(uint64_t n) {
  const bench::CallGenerator gen(1);
  wire::PacketBatch b;
  const std::string proxy(gen.proxyAddress().raw());
  for (uint64_t i = n * kCallsPerBatch; i < (n + 1) * kCallsPerBatch; ++i) {
    const std::string caller(gen.callerAddress(i).raw());
    for (const bench::GeneratedMessage& m : gen.call(i)) {
      wire::CapturedPacket* p = b.add_packets();
      p->set_payload_type(1);
      p->set_src_ip(m.from_caller ? caller : proxy);
      p->set_dst_ip(m.from_caller ? proxy : caller);
      p->set_src_port(5060);
      p->set_dst_port(5060);
      p->set_capture_id(100);
      p->set_capture_time_us(1795000000000000ull + i * 10000 + m.offset_us);
      p->set_payload(m.sip);
    }
  }
  return b;
}

std::shared_ptr<const store::AliasTable> fiftyAliases() {
  std::vector<store::Alias> aliases;
  std::string why;
  for (int i = 0; i < 49; ++i)
    aliases.push_back({0, "Peer-" + std::to_string(i), *store::parseAliasTarget("172.16." + std::to_string(i) + ".0/24", why)});
  aliases.push_back({0, "Proxy", *store::parseAliasTarget("10.0.0.1:5060", why)});
  return std::make_shared<const store::AliasTable>(std::move(aliases));
}

void BM_RecordBuilder(benchmark::State& state) {
  std::vector<wire::PacketBatch> batches;
  for (uint64_t n = 0; n < 64; ++n) batches.push_back(batch(n));  // 4,096 calls, then again (timeouts expire them)
  ParserOptions options;
  MetricsRegistry registry;
  ParserMetrics metrics(registry);
  SipKpiMetrics kpi_metrics(registry, 50);
  const auto table = fiftyAliases();
  KpiRecorder kpi({}, kpi_metrics, [table] { return table; });
  RecordBuilder builder(options, metrics);
  if (state.range(0)) builder.setKpi(&kpi);
  wire::SipBatch out;
  uint64_t messages = 0;
  size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    wire::PacketBatch in = batches[next++ % batches.size()];  // build() moves the payloads out
    out.Clear();
    state.ResumeTiming();
    builder.build(in, out);
    messages += static_cast<uint64_t>(in.packets_size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.SetLabel(state.range(0) ? "KPIs on, 50 aliases" : "KPIs off");
}
BENCHMARK(BM_RecordBuilder)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
