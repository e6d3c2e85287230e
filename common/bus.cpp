#include "common/bus.h"

namespace sipvault {

std::optional<std::vector<BusEndpoint>> parseBusEndpoints(std::string_view list, std::string& error) {
  std::vector<BusEndpoint> out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    BusEndpoint ep;
    if (item.rfind("bind:", 0) == 0) {
      ep.bind = true;
      ep.address = std::string(item.substr(5));
    } else if (item.rfind("connect:", 0) == 0) {
      ep.address = std::string(item.substr(8));
    } else {
      error = "endpoint '" + std::string(item) + "' must start with bind: or connect:";
      return std::nullopt;
    }
    out.push_back(std::move(ep));
  }
  if (out.empty()) {
    error = "no endpoint given";
    return std::nullopt;
  }
  return out;
}

BusSocket::BusSocket(zmq::context_t& ctx, Kind kind, const std::vector<BusEndpoint>& endpoints,
                     int high_water_mark, std::chrono::milliseconds linger)
    : socket_(ctx, kind == Kind::Push ? zmq::socket_type::push : zmq::socket_type::pull) {
  socket_.set(zmq::sockopt::sndhwm, high_water_mark);
  socket_.set(zmq::sockopt::rcvhwm, high_water_mark);
  socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  // PUSH must not queue for peers that are not connected yet; messages wait in our own queue.
  if (kind == Kind::Push) socket_.set(zmq::sockopt::immediate, 1);
  for (const BusEndpoint& ep : endpoints) {
    if (ep.bind) {
      socket_.bind(ep.address);
      bound_.push_back(socket_.get(zmq::sockopt::last_endpoint));
    } else {
      socket_.connect(ep.address);
      connected_.push_back(ep.address);
    }
  }
}

void BusSocket::detach() {
  for (const std::string& a : bound_) {
    try {
      socket_.unbind(a);
    } catch (const zmq::error_t&) {
      // Already gone (context ending): nothing left to detach from.
    }
  }
  for (const std::string& a : connected_) {
    try {
      socket_.disconnect(a);
    } catch (const zmq::error_t&) {
    }
  }
  bound_.clear();
  connected_.clear();
}

SendResult BusSocket::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLOUT, 0};
  try {
    if (zmq::poll(&item, 1, timeout) == 0) return SendResult::WouldBlock;
    auto sent = socket_.send(zmq::const_buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait);
    return sent ? SendResult::Sent : SendResult::WouldBlock;
  } catch (const zmq::error_t& e) {
    return e.num() == ETERM ? SendResult::Closed : SendResult::WouldBlock;
  }
}

bool BusSocket::receive(zmq::message_t& out, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
  try {
    if (zmq::poll(&item, 1, timeout) == 0) return false;
    return socket_.recv(out, zmq::recv_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;
  }
}

}  // namespace sipvault
