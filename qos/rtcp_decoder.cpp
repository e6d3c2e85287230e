#include "qos/rtcp_decoder.h"

#include "qos/big_endian.h"
#include "qos/emodel.h"
#include "qos/rtcp_block.h"

namespace sipvault::qos {
namespace {

// RFC 3550 6.4: common header of every RTCP packet of a compound.
//    0                   1                   2                   3
//   |V=2|P|  RC/FMT |      PT       |  length (32-bit words - 1)   |
//   |                 SSRC of sender / packet                      |
constexpr size_t kHeader = 4;
constexpr size_t kSenderInfo = 20;   // NTP (8) RTP ts (4) packet count (4) octet count (4)
constexpr size_t kReportBlock = 24;  // RFC 3550 6.4.1
constexpr uint8_t kSr = 200, kRr = 201, kXr = 207;
constexpr uint8_t kXrVoipMetrics = 7;
constexpr size_t kXrVoipMetricsSize = 36;  // RFC 3611 4.7: block length 8


// One SR/RR report block (RFC 3550 6.4.1):
//   | SSRC_n (source identifier)                                   |
//   | fraction lost |   cumulative number of packets lost (s24)   |
//   | extended highest sequence number received                    |
//   | interarrival jitter                                          |
//   | last SR (LSR)                                                |
//   | delay since last SR (DLSR)                                   |
RtcpBlockFields blockFields(const unsigned char* b) {
  RtcpBlockFields f;
  f.ssrc = readBe32(b);
  f.fraction = b[4];
  int32_t lost = int32_t(uint32_t(b[5]) << 16 | uint32_t(b[6]) << 8 | b[7]);
  if (lost & 0x800000) lost -= 0x1000000;  // signed 24 bit
  f.lost = lost;
  f.ext_high = readBe32(b + 8);
  f.jitter_units = readBe32(b + 12);
  f.lsr = readBe32(b + 16);
  f.dlsr = readBe32(b + 20);
  return f;
}

// RFC 3611 4.7 VoIP Metrics report block (BT=7, 36 bytes):
//    0: BT=7 | reserved | block length = 8
//    4: SSRC of source
//    8: loss rate | discard rate | burst density | gap density
//   12: burst duration (16)      | gap duration (16)
//   16: round trip delay (16)    | end system delay (16)
//   20: signal level | noise level | RERL | Gmin
//   24: R factor | ext. R factor | MOS-LQ | MOS-CQ
//   28: RX config | reserved     | JB nominal (16)
//   32: JB maximum (16)          | JB abs max (16)
QosReport voipMetrics(const unsigned char* b, uint32_t reporter) {
  QosReport r;
  r.source = ReportSource::Rtcp;
  r.report_type = kXr;
  r.direction = Direction::Received;
  r.ssrc = readBe32(b + 4);
  r.reporter_ssrc = reporter;
  // Loss rate is a fixed-point fraction (256 = 1) since the beginning of reception: a ratio, not a
  // counter, so it is the report's loss figure.
  r.fraction_lost = b[8] / 256.0;
  const uint16_t rtd = readBe16(b + 16);
  // 0: senders write it when they have no measurement; over 10 s is not a round trip.
  if (rtd != 0 && rtd <= 10'000) r.rtt_ms = rtd;
  const uint8_t mos_cq = b[27];  // MOS x 10, 10..50; 127 unavailable
  if (mos_cq >= 10 && mos_cq <= 50) r.mos = mos_cq / 10.0;
  return r;
}

constexpr uint64_t kNtpEpochOffset = 2208988800ull;  // 1900 -> 1970, seconds
constexpr uint32_t kMaxRttUnits = 10u * 65536u;      // 10 s in 1/65536 s

}  // namespace

uint32_t ntpMiddle32(uint64_t capture_us) {
  const uint64_t secs = capture_us / 1'000'000 + kNtpEpochOffset;
  const uint64_t frac32 = ((capture_us % 1'000'000) << 32) / 1'000'000;
  return static_cast<uint32_t>(((secs & 0xffff) << 16) | (frac32 >> 16));
}

std::optional<double> rttFromLsr(uint64_t capture_us, uint32_t lsr, uint32_t dlsr) {
  if (lsr == 0 || capture_us == 0) return std::nullopt;
  const uint32_t rtt = ntpMiddle32(capture_us) - lsr - dlsr;  // modulo 2^32: negative -> huge
  if (rtt > kMaxRttUnits) return std::nullopt;
  return rtt * 1000.0 / 65536.0;
}

QosReport receivedBlockReport(const RtcpBlockFields& b, ReportSource source, uint8_t report_type,
                              uint32_t reporter_ssrc, uint64_t capture_us, uint32_t clock_rate) {
  QosReport r;
  r.source = source;
  r.report_type = report_type;
  r.direction = Direction::Received;
  r.ssrc = b.ssrc;
  r.reporter_ssrc = reporter_ssrc;
  r.fraction_lost = b.fraction / 256.0;  // the sender's interval: never derived from `lost`
  r.lost = b.lost;
  r.highest_seq = b.ext_high;
  r.jitter_ms = b.jitter_units * 1000.0 / (clock_rate ? clock_rate : 8000);
  r.rtt_ms = rttFromLsr(capture_us, b.lsr, b.dlsr);
  r.mos = estimateMos({.loss = *r.fraction_lost, .one_way_delay_ms = r.rtt_ms ? *r.rtt_ms / 2 : 0.0});
  return r;
}

bool looksLikeRtcp(std::string_view payload) {
  if (payload.size() < 8) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  const size_t first_len = (size_t(readBe16(p + 2)) + 1) * 4;
  return (p[0] >> 6) == 2 && p[1] >= kSr && p[1] <= kXr && first_len <= payload.size();
}

QosDecodeStatus decodeRtcp(std::string_view packet, uint64_t capture_us, std::vector<QosReport>& out,
                           uint32_t clock_rate) {
  if (clock_rate == 0) clock_rate = 8000;
  const auto* data = reinterpret_cast<const unsigned char*>(packet.data());
  const size_t size = packet.size();
  const size_t before = out.size();
  if (size < kHeader) return QosDecodeStatus::Truncated;
  if ((data[0] >> 6) != 2) return QosDecodeStatus::BadVersion;
  if (data[1] < kSr || data[1] > kXr) return QosDecodeStatus::NotRtcp;

  QosDecodeStatus error = QosDecodeStatus::Ok;
  size_t off = 0;
  while (off < size) {
    if (size - off < kHeader) {
      error = QosDecodeStatus::Truncated;
      break;
    }
    const unsigned char* p = data + off;
    if ((p[0] >> 6) != 2) {
      error = QosDecodeStatus::BadVersion;
      break;
    }
    const uint8_t count = p[0] & 0x1f;
    const uint8_t pt = p[1];
    const size_t len = (size_t(readBe16(p + 2)) + 1) * 4;
    if (len > size - off) {
      error = QosDecodeStatus::Truncated;
      break;
    }
    if (pt == kSr || pt == kRr) {
      const size_t fixed = kHeader + 4 + (pt == kSr ? kSenderInfo : 0);
      if (len < fixed + size_t(count) * kReportBlock) {
        error = QosDecodeStatus::BadLength;
        break;
      }
      const uint32_t sender = readBe32(p + 4);
      if (pt == kSr) {
        QosReport s;
        s.source = ReportSource::Rtcp;
        s.report_type = kSr;
        s.direction = Direction::Sent;
        s.ssrc = sender;
        s.reporter_ssrc = sender;
        s.packets = readBe32(p + 8 + 12);  // after NTP (8) and RTP timestamp (4)
        out.push_back(std::move(s));
      }
      for (size_t i = 0; i < count; ++i) {
        out.push_back(receivedBlockReport(blockFields(p + fixed + i * kReportBlock), ReportSource::Rtcp, pt, sender,
                                          capture_us, clock_rate));
      }
    } else if (pt == kXr) {
      // RFC 3611 2-3: header, SSRC of the packet sender, then blocks: BT (8) type-specific (8)
      // block length (16: the block's length in 32-bit words minus one, its header included).
      if (len < kHeader + 4) {
        error = QosDecodeStatus::BadLength;
        break;
      }
      const uint32_t sender = readBe32(p + 4);
      size_t b = kHeader + 4;
      while (b < len) {
        if (len - b < 4) {
          error = QosDecodeStatus::BadLength;
          break;
        }
        const size_t block_len = (size_t(readBe16(p + b + 2)) + 1) * 4;
        if (block_len > len - b) {
          error = QosDecodeStatus::BadLength;
          break;
        }
        if (p[b] == kXrVoipMetrics && block_len >= kXrVoipMetricsSize) out.push_back(voipMetrics(p + b, sender));
        b += block_len;
      }
      if (error != QosDecodeStatus::Ok) break;
    }
    // SDES (202), BYE (203), APP (204), feedback (205/206) and unknown types carry no report:
    // skipped by their length.
    off += len;
  }
  if (out.size() > before) return QosDecodeStatus::Ok;
  return error != QosDecodeStatus::Ok ? error : QosDecodeStatus::Empty;
}

}  // namespace sipvault::qos
