#pragma once
// One counter per outcome of the packet decoder, drops first of all. Plain uint64 fields owned
// by whoever owns the decoder (no globals); the decoder and its reassemblers increment them on
// the decoding thread. Read them from that thread, or copy the struct under the owner's lock.
//
// The list is an X-macro so the field names, the metric names and their help text cannot
// drift apart: forEachCounter() hands (name, help, value) to a metrics exporter.
#include <cstdint>
#include <string_view>

namespace sipvault::netdecode {

// X(field, help)
#define SIPVAULT_DECODE_COUNTERS(X)                                                              \
  X(frames, "frames handed to the decoder")                                                      \
  X(link_truncated, "frames shorter than their link-layer header")                               \
  X(link_unsupported, "unknown link type, address family or too many VLAN/MPLS labels")          \
  X(non_ip, "frames carrying something other than IP (ARP, LLDP, ...)")                          \
  X(ip_truncated, "IP packets cut short (snap length) before their header or total length")      \
  X(ip_malformed, "IP headers with a bad version, header length or extension header chain")      \
  X(ip_other_protocol, "IP packets carrying neither UDP, TCP, SCTP nor a known tunnel")          \
  X(tunnel_packets, "IP-in-IP, GRE or ERSPAN packets decapsulated")                              \
  X(tunnel_too_deep, "packets dropped for nesting tunnels deeper than max_tunnel_depth")         \
  X(tunnel_malformed, "GRE/ERSPAN headers that are truncated or malformed")                      \
  X(tunnel_unsupported, "GRE versions, flags or payload types not decoded")                      \
  X(frag_received, "IP fragments received")                                                      \
  X(frag_reassembled, "IP datagrams completed from fragments")                                   \
  X(frag_duplicate, "IP fragments ignored because their bytes were all already held")            \
  X(frag_overlap_conflict, "datagrams dropped: overlapping fragments disagree on the bytes")     \
  X(frag_malformed, "fragments with bad offsets/lengths, or datagrams with conflicting ends")    \
  X(frag_too_large, "fragments reaching past 65535 bytes")                                       \
  X(frag_timeout, "incomplete datagrams dropped after the reassembly timeout")                   \
  X(frag_evicted, "incomplete datagrams dropped to stay within max datagrams / max bytes")       \
  X(udp_datagrams, "UDP datagrams emitted")                                                      \
  X(udp_truncated, "UDP datagrams shorter than their header or length field")                    \
  X(udp_malformed, "UDP headers with a length below 8")                                          \
  X(tcp_segments, "TCP segments seen")                                                           \
  X(tcp_truncated, "TCP segments shorter than their header")                                     \
  X(tcp_malformed, "TCP headers with a bad data offset")                                         \
  X(tcp_retransmitted, "TCP segments whose bytes were all delivered already (dropped)")          \
  X(tcp_overlap_trimmed, "TCP segments partly delivered already (the old part was cut off)")     \
  X(tcp_out_of_order, "TCP segments held until the bytes before them arrive")                    \
  X(tcp_out_of_order_dropped, "out-of-order TCP segments dropped by a stream or memory bound")   \
  X(tcp_gap_skipped, "TCP holes given up on (bytes never seen); the stream resynchronises")      \
  X(tcp_tail_overflow, "unconsumed TCP bytes dropped because the consumer left too many")        \
  X(tcp_flows_opened, "TCP stream directions tracked")                                           \
  X(tcp_flows_closed, "TCP stream directions closed by FIN or RST")                              \
  X(tcp_flows_evicted_idle, "TCP stream directions dropped after the idle timeout")              \
  X(tcp_flows_evicted_full, "TCP stream directions dropped because the flow table was full")     \
  X(sctp_packets, "SCTP packets seen")                                                           \
  X(sctp_truncated, "SCTP packets or chunks cut short")                                          \
  X(sctp_malformed, "SCTP chunks with bad lengths")                                              \
  X(sctp_messages, "SCTP user messages emitted")                                                 \
  X(sctp_fragments, "SCTP DATA chunks that carry part of a message")                             \
  X(sctp_fragment_duplicate, "SCTP message fragments ignored as duplicates (same TSN)")          \
  X(sctp_fragment_timeout, "SCTP message fragments dropped after the reassembly timeout")        \
  X(sctp_fragment_evicted, "SCTP message fragments dropped to stay within the bounds")           \
  X(sctp_message_too_large, "SCTP messages dropped for exceeding max_message_bytes")             \
  X(sctp_work_capped, "SCTP fragments dropped: their packet used up its reassembly work budget") \
  X(sip_stream_messages, "SIP messages framed out of TCP streams")                               \
  X(sip_stream_skipped_bytes,                                                                    \
    "TCP stream bytes the SIP framer skipped: junk before a start "                              \
    "line, unusable Content-Length, messages over the size limit")                               \
  X(sip_stream_buffer_overflow, "partial SIP messages dropped to keep all TCP framers in bounds")

struct DecodeCounters {
#define SIPVAULT_DECLARE_COUNTER(field, help) uint64_t field = 0;
  SIPVAULT_DECODE_COUNTERS(SIPVAULT_DECLARE_COUNTER)
#undef SIPVAULT_DECLARE_COUNTER

  // Calls f(std::string_view name, std::string_view help, uint64_t value) for each counter.
  template <class F>
  void forEachCounter(F&& f) const {
#define SIPVAULT_VISIT_COUNTER(field, help) f(std::string_view(#field), std::string_view(help), field);
    SIPVAULT_DECODE_COUNTERS(SIPVAULT_VISIT_COUNTER)
#undef SIPVAULT_VISIT_COUNTER
  }
};

}  // namespace sipvault::netdecode
