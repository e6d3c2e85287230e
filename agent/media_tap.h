#pragma once
// MediaTap: the agent's media side (issue 15), a PacketSink in front of the HepFramer.
//
//   decoder --> MediaTap --SIP--------------------------------------> HepFramer (HEP 1, as before)
//                  |  SIP with SDP / BYE / CANCEL: learn or forget media (MediaTable)
//                  +--UDP to/from a learned address, RTCP (RFC 5761 demux) --> HEP 5, raw RTCP,
//                  |                                                  correlation id = Call-ID
//                  +--UDP to/from a learned RTP address, RTP -----> qos::RtpStreamStats per
//                  |      (agent.rtp_stats)                         (src, dst, SSRC); every report
//                  |                                                interval and at the stream's end
//                  |                                                HEP 34 JSON (qos/rtcp_json.h)
//                  +--anything else ----------------------------------> HepFramer (counted non-SIP)
//
// HEP v1/v2 have neither payload type nor correlation id: RTCP is sent all the same (a receiver
// must recognise it by its bytes and correlate it by address); RTP statistics need v3 (the
// options refuse them otherwise).
//
// Bounds: the MediaTable's (calls, addresses per call) and at most max_streams RTP streams, each
// of fixed size (RtpStreamStats, the Call-ID cut at 255 bytes, the codec at 32); when full, the
// least recently active stream is ended early (its report sent with "final":true, counted).
//
// Time is the capture's (the packets' timestamps; tick() with the wall clock on a quiet live
// link). Not thread-safe: one per capture thread, like the decoder and the framer.
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/hep_framer.h"
#include "agent/media_counters.h"
#include "agent/media_table.h"
#include "netdecode/packet_sink.h"
#include "qos/rtp_stream_stats.h"
#include "sip/sip_message.h"

namespace sipvault::agent {

struct MediaTapOptions {
  // Forward RTCP of learned calls as HEP 5. agent.rtcp (default true)
  bool rtcp = true;
  // RTP statistics of learned streams as HEP 34. agent.rtp_stats (default false)
  bool rtp_stats = false;
  // Report every this often while a stream has packets. agent.rtp_report_interval_s (5)
  uint64_t report_interval_us = 5'000'000;
  // RTP streams tracked at most. agent.rtp_max_streams
  size_t max_streams = 4096;
  // A stream without packets this long has ended (hold, SSRC change). Not configurable.
  uint64_t stream_idle_us = 30'000'000;
  MediaTableOptions table;

  [[nodiscard]] bool enabled() const { return rtcp || rtp_stats; }
};

class MediaTap final : public netdecode::PacketSink {
 public:
  // `out` receives every packet that is not media of a learned call, and the HEP the tap makes.
  MediaTap(const MediaTapOptions& options, HepFramer& out);

  void onPacket(const PacketView& view) override;
  // Timers without a packet (live capture, once a second): forgets calls, sends due reports.
  void tick(uint64_t now_us);
  // End of input: every stream's final report.
  void finish(uint64_t now_us);

  [[nodiscard]] const MediaCounters& counters() const { return counters_; }
  [[nodiscard]] size_t calls() const { return table_.calls(); }
  [[nodiscard]] size_t streams() const { return streams_.size(); }

 private:
  struct StreamKey {
    IpAddress src, dst;
    uint16_t src_port = 0, dst_port = 0;
    uint32_t ssrc = 0;
    bool operator==(const StreamKey& o) const {
      return ssrc == o.ssrc && src_port == o.src_port && dst_port == o.dst_port && src == o.src && dst == o.dst;
    }
  };
  struct StreamKeyHash {
    size_t operator()(const StreamKey& k) const noexcept;
  };
  struct Stream {
    StreamKey key;
    std::string call_id;
    std::string codec;
    uint32_t clock_rate = 8000;
    qos::RtpStreamStats stats;
    uint64_t last_packet_us = 0;
    uint64_t last_report_us = 0;       // or the first packet's time
    uint64_t packets_at_report = 0;    // stats.packets() at the last report
  };
  using StreamList = std::list<Stream>;  // most recently active first

  void onSip(const PacketView& view);
  bool onMedia(const PacketView& view);
  void sendRtcp(const PacketView& view, std::string_view call_id);
  void addRtp(const PacketView& view, const MediaMatch& match);
  void report(Stream& s, bool final, uint64_t now_us);
  void endStream(StreamList::iterator it, uint64_t now_us);
  void endStreamsOfForgottenCalls(uint64_t now_us);
  void maybeTick(uint64_t now_us);

  MediaTapOptions options_;
  HepFramer& out_;
  MediaCounters counters_;
  MediaTable table_;
  sip::SipMessage msg_;                    // scratch, reused
  std::vector<std::string> forgotten_;     // calls the table let go since the last sweep
  StreamList streams_;
  std::unordered_map<StreamKey, StreamList::iterator, StreamKeyHash> by_key_;
  uint64_t next_expire_us_ = 0;
  uint64_t next_report_us_ = 0;
  std::string json_;                       // scratch for one report
};

// One RTP statistics report as the JSON of qos/rtcp_json.h (HEP 34). `codec` is escaped.
[[nodiscard]] std::string rtpStatsJson(const qos::QosReport& r, uint32_t ssrc, const IpAddress& src,
                                       uint16_t src_port, const IpAddress& dst, uint16_t dst_port,
                                       std::string_view codec, uint32_t clock_rate, uint64_t expected,
                                       uint64_t seq_gaps, double interval_s, bool final);

}  // namespace sipvault::agent
