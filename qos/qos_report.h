#pragma once
// One call-quality report block, whatever carried it: what one side measured about one RTP stream.
// Produced by the pure decoders of this folder (RTCP, RTCP JSON, X-RTP-Stat headers, vq-rtcpxr
// bodies) and by the agent's RTP statistics; stored by the writer as a sip_qos row
// (store/sql/012_sip_qos.sql, which documents every field). Plain data, no I/O.
#include <cstdint>
#include <optional>
#include <string>

namespace sipvault::qos {

enum class ReportSource : uint8_t {
  Rtcp = 1,           // raw RTCP compound packet (HEP payload type 5, or captured by the agent)
  RtcpJson = 2,       // RTCP as JSON (HEP 5 from rtpengine, captagent, heplify)
  RtpStatHeader = 3,  // X-RTP-Stat / P-RTP-Stat header on a BYE or its 200 OK
  VqRtcpXr = 4,       // RFC 6035 application/vq-rtcpxr body of a PUBLISH
  AgentRtp = 5,       // sipvault-agent's own RTP statistics (HEP payload type 34, JSON)
};

enum class Direction : uint8_t {
  Received = 0,  // a receiver's view of the stream: loss, jitter
  Sent = 1,      // the sender's own counters (SR sender info, X-RTP-Stat PS)
};

struct QosReport {
  ReportSource source = ReportSource::Rtcp;
  uint8_t report_type = 0;  // RTCP packet type: 200 SR, 201 RR, 207 XR; 0 when not RTCP
  Direction direction = Direction::Received;
  uint32_t ssrc = 0;           // the stream the figures describe; 0 unknown
  uint32_t reporter_ssrc = 0;  // who measured; 0 unknown
  std::optional<uint64_t> packets;      // received (Received) or sent (Sent)
  std::optional<int64_t> lost;          // cumulative packets lost (RTCP: signed 24 bit)
  std::optional<uint32_t> highest_seq;  // extended highest sequence number received
  std::optional<double> fraction_lost;  // 0..1 over the report interval (never from cumulative counters)
  std::optional<double> jitter_ms;      // interarrival jitter
  std::optional<double> rtt_ms;         // round-trip time
  std::optional<double> mos;            // 1..5, reported or estimated (emodel.h)
  std::string codec;                    // as the report names it, e.g. "PCMA"; "" unknown
  std::string call_id;                  // the report's own call id (vq-rtcpxr CallID, JSON); "" none
  // The stream's addresses when the report itself names them (vq-rtcpxr LocalAddr/RemoteAddr, the
  // agent's stream): text form ("192.0.2.1", "2001:db8::1"); "" = take the carrying packet's.
  std::string media_src_ip, media_dst_ip;
  uint16_t media_src_port = 0, media_dst_port = 0;
};

// Why a decoder refused its input (counted by the parser per reason; the input is then kept raw
// in hep_other as before, so nothing is lost).
enum class QosDecodeStatus : uint8_t {
  Ok = 0,
  Truncated,    // a length field points past the end
  BadVersion,   // RTCP version is not 2
  BadLength,    // a packet/block length that cannot be right (zero, not a multiple of 4, ...)
  NotRtcp,      // first packet type is not 200..207 (e.g. RTP on the RTCP port)
  BadJson,      // not a JSON object, or no usable report in it
  BadFormat,    // a header or body that is not the expected key=value form
  Empty,        // well-formed but no report block in it (an RTCP BYE or SDES alone)
};

[[nodiscard]] const char* statusName(QosDecodeStatus s);  // "ok", "truncated", ... (metric labels)

}  // namespace sipvault::qos
