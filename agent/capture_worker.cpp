#include "agent/capture_worker.h"

#include <sys/time.h>

namespace sipvault::agent {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
// Replay with --pace: gaps longer than this (or negative) in the capture's clock are taken as
// clock jumps, not silence to wait out (corpus heplify_sip_ipv6_udp.pcap leaps years).
constexpr int64_t kMaxPaceGapUs = 10'000'000;

netdecode::CaptureTime wallClock() {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  return {uint32_t(tv.tv_sec), uint32_t(tv.tv_usec)};
}

uint64_t delta32(uint64_t now, uint64_t before) { return uint32_t(uint32_t(now) - uint32_t(before)); }
}  // namespace

CaptureWorker::CaptureWorker(std::unique_ptr<PcapSource> source, const ReplayOptions& replay,
                             const netdecode::PacketDecoderOptions& decoder, const MediaTapOptions& media,
                             const HepIdentity& identity, HepOutput& output, AgentMetrics& metrics, Log log)
    : source_(std::move(source)),
      replay_(replay),
      output_(output),
      metrics_(metrics),
      log_(log),
      framer_(identity),
      tap_(media.enabled() ? std::make_unique<MediaTap>(media, framer_) : nullptr),
      decoder_(decoder, tap_ ? static_cast<netdecode::PacketSink&>(*tap_) : framer_) {}

CaptureWorker::~CaptureWorker() { stop(); }

void CaptureWorker::start() {
  last_publish_ = Clock::now();
  thread_ = std::thread([this] { run(); });
}

void CaptureWorker::stop() {
  stop_ = true;
  source_->breakLoop();
  if (thread_.joinable()) thread_.join();
}

void CaptureWorker::run() {
  if (source_->live()) runLive();
  else runReplay();
  finish();
}

void CaptureWorker::onFrame(const pcap_pkthdr& h, const uint8_t* bytes) {
  ++frames_;
  last_ts_ = {uint32_t(h.ts.tv_sec), uint32_t(h.ts.tv_usec)};
  (void)decoder_.decode(source_->linkType(), netdecode::Bytes(bytes, h.caplen), last_ts_);
  if (framer_.current().size() >= replay_.batch_packets) {
    submit(!source_->live());
    if (!source_->live()) serviceOutput();
  }
}

void CaptureWorker::submit(bool wait) {
  if (framer_.current().empty()) return;
  (void)output_.submit(framer_.take(), wait);
}

void CaptureWorker::serviceOutput() {
  if (replay_.inline_output) output_.service();
}

void CaptureWorker::publishCounters(bool with_pcap_stats) {
  metrics_.frames.inc(frames_ - published_frames_);
  published_frames_ = frames_;
  metrics_.sip.inc(framer_.sip - published_sip_);
  published_sip_ = framer_.sip;
  metrics_.non_sip.inc(framer_.non_sip - published_non_sip_);
  published_non_sip_ = framer_.non_sip;
  metrics_.drop(DropReason::EncodeError, framer_.encode_errors - published_encode_errors_);
  published_encode_errors_ = framer_.encode_errors;
  metrics_.addDecodeDelta(published_decode_, decoder_.counters());
  published_decode_ = decoder_.counters();
  if (tap_) {
    metrics_.addMediaDelta(published_media_, tap_->counters());
    published_media_ = tap_->counters();
    metrics_.media_calls.add(int64_t(tap_->calls()) - int64_t(published_calls_));
    metrics_.rtp_streams.add(int64_t(tap_->streams()) - int64_t(published_streams_));
    published_calls_ = tap_->calls();
    published_streams_ = tap_->streams();
  }
  if (with_pcap_stats && source_->live()) {
    // libpcap's counters are 32-bit and wrap; the deltas stay right across one wrap.
    const PcapStats s = source_->stats();
    metrics_.pcap_received.inc(delta32(s.received, published_pcap_.received));
    metrics_.pcap_dropped.inc(delta32(s.dropped, published_pcap_.dropped));
    metrics_.pcap_ifdropped.inc(delta32(s.ifdropped, published_pcap_.ifdropped));
    published_pcap_ = s;
  }
  last_publish_ = Clock::now();
}

void CaptureWorker::runLive() {
  const PcapSource::FrameFn fn = [this](const pcap_pkthdr& h, const uint8_t* b) { onFrame(h, b); };
  last_housekeeping_ = Clock::now();
  while (!stop_) {
    const int timeout_ms = replay_.inline_output ? int(output_.serviceIn().count()) : 1000;
    const PcapSource::Result r = source_->waitAndDispatch(timeout_ms, fn);
    if (r == PcapSource::Result::Broken) break;
    if (r == PcapSource::Result::Error) {
      log_.error("capture_failed", {{"source", source_->name()}, {"error", source_->lastError()}});
      failed_ = true;
      return;
    }
    submit(false);
    serviceOutput();
    const auto now = Clock::now();
    const bool second = now - last_housekeeping_ >= 1s;
    if (second) {
      // Timeouts run on capture time; on a quiet link the wall clock stands in for it.
      const netdecode::CaptureTime wall = wallClock();
      decoder_.expire(wall);
      if (tap_) tap_->tick(uint64_t(wall.sec) * 1000000u + wall.usec);
      submit(false);
      last_housekeeping_ = now;
    }
    publishCounters(second);  // cheap; pcap_stats (a syscall) once a second
  }
  // Frames in the kernel's unfinished block become readable once its timeout retires it.
  std::this_thread::sleep_for(replay_.final_wait);
  while (source_->dispatchReady(fn) == PcapSource::Result::Frames) {
  }
}

void CaptureWorker::runReplay() {
  const Clock::time_point start = Clock::now();
  int64_t prev_us = -1, virtual_us = 0;
  uint64_t index = 0;
  while (!stop_) {
    const pcap_pkthdr* h = nullptr;
    const uint8_t* bytes = nullptr;
    const PcapSource::Result r = source_->next(h, bytes);
    if (r == PcapSource::Result::End) break;
    if (r != PcapSource::Result::Frames) {
      log_.error("replay_failed", {{"file", source_->name()}, {"error", source_->lastError()}});
      failed_ = true;
      break;
    }
    if (replay_.speed != ReplaySpeed::AsFastAsPossible) {
      Clock::time_point target;
      if (replay_.speed == ReplaySpeed::CapturePace) {
        const int64_t ts = int64_t(h->ts.tv_sec) * 1000000 + h->ts.tv_usec;
        const int64_t gap = prev_us < 0 ? 0 : ts - prev_us;
        if (gap > 0 && gap <= kMaxPaceGapUs) virtual_us += gap;
        prev_us = ts;
        target = start + std::chrono::microseconds(virtual_us);
      } else {
        target = start + std::chrono::microseconds(int64_t(double(index) * 1e6 / replay_.rate_pps));
      }
      if (target > Clock::now()) {
        submit(true);  // what is ready goes now, not after the wait
        // The frame stays valid: nothing reads the file while we sleep.
        while (!stop_ && target > Clock::now()) {
          serviceOutput();
          const auto slice = replay_.inline_output ? std::min<std::chrono::milliseconds>(output_.serviceIn(), 100ms) : 100ms;
          std::this_thread::sleep_until(std::min(target, Clock::now() + slice));
        }
        if (stop_) break;
      }
    }
    onFrame(*h, bytes);
    ++index;
    if ((index & 1023) == 0 && Clock::now() - last_publish_ >= 1s) publishCounters(false);
  }
}

void CaptureWorker::finish() {
  // End of input or stop: hand over TCP data held behind holes, then the last batch.
  decoder_.flush();
  if (tap_) {
    // Final reports carry the time the input ended: the last frame's (replay) or now (live).
    const netdecode::CaptureTime end = source_->live() ? wallClock() : last_ts_;
    tap_->finish(uint64_t(end.sec) * 1000000u + end.usec);
  }
  submit(true);
  publishCounters(true);
  finished_ = true;
  log_.info(source_->live() ? "capture_stopped" : "replay_done",
            {{"source", source_->name()}, {"frames", frames_}, {"sip", framer_.sip}, {"non_sip", framer_.non_sip}});
}

}  // namespace sipvault::agent
