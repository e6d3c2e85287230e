#pragma once
// RFC 3550 receiver statistics of one RTP stream as a capture point sees it (A.1 sequence
// tracking with cycles and probation, A.3 expected/lost, A.8 interarrival jitter), plus sequence
// gaps; the agent keeps one per tracked stream and turns it into QosReports. Pure, fixed size
// (no allocation), not thread-safe (one owner per stream).
//
// Rules, beyond RFC 3550 A.1:
// - The stream is the first SSRC seen; a packet with another SSRC restarts the statistics for
//   that SSRC (the sender changed source, e.g. after a re-INVITE), counted in ssrcChanges().
// - A source is valid after MIN_SEQUENTIAL (2) packets in sequence; the packets of that probation
//   run are then counted (A.1 itself drops them from `received` and starts at the second one).
// - A jump of MAX_DROPOUT (3000) or more is a restart of the sender after a second packet in
//   sequence with it (A.1 bad_seq): cumulative counters restart there too.
// - RTCP on an rtcp-mux port (second byte 192..223, RFC 5761 4) is refused, not counted.
#include <cstdint>
#include <string_view>

#include "qos/qos_report.h"

namespace sipvault::qos {

class RtpStreamStats {
 public:
  explicit RtpStreamStats(uint32_t clock_rate = 8000) : clock_rate_(clock_rate ? clock_rate : 8000) {}
  // One RTP packet of the stream (the UDP payload) seen at `arrival_us`. False when it is not RTP
  // version 2 or too short (not counted).
  bool add(std::string_view rtp, uint64_t arrival_us);
  // The figures since the start (cumulative) and since the previous interval() call (fraction
  // lost, MOS over that interval, E-model with `codec`); resets the interval.
  // source AgentRtp, direction Received, ssrc set; packets cumulative (0 before the source is
  // valid); lost/highest_seq cumulative, unset until the source is valid; fraction_lost and mos
  // unset when nothing was expected in the interval; jitter_ms unset before two packets;
  // codec = `codec`. Addresses are the caller's to fill.
  QosReport interval(std::string_view codec);

  [[nodiscard]] uint64_t packets() const { return received_; }  // counted packets, cumulative
  [[nodiscard]] bool valid() const { return started_ && probation_ == 0; }  // out of probation
  [[nodiscard]] uint32_t ssrc() const { return ssrc_; }
  [[nodiscard]] uint32_t clockRate() const { return clock_rate_; }
  [[nodiscard]] uint64_t expected() const;                        // A.3, cumulative; 0 before valid
  [[nodiscard]] int64_t lost() const;                             // expected - received (may be < 0)
  [[nodiscard]] uint32_t highestSeq() const { return static_cast<uint32_t>(cycles_ + max_seq_); }  // extended
  [[nodiscard]] uint64_t seqGaps() const { return seq_gaps_; }    // forward jumps of more than 1
  [[nodiscard]] double jitterMs() const { return jitter_ts_ * 1000.0 / clock_rate_; }
  [[nodiscard]] uint32_t ssrcChanges() const { return ssrc_changes_; }

 private:
  enum class SeqVerdict : uint8_t { Counted, Probation, Stray };
  void initSeq(uint16_t seq);
  SeqVerdict updateSeq(uint16_t seq);
  void restart(uint32_t ssrc, uint16_t seq);

  uint32_t clock_rate_;
  uint64_t received_ = 0;
  // RFC 3550 A.1 state. base_seq_ is signed so that a probation run that crossed 0 stays exact.
  bool started_ = false;
  uint32_t ssrc_ = 0;
  uint32_t ssrc_changes_ = 0;
  uint16_t max_seq_ = 0;
  uint64_t cycles_ = 0;  // RTP_SEQ_MOD times the wraps
  int64_t base_seq_ = 0;
  uint32_t bad_seq_ = 0;
  uint32_t probation_ = 0;
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  uint64_t seq_gaps_ = 0;
  // A.8 jitter, in timestamp units.
  bool have_transit_ = false;  // a previous packet to difference against
  bool have_jitter_ = false;   // at least one difference taken
  uint64_t prev_arrival_us_ = 0;
  uint32_t prev_rtp_ts_ = 0;
  double jitter_ts_ = 0;
};

}  // namespace sipvault::qos
