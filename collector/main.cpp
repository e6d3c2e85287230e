// sipvault-collector: receives HEP (UDP, TCP) and IP-in-IP mirrors, validates them and pushes
// Protobuf batches to the parser workers over ZeroMQ. Wiring only; the parts live in the library.
#include <string>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "collector/collector_service.h"
#include "common/stage_app.h"

namespace sipvault::collector {

class CollectorApp : public StageApp {
 public:
  CollectorApp()
      : StageApp(
            "collector",
            "Receives HEP v1/v2/v3 over UDP and TCP (and IP-in-IP mirrors) and feeds the parsers.",
            {
                {"udp", "u", "collector.udp", "ADDRS",
                 "HEP/UDP listen addresses, comma-separated (\"\" = off)"},
                {"tcp", "t", "collector.tcp", "ADDRS",
                 "HEP/TCP listen addresses, comma-separated (\"\" = off)"},
                {"tls", "", "collector.tls", "ADDRS",
                 "HEP over TLS listen addresses, e.g. 0.0.0.0:9061 (default off)"},
                {"tls-cert", "", "collector.tls_cert", "FILE", "TLS certificate chain (PEM)"},
                {"tls-key", "", "collector.tls_key", "FILE", "TLS private key (PEM)"},
                {"tls-ca", "", "collector.tls_ca", "FILE",
                 "require TLS client certificates signed by this CA (PEM)"},
                {"tls-handshake-timeout", "", "collector.tls_handshake_timeout_s", "S",
                 "drop a TLS client whose handshake takes longer (default 10)"},
                {"udp-sockets", "", "collector.udp_sockets", "N",
                 "SO_REUSEPORT sockets (threads) per UDP address"},
                {"ipip", "", "collector.ipip", "",
                 "also read IP-in-IP (IP proto 4) mirrors; needs CAP_NET_RAW"},
                {"ipip-allow", "", "collector.ipip_allow", "PREFIXES",
                 "take IP-in-IP only from these outer IPv4 sources (A.B.C.D/N, comma-separated)"},
                {"max-inflated-kb", "", "collector.max_inflated_kb", "KB",
                 "drop compressed HEP inflating past this (64; at most 1024)"},
                {"auth-key", "", "collector.auth_key", "KEY", "require this HEP auth key"},
                {"capture-ids", "", "collector.capture_ids", "IDS", "accept only these capture ids"},
                {"output", "o", "collector.output", "ENDPOINTS",
                 "ZeroMQ output (bind:tcp://... / connect:...)"},
                {"id", "", "collector.id", "N", "this collector's id"},
                {"ack-input", "", "collector.ack_input", "ENDPOINTS",
                 "where writers publish acks (bind:tcp://127.0.0.1:5561); set = at-least-once delivery"},
                {"ack-timeout-ms", "", "collector.ack_timeout_ms", "MS",
                 "resend a batch unacked this long (5000)"},
                {"max-resends", "", "collector.max_resends", "N", "resends before a batch is dropped (3)"},
                {"ack-window-mb", "", "collector.ack_window_mb", "MB",
                 "unacked bytes held before backpressure (256)"},
                {"drain-timeout-ms", "", "collector.drain_timeout_ms", "MS",
                 "on SIGTERM, wait this long for the queue to drain and for acks (10000)"},
            }) {}

 protected:
  std::string helpFooter() const override {
    return "Example: sipvault-collector --udp 0.0.0.0:9060 --tcp 0.0.0.0:9060 --output bind:tcp://127.0.0.1:5560\n"
           "Config keys: see deploy/config/collector.ini.";
  }

  int runStage(const std::vector<std::string>&) override {
    const auto options = readOptions<CollectorOptions>();
    if (!options) return kExitConfig;
#ifdef __GLIBC__
    // Batches near batch_max_kb are allocated and freed by several threads. glibc's adaptive mmap
    // threshold would soon serve them from per-thread heaps that keep freed memory, so RSS would
    // drift above the byte budgets; a fixed threshold maps them and gives them back on free.
    // SIP-sized batches (a few hundred KiB) stay on the heap.
    mallopt(M_MMAP_THRESHOLD, 512 * 1024);
#endif
    CollectorMetrics counters(metrics());
    CollectorService service(*options, counters, log());
    if (auto failure = service.start()) return fail(*failure);
    waitForShutdown();
    service.stop();
    return kExitOk;
  }
};

}  // namespace sipvault::collector

SIPVAULT_STAGE_MAIN(sipvault::collector::CollectorApp)
