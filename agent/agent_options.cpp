#include "agent/agent_options.h"

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <cstdint>

#include "common/config_values.h"

namespace sipvault::agent {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw Poco::InvalidArgumentException("agent." + key + ": " + why);
}

int intIn(const Poco::Util::AbstractConfiguration& c, const std::string& key, int def, int lo, int hi) {
  return static_cast<int>(intInRange(c, "agent." + key, def, lo, hi));
}

}  // namespace

netdecode::PacketDecoderOptions AgentOptions::defaultDecoderOptions() {
  netdecode::PacketDecoderOptions d;
  d.tcp.max_streams = 4096;
  d.tcp.max_buffered_bytes = 8u << 20;
  d.ip.max_datagrams = 64;
  d.ip.max_bytes = 1u << 20;
  return d;
}

std::string defaultFilter(bool ethernet, std::string_view extra) {
  std::string sip = "portrange 5060-5090 or (ip[6:2] & 0x1fff != 0) or ip6[6] == 44";
  if (!extra.empty()) sip += " or " + std::string(extra);
  // libpcap rejects "vlan" on cooked (any) and raw links, so it is only added for Ethernet.
  // Each "vlan" shifts the offsets of everything after it, so the tagged cases nest: one tag,
  // then two (QinQ) inside it.
  return ethernet ? sip + " or (vlan and (" + sip + " or (vlan and (" + sip + "))))" : sip;
}

std::string mediaFilter(const MediaTapOptions& media) {
  // udp[8] is the first UDP payload byte (IPv4 only in libpcap); for IPv6 without extension
  // headers the same bytes are ip6[48] and ip6[49]. Version 2 is the top two bits 10.
  if (media.rtp_stats)
    return "(udp and udp[8] & 0xc0 == 0x80) or (ip6 and udp and ip6[48] & 0xc0 == 0x80)";
  if (media.rtcp)
    return "(udp and udp[8] & 0xc0 == 0x80 and udp[9] >= 200 and udp[9] <= 207) or "
           "(ip6 and udp and ip6[48] & 0xc0 == 0x80 and ip6[49] >= 200 and ip6[49] <= 207)";
  return {};
}

std::string captureFilter(const std::optional<std::string>& filter, bool ethernet, const MediaTapOptions& media) {
  const std::string extra = mediaFilter(media);
  if (!filter) return defaultFilter(ethernet, extra);
  if (filter->empty() || extra.empty()) return *filter;
  return "(" + *filter + ") or " + extra;
}

AgentOptions AgentOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  AgentOptions o;
  o.interfaces = splitList(c.getString("agent.interface", ""));
  o.read_file = c.getString("agent.read", "");
  if (o.interfaces.empty() == o.read_file.empty())
    bad(o.read_file.empty() ? "interface" : "read", "give exactly one of -i IFACE (live) or -r FILE (replay)");
  o.filter_set = c.hasProperty("agent.filter");
  o.filter = c.getString("agent.filter", "");
  o.once = boolValue(c, "agent.once", false) || !o.read_file.empty();

  const bool pace = boolValue(c, "agent.pace", false);
  o.rate_pps = c.getDouble("agent.rate", 0);
  if (o.rate_pps < 0) bad("rate", "must be >= 0");
  if (pace && o.rate_pps > 0) bad("rate", "give either --pace or --rate, not both");
  o.speed = pace ? ReplaySpeed::CapturePace : o.rate_pps > 0 ? ReplaySpeed::FixedRate : ReplaySpeed::AsFastAsPossible;
  if (o.speed != ReplaySpeed::AsFastAsPossible && o.read_file.empty())
    bad(pace ? "pace" : "rate", "only applies to a replay (-r FILE)");

  o.snaplen = intIn(c, "snaplen", o.snaplen, 256, 262144);
  o.pcap_buffer_kib = intIn(c, "pcap_buffer_kib", o.pcap_buffer_kib, 64, 1 << 20);
  o.buffer_timeout_ms = intIn(c, "buffer_timeout_ms", o.buffer_timeout_ms, 1, 10000);
  o.immediate = boolValue(c, "agent.immediate", o.immediate);
  o.promiscuous = boolValue(c, "agent.promiscuous", o.promiscuous);

  std::vector<std::string> servers = splitList(c.getString("agent.hep_server", ""));
  if (!servers.empty()) {
    o.servers.clear();
    for (const std::string& s : servers) {
      auto hp = parseHostPort(s);
      if (!hp || hp->port == 0) bad("hep_server", "'" + s + "' is not udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT");
      if (hp->scheme.empty()) hp->scheme = "udp";
      o.servers.push_back(*hp);
    }
  }
  o.hep_version = intIn(c, "hep_version", o.hep_version, 1, 3);
  o.capture_id = static_cast<uint32_t>(intInRange(c, "agent.capture_id", o.capture_id, 0, UINT32_MAX));
  if (o.hep_version == 2 && o.capture_id > 0xffff) bad("capture_id", "HEP v2 carries a 16-bit capture id");
  o.auth_key = c.getString("agent.auth_key", o.auth_key);
  o.node_name = c.getString("agent.node_name", o.node_name);
  o.compress = boolValue(c, "agent.compress", o.compress);
  if (o.hep_version != 3 && (!o.auth_key.empty() || !o.node_name.empty() || o.compress))
    bad("hep_version", "auth key, node name and compression need HEP v3");
  for (const HostPort& s : o.servers)
    if ((s.scheme == "tcp" || s.scheme == "tls") && o.hep_version != 3)
      bad("hep_version", "HEP over TCP/TLS needs v3 (v1/v2 have no length field to frame a stream)");
  o.tls.ca = c.getString("agent.tls_ca", "");
  o.tls.cert = c.getString("agent.tls_cert", "");
  o.tls.key = c.getString("agent.tls_key", "");
  o.tls_insecure = boolValue(c, "agent.tls_insecure", false);
  if (o.tls.cert.empty() != o.tls.key.empty())
    bad(o.tls.cert.empty() ? "tls_cert" : "tls_key", "give both agent.tls_cert and agent.tls_key, or neither");
  if (o.tls_insecure && !o.tls.ca.empty()) bad("tls_insecure", "agent.tls_ca is set: drop one of the two");

  o.queue_batches = static_cast<size_t>(intIn(c, "queue_batches", int(o.queue_batches), 1, 1 << 16));
  o.batch_packets = static_cast<size_t>(intIn(c, "batch_packets", int(o.batch_packets), 1, 1024));
  o.tcp_queue_bytes = size_t(intIn(c, "tcp_queue_kib", int(o.tcp_queue_bytes >> 10), 64, 1 << 20)) << 10;
  o.reconnect_min = std::chrono::milliseconds(intIn(c, "reconnect_min_ms", int(o.reconnect_min.count()), 1, 600000));
  o.reconnect_max = std::chrono::milliseconds(intIn(c, "reconnect_max_ms", int(o.reconnect_max.count()), 1, 600000));
  if (o.reconnect_max < o.reconnect_min) bad("reconnect_max_ms", "must be >= reconnect_min_ms");
  o.connect_timeout =
      std::chrono::milliseconds(intIn(c, "connect_timeout_ms", int(o.connect_timeout.count()), 10, 600000));
  o.drain_timeout = std::chrono::milliseconds(intIn(c, "drain_timeout_ms", int(o.drain_timeout.count()), 0, 3600000));

  o.user = c.getString("agent.user", o.user);
  o.stats_interval = std::chrono::seconds(intIn(c, "stats_interval_s", int(o.stats_interval.count()), 0, 86400));

  o.media.rtcp = boolValue(c, "agent.rtcp", o.media.rtcp);
  o.media.rtp_stats = boolValue(c, "agent.rtp_stats", o.media.rtp_stats);
  if (o.media.rtp_stats && o.hep_version != 3)
    bad("rtp_stats", "RTP statistics need HEP v3 (payload type 34 and the Call-ID as correlation id)");
  o.media.report_interval_us = uint64_t(intIn(c, "rtp_report_interval_s", 5, 1, 3600)) * 1'000'000u;
  o.media.max_streams = static_cast<size_t>(intIn(c, "rtp_max_streams", int(o.media.max_streams), 1, 1 << 20));
  o.media.table.max_calls =
      static_cast<size_t>(intIn(c, "media_max_calls", int(o.media.table.max_calls), 1, 1 << 20));
  o.media.table.idle_timeout_us = uint64_t(intIn(c, "media_idle_timeout_s", 300, 1, 86400)) * 1'000'000u;
  o.media.table.bye_linger_us = uint64_t(intIn(c, "media_bye_linger_s", 5, 0, 3600)) * 1'000'000u;

  o.decoder.tcp.max_streams = static_cast<size_t>(intIn(c, "tcp_max_streams", int(o.decoder.tcp.max_streams), 16, 1 << 20));
  o.decoder.tcp.max_buffered_bytes =
      size_t(intIn(c, "tcp_max_buffered_kib", int(o.decoder.tcp.max_buffered_bytes >> 10), 256, 1 << 22)) << 10;
  o.decoder.ip.max_datagrams =
      static_cast<size_t>(intIn(c, "frag_max_datagrams", int(o.decoder.ip.max_datagrams), 1, 1 << 16));
  return o;
}

}  // namespace sipvault::agent
