#pragma once
// Quality reports carried in SIP: X-RTP-Stat / P-RTP-Stat header values (the key=value lists of
// Cisco, Avaya, Asterisk, FreeSWITCH, Kamailio-rtpengine: PS, OS, PR, OR, PL, JI, LA, DU, EN/DE,
// MOS ...) and RFC 6035 application/vq-rtcpxr bodies (LocalAddr, RemoteAddr, PacketLoss NLR,
// JitterBuffer, Delay RTD, QualityEst MOSCQ, CallID). Pure.
#include <string_view>
#include <vector>

#include "qos/qos_report.h"

namespace sipvault::qos {

QosDecodeStatus decodeRtpStatHeader(std::string_view value, std::vector<QosReport>& out);
QosDecodeStatus decodeVqRtcpXr(std::string_view body, std::vector<QosReport>& out);

}  // namespace sipvault::qos
