#pragma once
// ZeroMQ PUSH/PULL links between stages. One message = one serialized Protobuf batch.
//
// Endpoint lists are comma-separated; each item says whether this side binds or connects:
//   "bind:tcp://127.0.0.1:5560"      this process owns the address
//   "connect:tcp://10.0.0.7:5560"    this process dials it (ZeroMQ reconnects by itself)
// The default topology (README): collectors bind their output, parsers connect to every collector
// and to every writer, writers bind their input. PUSH round-robins over connected peers, PULL
// fair-queues, so M collectors x N parsers x K writers need only endpoint lists.
//
// A BusSocket is not thread-safe (a ZeroMQ socket belongs to one thread); the context is.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace sipvault {

struct BusEndpoint {
  bool bind = false;
  std::string address;  // a ZeroMQ address, e.g. tcp://127.0.0.1:5560, ipc:///run/x, inproc://x
};

// Parses an endpoint list; nullopt (with `error` set) when an item lacks bind:/connect:.
[[nodiscard]] std::optional<std::vector<BusEndpoint>> parseBusEndpoints(std::string_view list,
                                                                        std::string& error);

enum class SendResult { Sent, WouldBlock, Closed };

class BusSocket {
 public:
  enum class Kind { Push, Pull };
  // high_water_mark: messages (batches) queued per peer before send blocks / would block.
  // Throws zmq::error_t on a bad endpoint (start-up only).
  BusSocket(zmq::context_t& ctx, Kind kind, const std::vector<BusEndpoint>& endpoints, int high_water_mark,
            std::chrono::milliseconds linger = std::chrono::milliseconds(5000));

  // Sends one message; waits up to `timeout` for room (backpressure), then returns WouldBlock.
  [[nodiscard]] SendResult send(std::string_view bytes, std::chrono::milliseconds timeout);
  // Receives one message into `out`; false on timeout (or interruption).
  [[nodiscard]] bool receive(zmq::message_t& out, std::chrono::milliseconds timeout);
  // Addresses actually bound (resolves tcp://...:* to the chosen port).
  [[nodiscard]] std::vector<std::string> boundAddresses() const { return bound_; }
  // Unbinds and disconnects every endpoint: no new message arrives. For a shutdown that must end
  // under load. ZeroMQ drops what its pipes still held for this socket (measured: a PULL that
  // disconnects receives none of its queued messages), so with acks the sender resends them.
  void detach();

 private:
  zmq::socket_t socket_;
  std::vector<std::string> bound_;
  std::vector<std::string> connected_;
};

}  // namespace sipvault
