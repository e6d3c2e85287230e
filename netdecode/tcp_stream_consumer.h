#pragma once
// The seam between TCP reassembly and whatever frames messages out of a byte stream: SIP by
// Content-Length (SipStreamSplitter), HEP by its length field (sipvault-hepdump), ...
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/packet.h"

namespace sipvault::netdecode {

struct TcpStreamInfo {
  // Addresses, ports, ip_proto = 6, vlan and the capture time of the segment that delivered
  // these bytes; payload is empty. Consumers copy it and set the payload per framed message.
  PacketView meta;
  // Unique per stream direction for the reassembler's lifetime (never reused), for consumers
  // that keep their own per-stream state; onStreamClosed says when to drop it.
  uint64_t stream_id = 0;
};

class TcpStreamConsumer {
 public:
  virtual ~TcpStreamConsumer() = default;

  // Next bytes of one stream direction, in order. `bytes` starts with whatever the previous
  // call for this stream left unconsumed, followed by the new data. `discontinuity` is true
  // when `bytes` does not continue the previous call's bytes: the stream was picked up
  // mid-way (no SYN seen) or a hole was skipped; a framer must then look for the next message
  // start instead of trusting its position.
  //
  // Returns how many leading bytes were consumed (<= bytes.size()); the reassembler keeps the
  // rest, bounded by TcpReassemblerOptions::max_unconsumed_bytes, and offers it again. `bytes`
  // is valid only during the call. Never called re-entrantly.
  [[nodiscard]] virtual size_t onStreamData(const TcpStreamInfo& info, std::string_view bytes,
                                            bool discontinuity) = 0;

  // The stream direction ended (FIN, RST, eviction); unconsumed bytes are discarded.
  virtual void onStreamClosed(const TcpStreamInfo& info) {}
};

}  // namespace sipvault::netdecode
