#include "qos/rtp_stream_stats.h"

#include <cmath>

#include "qos/big_endian.h"
#include "qos/emodel.h"

namespace sipvault::qos {
namespace {

constexpr uint32_t kSeqMod = 1u << 16;  // RTP_SEQ_MOD
constexpr uint16_t kMaxDropout = 3000;
constexpr uint16_t kMaxMisorder = 100;
constexpr uint32_t kMinSequential = 2;


}  // namespace

void RtpStreamStats::initSeq(uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;  // so seq == bad_seq_ is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

void RtpStreamStats::restart(uint32_t ssrc, uint16_t seq) {
  started_ = true;
  ssrc_ = ssrc;
  initSeq(seq);
  max_seq_ = static_cast<uint16_t>(seq - 1);
  probation_ = kMinSequential;
  seq_gaps_ = 0;
  have_transit_ = false;
  have_jitter_ = false;
  jitter_ts_ = 0;
}

// RFC 3550 A.1 update_seq, counting the packets of a completed probation run (or of a sender
// restart) instead of dropping all but the last.
RtpStreamStats::SeqVerdict RtpStreamStats::updateSeq(uint16_t seq) {
  const uint16_t udelta = static_cast<uint16_t>(seq - max_seq_);
  if (probation_) {
    if (seq == static_cast<uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        initSeq(seq);
        base_seq_ = int64_t(seq) - (kMinSequential - 1);
        received_ = kMinSequential;
        return SeqVerdict::Counted;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
    }
    return SeqVerdict::Probation;
  }
  if (udelta < kMaxDropout) {
    if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
    if (udelta > 1) ++seq_gaps_;
    max_seq_ = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump: a restarted sender once the next packet follows it in sequence.
    if (seq != bad_seq_) {
      bad_seq_ = (uint32_t(seq) + 1) & (kSeqMod - 1);
      return SeqVerdict::Stray;
    }
    initSeq(seq);
    base_seq_ = int64_t(seq) - 1;
    received_ = 1;  // the packet that announced the restart; this one is counted below
  }
  // else: a duplicate or a reordered packet, counted as received (A.1).
  ++received_;
  return SeqVerdict::Counted;
}

bool RtpStreamStats::add(std::string_view rtp, uint64_t arrival_us) {
  if (rtp.size() < 12) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(rtp.data());
  if ((p[0] >> 6) != 2) return false;
  if (p[1] >= 192 && p[1] <= 223) return false;  // RTCP on a muxed port (RFC 5761 4)
  const size_t csrc_bytes = size_t(p[0] & 0x0f) * 4;
  if (rtp.size() < 12 + csrc_bytes) return false;
  const uint16_t seq = readBe16(p + 2);
  const uint32_t ts = readBe32(p + 4);
  const uint32_t ssrc = readBe32(p + 8);

  if (!started_) {
    restart(ssrc, seq);
  } else if (ssrc != ssrc_) {
    ++ssrc_changes_;
    restart(ssrc, seq);
  }
  if (updateSeq(seq) == SeqVerdict::Stray) return true;

  // A.8: D = (Rj - Ri) - (Sj - Si) in timestamp units; J += (|D| - J) / 16.
  if (have_transit_) {
    const double arrival_delta =
        (static_cast<double>(arrival_us) - static_cast<double>(prev_arrival_us_)) * clock_rate_ / 1e6;
    const double ts_delta = static_cast<int32_t>(ts - prev_rtp_ts_);
    const double d = std::abs(arrival_delta - ts_delta);
    jitter_ts_ += (d - jitter_ts_) / 16;
    have_jitter_ = true;
  }
  have_transit_ = true;
  prev_arrival_us_ = arrival_us;
  prev_rtp_ts_ = ts;
  return true;
}

uint64_t RtpStreamStats::expected() const {
  if (!started_ || probation_) return 0;
  const int64_t e = static_cast<int64_t>(cycles_ + max_seq_) - base_seq_ + 1;
  return e > 0 ? static_cast<uint64_t>(e) : 0;
}

int64_t RtpStreamStats::lost() const {
  return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_);
}

QosReport RtpStreamStats::interval(std::string_view codec) {
  QosReport r;
  r.source = ReportSource::AgentRtp;
  r.direction = Direction::Received;
  r.ssrc = ssrc_;
  r.codec = std::string(codec);
  r.packets = received_;
  if (have_jitter_) r.jitter_ms = jitterMs();
  if (!started_ || probation_) return r;
  const uint64_t expected_now = expected();
  r.lost = lost();
  r.highest_seq = highestSeq();
  // A.3: the interval's loss from the differences of expected and received since the last call.
  const int64_t expected_interval = static_cast<int64_t>(expected_now) - static_cast<int64_t>(expected_prior_);
  const int64_t received_interval = static_cast<int64_t>(received_) - static_cast<int64_t>(received_prior_);
  expected_prior_ = expected_now;
  received_prior_ = received_;
  if (expected_interval > 0) {
    const int64_t lost_interval = expected_interval - received_interval;
    const double fraction = lost_interval <= 0 ? 0.0 : double(lost_interval) / double(expected_interval);
    r.fraction_lost = fraction;
    r.mos = estimateMos({.loss = fraction, .codec = codec});
  }
  return r;
}

}  // namespace sipvault::qos
