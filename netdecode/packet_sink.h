#pragma once
// Where the decoder delivers what it decoded: one PacketView per UDP datagram, per framed TCP
// message (see TcpStreamConsumer) and per complete SCTP user message.
#include "proto/packet.h"

namespace sipvault::netdecode {

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // `view` and every byte it points to are valid only during this call: they live in the
  // frame being decoded or in a reassembly buffer that the next decode call reuses. Copy what
  // must be kept. Called synchronously on the decoding thread.
  virtual void onPacket(const PacketView& view) = 0;
};

}  // namespace sipvault::netdecode
