#include "netdecode/sip_stream_splitter.h"

namespace sipvault::netdecode {

using namespace sipvault::sip;

using sip::SipFrame;
using sip::SipStreamFramer;

SipStreamSplitter::SipStreamSplitter(const SipStreamSplitterOptions& options, PacketSink& sink,
                                     DecodeCounters& counters)
    : options_(options), sink_(sink), counters_(counters) {}

size_t SipStreamSplitter::onStreamData(const TcpStreamInfo& info, std::string_view bytes,
                                       bool discontinuity) {
  auto [it, created] = framers_.try_emplace(info.stream_id, options_.max_message_bytes);
  SipStreamFramer& framer = it->second;
  buffered_ -= framer.memoryBytes();
  if (discontinuity && !created) framer.reset();
  framer.append(bytes);
  for (SipFrame f = framer.next(); f.kind != SipFrame::Kind::NeedMore; f = framer.next()) {
    switch (f.kind) {
      case SipFrame::Kind::Message: {
        PacketView view = info.meta;
        view.payload = f.bytes;
        ++counters_.sip_stream_messages;
        sink_.onPacket(view);
        break;
      }
      case SipFrame::Kind::Skipped:
        counters_.sip_stream_skipped_bytes += f.bytes.size();
        break;
      case SipFrame::Kind::KeepAlive:
      case SipFrame::Kind::NeedMore:
        break;
    }
  }
  framer.releaseSpare();
  if (buffered_ + framer.memoryBytes() > options_.max_buffered_bytes) {
    ++counters_.sip_stream_buffer_overflow;
    framer.reset();
  }
  buffered_ += framer.memoryBytes();
  return bytes.size();
}

void SipStreamSplitter::onStreamClosed(const TcpStreamInfo& info) {
  const auto it = framers_.find(info.stream_id);
  if (it == framers_.end()) return;
  buffered_ -= it->second.memoryBytes();
  framers_.erase(it);
}

}  // namespace sipvault::netdecode
