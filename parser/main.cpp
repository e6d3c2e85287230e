// sipvault-parser: a SIP parsing worker. Pulls packet batches from collectors, parses SIP,
// pushes batches of parsed records to writers. Run as many as the load needs.
#include <Poco/Util/AbstractConfiguration.h>

#include <atomic>
#include <thread>

#include "common/stage_app.h"
#include "parser/alias_refresher.h"
#include "parser/kpi_recorder.h"
#include "parser/parser_worker.h"
#include "store/db_stage_options.h"

namespace sipvault::parser {

class ParserApp : public StageApp {
 public:
  ParserApp()
      : StageApp("parser", "Parses SIP from collector batches and feeds the writers. Run N of them.",
                 store::withDbStageOptions({
                     {"input", "i", "parser.input", "ENDPOINTS", "collectors' outputs (connect:tcp://HOST:5560,...)"},
                     {"output", "o", "parser.output", "ENDPOINTS", "writers' inputs (connect:tcp://HOST:5570,...)"},
                     {"id", "", "parser.id", "N", "this worker's id"},
                     {"keep-rejects", "", "parser.keep_rejects", "BOOL", "keep unparseable SIP raw (default true)"},
                     {"keep-non-sip", "", "parser.keep_non_sip", "BOOL", "keep RTCP/log HEP payloads (default true)"},
                     {"qos", "", "parser.qos", "BOOL",
                      "decode call-quality reports: HEP 5/34, X-RTP-Stat, vq-rtcpxr (default true)"},
                     {"kpi", "", "parser.kpi", "BOOL", "SIP KPIs on /metrics (default true)"},
                     {"kpi-aliases", "", "parser.kpi_aliases", "BOOL",
                      "label KPIs by the aliases in the database's api_aliases (db.* keys; default true)"},
                 })) {}

 protected:
  std::string helpFooter() const override {
    return "Example: sipvault-parser --input connect:tcp://127.0.0.1:5560 --output connect:tcp://127.0.0.1:5570\n"
           "Config keys: see deploy/config/parser.ini.";
  }

  int runStage(const std::vector<std::string>&) override {
    const auto options = readOptions<ParserOptions>();
    if (!options) return kExitConfig;
    const ParserOptions& opt = *options;
    std::string err;
    auto in_eps = parseBusEndpoints(opt.input, err);
    if (!in_eps) return fail(kExitConfig, "parser.input: " + err, "e.g. connect:tcp://127.0.0.1:5560");
    auto out_eps = parseBusEndpoints(opt.output, err);
    if (!out_eps) return fail(kExitConfig, "parser.output: " + err, "e.g. connect:tcp://127.0.0.1:5570");

    ParserMetrics counters(metrics(), opt.policy_rules);
    zmq::context_t ctx(1);
    std::unique_ptr<BusSocket> input, output;
    try {
      input = std::make_unique<BusSocket>(ctx, BusSocket::Kind::Pull, *in_eps, opt.bus_hwm);
      output = std::make_unique<BusSocket>(ctx, BusSocket::Kind::Push, *out_eps, opt.bus_hwm);
    } catch (const zmq::error_t& e) {
      return fail(kExitUnavailable, std::string("ZeroMQ endpoint: ") + e.what(),
                  "check parser.input / parser.output");
    }
    std::atomic<bool> stop{false};
    // SIP KPIs: labelled by alias, the aliases read from the database on their own thread.
    std::unique_ptr<AliasRefresher> aliases;
    std::unique_ptr<SipKpiMetrics> kpi_metrics;
    std::unique_ptr<KpiRecorder> kpi;
    if (opt.kpi) {
      AliasSource source;
      if (opt.kpi_aliases) {
        aliases = std::make_unique<AliasRefresher>(opt.db, opt.kpi_alias_refresh, metrics(), log());
        aliases->start();
        source = [&aliases] { return aliases->current(); };
      }
      kpi_metrics = std::make_unique<SipKpiMetrics>(metrics(), opt.kpi_max_labels);
      KpiLimits limits;
      limits.max_transactions = opt.kpi_max_transactions;
      limits.timeout_us = static_cast<uint64_t>(opt.kpi_transaction_timeout.count()) * 1000000;
      kpi = std::make_unique<KpiRecorder>(limits, *kpi_metrics, std::move(source));
    }
    ParserWorker worker(*input, *output, opt, counters, kpi.get());
    uint64_t undelivered = 0;
    // Drain bound on stop: about what the input sockets can hold locally (one HWM per collector).
    const int drain_max_batches = opt.bus_hwm * static_cast<int>(in_eps->size());
    std::thread loop([&] { undelivered = worker.run(stop, std::chrono::seconds(10), drain_max_batches); });
    log().info("started", {{"id", opt.parser_id}, {"input", opt.input}, {"output", opt.output}});
    waitForShutdown();
    log().info("draining");
    stop = true;
    loop.join();
    if (aliases) aliases->stop();
    log().info("stopped", {{"packets_in", counters.packets_in.value()},
                           {"sip_parsed", counters.sip_parsed.value()},
                           {"batches_out", counters.batches_out.value()},
                           {"undelivered_batches", undelivered}});
    return kExitOk;
  }
};

}  // namespace sipvault::parser

SIPVAULT_STAGE_MAIN(sipvault::parser::ParserApp)
