#include "collector/collector_options.h"

#include "common/config_values.h"

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Util/AbstractConfiguration.h>

namespace sipvault {
CollectorOptions CollectorOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  CollectorOptions o;
  o.udp_listen = splitList(c.getString("collector.udp", joinList(o.udp_listen)));
  o.udp_sockets = c.getInt("collector.udp_sockets", o.udp_sockets);
  o.udp_rcvbuf = c.getInt("collector.udp_rcvbuf", o.udp_rcvbuf);
  o.tcp_listen = splitList(c.getString("collector.tcp", joinList(o.tcp_listen)));
  o.tcp_max_connections = c.getInt("collector.tcp_max_connections", o.tcp_max_connections);
  o.tcp_idle_timeout = std::chrono::seconds(c.getInt("collector.tcp_idle_timeout_s", int(o.tcp_idle_timeout.count())));
  o.ipip = c.getBool("collector.ipip", o.ipip);
  o.ipip_bind = c.getString("collector.ipip_bind", o.ipip_bind);
  o.auth_key = c.getString("collector.auth_key", o.auth_key);
  for (const std::string& id : splitList(c.getString("collector.capture_ids", ""))) {
    unsigned v = 0;
    if (!Poco::NumberParser::tryParseUnsigned(id, v))
      throw Poco::InvalidArgumentException("collector.capture_ids: '" + id + "' is not a number");
    o.capture_ids.insert(v);
  }
  o.output = c.getString("collector.output", o.output);
  o.collector_id = c.getUInt("collector.id", o.collector_id);
  o.batch_packets = c.getInt("collector.batch_packets", o.batch_packets);
  o.batch_time = std::chrono::milliseconds(c.getInt("collector.batch_ms", int(o.batch_time.count())));
  o.queue_batches = c.getInt("collector.queue_batches", o.queue_batches);
  o.bus_hwm = c.getInt("collector.bus_hwm", o.bus_hwm);
  if (o.udp_sockets < 1 || o.udp_sockets > 64) throw Poco::InvalidArgumentException("collector.udp_sockets: 1..64");
  if (o.batch_packets < 1) throw Poco::InvalidArgumentException("collector.batch_packets: must be >= 1");
  if (o.queue_batches < 1) throw Poco::InvalidArgumentException("collector.queue_batches: must be >= 1");
  return o;
}

}  // namespace sipvault
