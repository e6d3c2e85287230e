#include "agent/agent_runtime.h"

#include <unistd.h>

#include "agent/privileges.h"
#include "common/stage_app.h"

namespace sipvault::agent {

AgentRuntime::AgentRuntime(const AgentOptions& options, MetricsRegistry& registry, Log log)
    : options_(options), metrics_(registry), log_(log) {}

AgentRuntime::~AgentRuntime() { stop(); }

std::optional<StartError> AgentRuntime::start() {
  PcapSourceOptions po;
  po.snaplen = options_.snaplen;
  po.buffer_bytes = options_.pcap_buffer_kib * 1024;
  po.buffer_timeout_ms = options_.buffer_timeout_ms;
  po.immediate = options_.immediate;
  po.promiscuous = options_.promiscuous;
  if (options_.filter_set) po.filter = options_.filter;
  po.media = options_.media;

  // 1. Captures, while we still may open them.
  std::vector<std::unique_ptr<PcapSource>> sources;
  std::string error;
  if (!options_.read_file.empty()) {
    auto s = PcapSource::openOffline(options_.read_file, po, error);
    if (!s) return StartError{kExitUnavailable, error, "check the path and that it is a pcap or pcapng file"};
    sources.push_back(std::move(s));
  }
  for (const std::string& iface : options_.interfaces) {
    auto s = PcapSource::openLive(iface, po, error);
    if (!s)
      return StartError{kExitUnavailable, error,
                        "check the interface name (ip link) and run as root or with CAP_NET_RAW,CAP_NET_ADMIN"};
    sources.push_back(std::move(s));
  }
  for (const auto& s : sources)
    log_.info("capture_open", {{"source", s->name()},
                               {"mode", s->live() ? "live" : "replay"},
                               {"datalink", s->datalink()},
                               {"filter", s->filter()}});

  // TLS files, which may be readable by root only.
  std::shared_ptr<TlsContext> tls;
  for (const HostPort& s : options_.servers) {
    if (s.scheme != "tls" || tls) continue;
    tls = TlsContext::client(options_.tls, !options_.tls_insecure, error);
    if (!tls)
      return StartError{kExitConfig, "agent.tls: " + error,
                        "fix agent.tls_ca / agent.tls_cert / agent.tls_key (PEM files), or agent.tls_insecure=true"};
  }

  // 2. Privileges: nothing below needs them.
  if (!options_.user.empty()) {
    if (!switchUser(options_.user, error))
      return StartError{kExitUnavailable, "cannot switch to user " + options_.user + ": " + error,
                        "create the user or drop -u / agent.user"};
    log_.info("privileges_dropped", {{"user", options_.user}, {"uid", ::getuid()}, {"gid", ::getgid()}});
  }
  if (!dropCapabilities(error)) log_.warn("capabilities_kept", {{"error", error}});

  // 3. Output, then the capture threads.
  TransportOptions to;
  to.tcp_queue_bytes = options_.tcp_queue_bytes;
  to.reconnect_min = options_.reconnect_min;
  to.reconnect_max = options_.reconnect_max;
  to.connect_timeout = options_.connect_timeout;
  to.tls = tls;
  try {
    // One capture thread sends by itself; several share a sender thread.
    const auto mode = sources.size() == 1 ? HepOutput::Mode::Inline : HepOutput::Mode::Threaded;
    output_ = std::make_unique<HepOutput>(mode, options_.servers, to, options_.queue_batches, metrics_, log_);
  } catch (const std::exception& e) {
    return StartError{kExitConfig, e.what(), "fix -H / agent.hep_server (udp:, tcp: or tls:HOST:PORT)"};
  }
  output_->start();
  std::string servers;
  for (const HostPort& s : options_.servers) servers += (servers.empty() ? "" : ",") + s.scheme + ":" + s.toString();
  log_.info("hep_output", {{"servers", servers}, {"hep_version", options_.hep_version}, {"capture_id", options_.capture_id}});

  ReplayOptions replay{options_.speed, options_.rate_pps, options_.batch_packets};
  replay.final_wait = std::chrono::milliseconds(options_.immediate ? 10 : options_.buffer_timeout_ms + 20);
  replay.inline_output = sources.size() == 1;
  const HepIdentity identity{options_.hep_version, options_.capture_id, options_.auth_key, options_.node_name,
                             options_.compress};
  for (auto& s : sources)
    workers_.push_back(std::make_unique<CaptureWorker>(std::move(s), replay, options_.decoder, options_.media,
                                                       identity, *output_, metrics_, log_));
  for (auto& w : workers_) w->start();
  return std::nullopt;
}

bool AgentRuntime::finished() const {
  if (workers_.empty()) return false;
  for (const auto& w : workers_)
    if (!w->finished()) return false;
  return true;
}

bool AgentRuntime::failed() const {
  for (const auto& w : workers_)
    if (w->failed()) return true;
  return false;
}

void AgentRuntime::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) w->stop();
  if (output_) output_->drainAndStop(options_.drain_timeout);
}

void AgentRuntime::logStats(std::string_view event) const {
  const AgentMetrics& m = metrics_;
  log_.info(event, {{"frames", m.frames.value()},
                    {"sip", m.sip.value()},
                    {"non_sip", m.non_sip.value()},
                    {"sent", m.sent.value()},
                    {"dropped", m.droppedTotal()},
                    {"dropped_queue_full", m.dropValue(DropReason::QueueFull)},
                    {"dropped_tcp_queue_full", m.dropValue(DropReason::TcpQueueFull)},
                    {"dropped_send_error", m.dropValue(DropReason::SendError)},
                    {"dropped_encode_error", m.dropValue(DropReason::EncodeError)},
                    {"dropped_shutdown", m.dropValue(DropReason::Shutdown)},
                    {"pcap_received", m.pcap_received.value()},
                    {"pcap_dropped", m.pcap_dropped.value()},
                    {"pcap_ifdropped", m.pcap_ifdropped.value()},
                    {"tcp_connects", m.tcp_connects.value()},
                    {"tcp_disconnects", m.tcp_disconnects.value()},
                    {"tls_handshake_failures", m.tls_handshake_failures.value()},
                    {"tcp_queued_bytes", m.queued_bytes.value()},
                    {"media_calls", m.media_calls.value()},
                    {"rtp_streams", m.rtp_streams.value()},
                    {"media_calls_learned", m.mediaValue("calls_learned")},
                    {"media_forgotten_bye", m.mediaValue("calls_forgotten_bye")},
                    {"media_forgotten_timeout", m.mediaValue("calls_forgotten_timeout")},
                    {"media_evicted", m.mediaValue("calls_evicted")},
                    {"rtcp_sent", m.mediaValue("rtcp_sent")},
                    {"rtcp_unmatched", m.mediaValue("rtcp_unmatched")},
                    {"rtp_packets", m.mediaValue("rtp_packets")},
                    {"rtp_streams_evicted", m.mediaValue("rtp_streams_evicted")},
                    {"rtp_reports_sent", m.mediaValue("rtp_reports_sent")}});
}

}  // namespace sipvault::agent
