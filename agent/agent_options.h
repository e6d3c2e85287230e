#pragma once
// Everything sipvault-agent can be told, filled once in main from CLI + config file and passed
// down by const reference. Config keys are in [agent] of deploy/config/agent.ini.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "agent/media_tap.h"
#include "common/tls_context.h"
#include "netdecode/packet_decoder.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::agent {

// How an offline capture (-r) is replayed.
enum class ReplaySpeed : uint8_t {
  AsFastAsPossible,  // default
  CapturePace,       // --pace: the gaps between the capture's own timestamps
  FixedRate,         // --rate PPS: frames per second
};

struct AgentOptions {
  // Live capture interfaces ("any" included); one capture thread each. agent.interface
  // (comma-separated; -i may also be repeated). Exactly one of interfaces / read_file is set.
  std::vector<std::string> interfaces;
  // Offline capture to replay (pcap or pcapng). agent.read
  std::string read_file;
  // BPF filter. agent.filter. Unset = defaultFilter(link); "" = capture everything.
  bool filter_set = false;
  std::string filter;
  // Offline replay speed. agent.pace (bool), agent.rate (frames/s, 0 = off).
  ReplaySpeed speed = ReplaySpeed::AsFastAsPossible;
  double rate_pps = 0;
  // Exit once the input ends (after flushing). agent.once; always true with -r.
  bool once = false;

  // libpcap: bytes kept per frame, kernel ring size, and how long the kernel may hold
  // frames before waking us (batching keeps the CPU cost down). agent.snaplen,
  // agent.pcap_buffer_kib, agent.buffer_timeout_ms; agent.immediate wakes on every frame.
  int snaplen = 65535;
  int pcap_buffer_kib = 2048;
  int buffer_timeout_ms = 100;
  bool immediate = false;
  bool promiscuous = false;  // agent.promiscuous

  // HEP collectors in failover order: the first healthy one gets the traffic.
  // agent.hep_server (comma-separated; -H may be repeated). "udp:HOST:PORT" / "tcp:HOST:PORT" /
  // "tls:HOST:PORT" (HEP over TLS, usually port 9061); no scheme means UDP.
  std::vector<HostPort> servers{HostPort{"udp", "127.0.0.1", 9060}};
  // For tls: servers. tls.ca: PEM CA bundle the collector's certificate must chain to ("" = the
  // system store); the certificate must also name the HOST of hep_server. agent.tls_ca
  // tls.cert / tls.key: our certificate and key, for collectors that require one (mutual TLS).
  // agent.tls_cert, agent.tls_key. Read before privileges are dropped.
  TlsFiles tls;
  // Encrypt without checking the collector's certificate at all (warned at start). agent.tls_insecure
  bool tls_insecure = false;
  // HEP version 3 (default), 2 or 1. agent.hep_version
  int hep_version = 3;
  // HEP capture id (chunk 12; v2 carries 16 bits), auth key (chunk 14, "" = none), node name
  // (chunk 19, "" = none), zlib-compressed payload (chunk 16). agent.capture_id,
  // agent.auth_key, agent.node_name, agent.compress
  uint32_t capture_id = 2001;
  std::string auth_key;
  std::string node_name;
  bool compress = false;

  // Batches handed from the capture threads to the sender; when full, live capture drops the
  // batch (counted), replay waits. agent.queue_batches
  size_t queue_batches = 64;
  // HEP packets per batch at most (a batch is also cut after every pcap wakeup). agent.batch_packets
  size_t batch_packets = 128;
  // Per TCP collector: HEP bytes queued while it is slow or away; beyond it packets are
  // dropped and counted. agent.tcp_queue_kib
  size_t tcp_queue_bytes = 4u << 20;
  // TCP reconnect backoff: first wait, doubling up to the max. agent.reconnect_min_ms / _max_ms
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  std::chrono::milliseconds connect_timeout{3000};  // agent.connect_timeout_ms
  // At shutdown, how long queued HEP may take to leave. agent.drain_timeout_ms
  std::chrono::milliseconds drain_timeout{10000};

  // User to switch to once the capture is open ("" = stay). agent.user
  std::string user;
  // Counters are logged this often (0 = only on SIGUSR1 and at exit). agent.stats_interval_s
  std::chrono::seconds stats_interval{60};

  // Reassembly bounds. Tighter than the library defaults: the agent should stay small.
  // agent.tcp_max_streams, agent.tcp_max_buffered_kib, agent.frag_max_datagrams
  netdecode::PacketDecoderOptions decoder = defaultDecoderOptions();

  // Media (issue 15, agent/README.md "Call quality"): RTCP of the calls seen as HEP 5 (agent.rtcp,
  // default on), RTP statistics as HEP 34 (agent.rtp_stats, default off; needs HEP v3), the
  // report interval (agent.rtp_report_interval_s), the bounds (agent.media_max_calls,
  // agent.rtp_max_streams) and timers (agent.media_idle_timeout_s, agent.media_bye_linger_s).
  MediaTapOptions media;

  [[nodiscard]] static netdecode::PacketDecoderOptions defaultDecoderOptions();

  // Reads the keys above; throws Poco::InvalidArgumentException naming the key on a bad value.
  [[nodiscard]] static AgentOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

// The default BPF filter: SIP's usual port range 5060-5090 (heplify's default: 5060 and 5061 for
// TLS, proxies and UASes on 5062-5090) on either side, UDP, TCP and SCTP, plus
// every IPv4/IPv6 fragment (later fragments carry no ports, and a big INVITE over UDP comes in
// fragments). On Ethernet the same again behind one 802.1Q tag and behind two (QinQ).
//
// With media capture on, the UDP that can be RTCP (or RTP) is let through too (mediaFilter()),
// and the userland MediaTable decides which of it belongs to a learned call.
// `extra` (e.g. mediaFilter()) is OR-ed in at every VLAN depth.
[[nodiscard]] std::string defaultFilter(bool ethernet, std::string_view extra = {});

// What the kernel must pass for the MediaTap: UDP whose payload starts like RTP/RTCP version 2
// and, for RTCP only, with a packet type 200..207 (RFC 5761 4); IPv4 and IPv6 (without extension
// headers). "" when both agent.rtcp and agent.rtp_stats are off.
[[nodiscard]] std::string mediaFilter(const MediaTapOptions& media);
// The filter a capture uses: `filter` (nullopt = defaultFilter) widened by mediaFilter() when
// media capture is on and the filter is not already "" (everything).
[[nodiscard]] std::string captureFilter(const std::optional<std::string>& filter, bool ethernet,
                                        const MediaTapOptions& media);

}  // namespace sipvault::agent
