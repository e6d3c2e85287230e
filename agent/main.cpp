// sipvault-agent: captures SIP on this host (libpcap, live or from a file) and sends it as HEP
// to the collectors. Wiring and signals only; the parts live in sipvault_agent_lib.
#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <tuple>

#include "agent/agent_options.h"
#include "agent/agent_runtime.h"
#include "common/stage_app.h"

namespace sipvault::agent {

namespace {

// Signals only set flags and poke a pipe: a handler (not a blocked mask) so that the signal is
// safe whichever thread the kernel picks, including threads that the metrics server started.
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_stats_requested{false};
int g_wake_pipe[2] = {-1, -1};

void onSignal(int sig) {
  if (sig == SIGUSR1) g_stats_requested = true;
  else g_stop_signal = sig;
  const char c = 0;
  (void)!::write(g_wake_pipe[1], &c, 1);
}

void installSignalHandlers() {
  if (::pipe2(g_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw Poco::SystemException("pipe2");
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGUSR1}) ::sigaction(s, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

class AgentApp : public StageApp {
 public:
  AgentApp()
      : StageApp(
            "agent", "Captures SIP with libpcap (live or from a file) and sends it as HEP to the collectors.",
            {
                {"interface", "i", "agent.interface", "IFACE",
                 "capture live on IFACE (\"any\" = all); repeatable", true},
                {"read", "r", "agent.read", "FILE", "replay a pcap/pcapng file, then exit"},
                {"filter", "f", "agent.filter", "BPF",
                 "capture filter (default: SIP ports 5060-5090 + IP fragments; \"\" = all); with --rtcp or --rtp-stats \"or <RTCP/RTP-looking UDP>\" is added"},
                {"pace", "", "agent.pace", "", "replay at the capture's own timing"},
                {"rate", "", "agent.rate", "PPS", "replay at PPS frames per second"},
                {"once", "", "agent.once", "", "exit when the input ends, after flushing (implied by -r)"},
                {"hep-server", "H", "agent.hep_server", "udp:HOST:PORT",
                 "collector (udp:, tcp: or tls:); repeat for failover, the first healthy one is used", true},
                {"tls-ca", "", "agent.tls_ca", "FILE",
                 "tls: the collector's certificate must chain to this CA (PEM)"},
                {"tls-cert", "", "agent.tls_cert", "FILE",
                 "tls: our client certificate (PEM), for mutual TLS"},
                {"tls-key", "", "agent.tls_key", "FILE", "tls: the client certificate's private key (PEM)"},
                {"tls-insecure", "", "agent.tls_insecure", "",
                 "tls: do not verify the collector's certificate"},
                {"hep-version", "", "agent.hep_version", "N", "HEP version 3 (default), 2 or 1"},
                {"capture-id", "", "agent.capture_id", "ID", "HEP capture id (default 2001)"},
                {"auth-key", "", "agent.auth_key", "KEY", "HEP auth key (v3)"},
                {"node-name", "", "agent.node_name", "NAME", "HEP node name (v3)"},
                {"compress", "", "agent.compress", "", "send the SIP zlib-compressed (HEP v3 chunk 16)"},
                {"user", "u", "agent.user", "USER", "switch to USER once the capture is open"},
                {"stats-interval", "", "agent.stats_interval_s", "S",
                 "log counters every S seconds (0 = off)"},
                {"immediate", "", "agent.immediate", "", "wake on every frame instead of batching"},
                {"buffer-timeout", "", "agent.buffer_timeout_ms", "MS",
                 "how long the kernel may batch frames"},
                {"pcap-buffer-kib", "", "agent.pcap_buffer_kib", "KIB", "kernel capture ring size"},
                {"snaplen", "s", "agent.snaplen", "BYTES", "bytes kept per frame (default 65535)"},
                {"promisc", "", "agent.promiscuous", "", "put the interface in promiscuous mode"},
                {"tcp-queue-kib", "", "agent.tcp_queue_kib", "KIB",
                 "per TCP collector: HEP queued while it is away"},
                {"reconnect-min", "", "agent.reconnect_min_ms", "MS",
                 "first TCP reconnect delay (doubles per failure)"},
                {"reconnect-max", "", "agent.reconnect_max_ms", "MS", "longest TCP reconnect delay"},
                {"drain-timeout", "", "agent.drain_timeout_ms", "MS",
                 "at exit, how long queued HEP may take"},
                {"rtcp", "", "agent.rtcp", "on|off",
                 "send the RTCP of the calls seen (media from their SDP) as HEP 5 (default on)"},
                {"rtp-stats", "", "agent.rtp_stats", "",
                 "RTP statistics (loss, jitter, MOS) of the calls seen as HEP 34 reports"},
                {"rtp-report-interval", "", "agent.rtp_report_interval_s", "S",
                 "RTP statistics report interval (default 5)"},
                {"rtp-max-streams", "", "agent.rtp_max_streams", "N", "RTP streams tracked at most (4096)"},
                {"media-max-calls", "", "agent.media_max_calls", "N",
                 "calls whose media is watched at most (10000)"},
                {"media-idle-timeout", "", "agent.media_idle_timeout_s", "S",
                 "forget a call's media after S seconds without SIP or media (300)"},
                {"media-bye-linger", "", "agent.media_bye_linger_s", "S",
                 "keep a call's media S seconds after its BYE for the last RTCP (5)"},
            }) {}

 protected:
  std::string helpFooter() const override {
    return "Examples:\n"
           "  sipvault-agent -i eth0 -H udp:10.0.0.5:9060 -u nobody\n"
           "  sipvault-agent -i any -f 'port 5060' -H tcp:hep1:9060 -H tcp:hep2:9060\n"
           "  sipvault-agent -i eth0 -H tls:hep1.example.net:9061 --tls-ca /etc/sipvault/ca.pem\n"
           "  sipvault-agent -r calls.pcap --rate 1000 -H udp:127.0.0.1:9060\n"
           "  sipvault-agent -i eth0 -H udp:10.0.0.5:9060 --rtp-stats --rtp-report-interval 10\n"
           "SIGUSR1 logs the counters; SIGTERM flushes and exits. Config keys: deploy/config/agent.ini.";
  }

  int runStage(const std::vector<std::string>&) override {
    const auto options = readOptions<AgentOptions>();
    if (!options) return kExitConfig;
    const AgentOptions& opt = *options;
    installSignalHandlers();
    bool tls_used = false;
    for (const HostPort& s : opt.servers) tls_used = tls_used || s.scheme == "tls";
    if (tls_used && opt.tls_insecure)
      log().warn("tls_insecure", {{"detail", "agent.tls_insecure=true: the collector's certificate is not checked; "
                                             "anyone on the path can read and redirect the HEP"}});

    AgentRuntime runtime(opt, metrics(), log());
    if (auto err = runtime.start()) return fail(err->exit_code, err->problem, err->fix);

    using Clock = std::chrono::steady_clock;
    auto next_stats = Clock::now() + opt.stats_interval;
    while (g_stop_signal == 0 && !(opt.once && runtime.finished())) {
      pollfd p{g_wake_pipe[0], POLLIN, 0};
      (void)::poll(&p, 1, 100);
      char drain[16];
      while (::read(g_wake_pipe[0], drain, sizeof drain) > 0) {
      }
      if (g_stats_requested.exchange(false)) runtime.logStats("stats");
      if (opt.stats_interval.count() > 0 && Clock::now() >= next_stats) {
        runtime.logStats("stats");
        next_stats = Clock::now() + opt.stats_interval;
      }
      if (!opt.once && runtime.finished()) break;  // every live capture failed
    }
    log().info("stopping", {{"signal", g_stop_signal.load()}});
    runtime.stop();
    runtime.logStats("stopped");
    return runtime.failed() ? kExitSoftware : kExitOk;
  }
};

}  // namespace sipvault::agent

SIPVAULT_STAGE_MAIN(sipvault::agent::AgentApp)
