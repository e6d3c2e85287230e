#include "agent/agent_metrics.h"

namespace sipvault::agent {

AgentMetrics::AgentMetrics(MetricsRegistry& r)
    : frames(r.counter("agent_frames_total", "frames read from the capture")),
      sip(r.counter("agent_sip_messages_total", "SIP messages found and encoded as HEP")),
      non_sip(r.counter("agent_non_sip_total", "decoded payloads skipped because they are not SIP")),
      sent(r.counter("agent_hep_sent_total", "HEP packets handed to the kernel")),
      sent_bytes(r.counter("agent_hep_sent_bytes_total", "HEP bytes handed to the kernel")),
      pcap_received(r.counter("agent_pcap_received_total", "frames the kernel passed the filter (pcap ps_recv)")),
      pcap_dropped(r.counter("agent_pcap_dropped_total", "frames the kernel dropped: ring full (pcap ps_drop)")),
      pcap_ifdropped(r.counter("agent_pcap_ifdropped_total", "frames the interface dropped (pcap ps_ifdrop)")),
      tcp_connects(r.counter("agent_tcp_connects_total", "TCP connections to a collector established")),
      tcp_disconnects(r.counter("agent_tcp_disconnects_total", "TCP connections to a collector lost")),
      tcp_connect_failures(r.counter("agent_tcp_connect_failures_total", "TCP connection attempts that failed")),
      tls_handshake_failures(
          r.counter("agent_tls_handshake_failures_total", "TLS handshakes with a collector that failed")),
      failovers(r.counter("agent_failovers_total", "changes of the collector that receives the traffic")),
      queued_bytes(r.gauge("agent_tcp_queued_bytes", "HEP bytes waiting in TCP send queues")),
      queued_batches(r.gauge("agent_queued_batches", "batches waiting for the sender thread")),
      media_calls(r.gauge("agent_media_calls_tracked", "calls whose media addresses (from SDP) are watched")),
      rtp_streams(r.gauge("agent_rtp_streams_tracked", "RTP streams whose statistics are kept")) {
  for (size_t i = 0; i < kDropReasonNames.size(); ++i)
    dropped[i] = &r.counter("agent_dropped_total", "HEP packets dropped, by reason",
                            std::string("reason=\"") + kDropReasonNames[i] + "\"");
  size_t i = 0;
  netdecode::DecodeCounters{}.forEachCounter([&](std::string_view name, std::string_view help, uint64_t) {
    if (i < decode.size()) decode[i++] = &r.counter("agent_decode_" + std::string(name) + "_total", std::string(help));
  });
  i = 0;
  MediaCounters{}.forEachCounter([&](std::string_view name, std::string_view help, uint64_t) {
    if (i < media.size()) media[i++] = &r.counter("agent_media_" + std::string(name) + "_total", std::string(help));
  });
}

uint64_t AgentMetrics::droppedTotal() const {
  uint64_t n = 0;
  for (const Counter* c : dropped) n += c->value();
  return n;
}

namespace {

// Adds what `now` counted beyond `before` to `out`, counter by counter (X-macro order).
template <class Counters, size_t N>
void addDelta(std::array<Counter*, N>& out, const Counters& before, const Counters& now) {
  std::array<uint64_t, N> old{};
  size_t i = 0;
  before.forEachCounter([&](std::string_view, std::string_view, uint64_t v) {
    if (i < old.size()) old[i++] = v;
  });
  i = 0;
  now.forEachCounter([&](std::string_view, std::string_view, uint64_t v) {
    if (i < old.size() && out[i] && v > old[i]) out[i]->inc(v - old[i]);
    ++i;
  });
}

}  // namespace

void AgentMetrics::addDecodeDelta(const netdecode::DecodeCounters& before, const netdecode::DecodeCounters& now) {
  addDelta(decode, before, now);
}

void AgentMetrics::addMediaDelta(const MediaCounters& before, const MediaCounters& now) {
  addDelta(media, before, now);
}

uint64_t AgentMetrics::mediaValue(std::string_view name) const {
  size_t i = 0, at = media.size();
  MediaCounters{}.forEachCounter([&](std::string_view n, std::string_view, uint64_t) {
    if (n == name) at = i;
    ++i;
  });
  return at < media.size() && media[at] ? media[at]->value() : 0;
}

}  // namespace sipvault::agent
