#pragma once
// CaptureWorker: one capture thread. Reads frames from its PcapSource, feeds them to its own
// PacketDecoder, whose HepFramer encodes the SIP among them as HEP, and submits the batch to
// the HepOutput after every wakeup of libpcap (live) or every batch_packets frames / before
// every pacing sleep (replay).
//
// Live capture never blocks on the output (a full queue drops the batch, counted); replay
// waits for room, so a replay is complete whenever the collectors keep up eventually.
// At the end of a replay file, or at stop() of a live capture (after the frames the kernel
// still held), the decoder is flushed (TCP data held behind holes goes out), the last batch is
// submitted and finished() turns true.
//
// Threads: start() spawns the thread; stop() may be called from any thread and joins it.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/agent_metrics.h"
#include "agent/agent_options.h"
#include "agent/hep_framer.h"
#include "agent/hep_output.h"
#include "agent/media_tap.h"
#include "agent/pcap_source.h"
#include "common/log.h"
#include "netdecode/packet_decoder.h"

namespace sipvault::agent {

struct ReplayOptions {
  ReplaySpeed speed = ReplaySpeed::AsFastAsPossible;
  double rate_pps = 0;
  size_t batch_packets = 128;
  // Live: at stop, how long to wait for the kernel to hand over its last, unfinished block of
  // frames (the pcap buffer timeout, plus a margin) before reading it.
  std::chrono::milliseconds final_wait{120};
  // The output is HepOutput::Mode::Inline and this thread services it.
  bool inline_output = false;
};

class CaptureWorker {
 public:
  // `media`: the MediaTap in front of the framer, when media.enabled().
  CaptureWorker(std::unique_ptr<PcapSource> source, const ReplayOptions& replay,
                const netdecode::PacketDecoderOptions& decoder, const MediaTapOptions& media,
                const HepIdentity& identity, HepOutput& output, AgentMetrics& metrics, Log log);
  ~CaptureWorker();
  CaptureWorker(const CaptureWorker&) = delete;
  CaptureWorker& operator=(const CaptureWorker&) = delete;

  void start();
  // Stops reading, flushes the decoder and the last batch, joins the thread.
  void stop();
  // The input ended (replay at end of file, or a live capture error).
  [[nodiscard]] bool finished() const { return finished_.load(); }
  // True when it ended because of an error (see the log).
  [[nodiscard]] bool failed() const { return failed_.load(); }
  [[nodiscard]] const std::string& name() const { return source_->name(); }

 private:
  void run();
  void runLive();
  void runReplay();
  void onFrame(const pcap_pkthdr& header, const uint8_t* bytes);
  void submit(bool wait);
  void serviceOutput();
  void publishCounters(bool with_pcap_stats);
  void finish();

  std::unique_ptr<PcapSource> source_;
  ReplayOptions replay_;
  HepOutput& output_;
  AgentMetrics& metrics_;
  Log log_;
  HepFramer framer_;
  std::unique_ptr<MediaTap> tap_;  // null when media capture is off
  netdecode::PacketDecoder decoder_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> failed_{false};

  // Published so far (deltas go to the shared counters).
  netdecode::DecodeCounters published_decode_{};
  MediaCounters published_media_{};
  size_t published_calls_ = 0, published_streams_ = 0;
  uint64_t published_sip_ = 0, published_non_sip_ = 0, published_encode_errors_ = 0;
  uint64_t frames_ = 0, published_frames_ = 0;
  PcapStats published_pcap_{};
  std::chrono::steady_clock::time_point last_publish_{};
  std::chrono::steady_clock::time_point last_housekeeping_{};
  netdecode::CaptureTime last_ts_{};
};

}  // namespace sipvault::agent
