#pragma once
// Call-quality reports (issue 15) found by the parser, handed to the writer as SipRecord.qos
// (proto/sipvault.proto QosFields; the writer stores each as a sip_qos row, store/sql/012):
//
//   HEP payload type 5   raw RTCP (qos::decodeRtcp), or RTCP as JSON when the
//                        payload starts with '{' (qos::decodeRtcpJson)
//   HEP payload type 34  sipvault-agent's RTP statistics, JSON (qos::decodeAgentRtpJson)
//   a SIP message        every X-RTP-Stat / P-RTP-Stat header of a BYE or of a response to a BYE
//                        (qos::decodeRtpStatHeader): where senders put them, the call's end; and
//                        the body of a PUBLISH whose Content-Type is application/vq-rtcpxr
//                        (qos::decodeVqRtcpXr)
//
// The decoders are qos/ (pure, bounds-checked); this file only picks the decoder, finds the
// headers cheaply and converts a qos::QosReport into its wire form. No I/O, no counters: the
// record builder counts what these return.
//
// Cost on ordinary SIP: a message that is neither of a BYE transaction nor a PUBLISH pays two
// short string compares; a BYE or its response pays hasRtpStatHeader(), which looks only at the
// first bytes of each header line (one memchr per line) (bench/decode_bench "SipParseQosScan").
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "qos/qos_report.h"
#include "sip/sip_message.h"
#include "sipvault.pb.h"

namespace sipvault::parser {

// At most this many reports per record (an RTCP compound in one datagram holds fewer); more are
// left out and counted by the caller.
inline constexpr size_t kMaxQosReportsPerRecord = 128;

// Decoder outcomes by qos::QosDecodeStatus (index = the enum's value), for the caller's counters.
using QosStatusCounts = std::array<uint32_t, 8>;

// True for the HEP payload types that carry reports (5, 34).
[[nodiscard]] bool isQosPayloadType(uint32_t payload_type);

// Decodes the payload of a HEP 5 / 34 packet; appends to `out` (not cleared). Ok when at least one
// report was decoded. `capture_us`: the packet's capture time (RTT from LSR/DLSR).
[[nodiscard]] qos::QosDecodeStatus decodeHepQos(uint32_t payload_type, std::string_view payload, uint64_t capture_us,
                                                std::vector<qos::QosReport>& out);

// True when a line of the header section starts with "X-RTP-Stat" or "P-RTP-Stat" (any case).
// A quick filter, not a parser: a true answer is confirmed by reading the fields.
[[nodiscard]] bool hasRtpStatHeader(std::string_view header_section);

// True when `content_type` (a Content-Type value, parameters allowed) is application/vq-rtcpxr.
[[nodiscard]] bool isVqRtcpXr(std::string_view content_type);

// The reports a parsed SIP message carries: every X-RTP-Stat / P-RTP-Stat header field of a BYE
// or a response to one (in order), then a vq-rtcpxr PUBLISH body. Appends to `out`; each decoder failure is counted in
// `failures` (by status), the report it could not read is left out.
void findSipQos(const sip::SipMessage& message, std::vector<qos::QosReport>& out, QosStatusCounts& failures);

// `report` in its wire form, appended to `out`. call_id: the report's own, else `default_call_id`
// (the SIP message's Call-ID, or the HEP correlation id of a HEP 5/34 packet). Unknown figures
// take the wire's "unknown" values; media addresses in text form become 4/16 network-order bytes
// (an address that does not parse is left empty: the writer then uses no address).
void appendQosFields(const qos::QosReport& report, std::string_view default_call_id,
                     google::protobuf::RepeatedPtrField<wire::QosFields>& out);

}  // namespace sipvault::parser
