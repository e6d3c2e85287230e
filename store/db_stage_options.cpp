#include "store/db_stage_options.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>

#include "common/config_values.h"

namespace sipvault::store {

DbOptions readDbOptions(const Poco::Util::AbstractConfiguration& c, DbOptions o) {
  o.host = c.getString("db.host", o.host);
  o.port = static_cast<uint16_t>(intInRange(c, "db.port", o.port, 1, 65535));
  o.socket = c.getString("db.socket", o.socket);
  o.user = c.getString("db.user", o.user);
  o.password = c.getString("db.password", o.password);
  o.name = c.getString("db.name", o.name);
  if (o.name.empty()) throw Poco::InvalidArgumentException("db.name is empty");
  o.connect_timeout =
      std::chrono::seconds(intInRange(c, "db.connect_timeout_s", o.connect_timeout.count(), 1, 3600));
  o.io_timeout = std::chrono::seconds(intInRange(c, "db.io_timeout_s", o.io_timeout.count(), 1, 86400));
  return o;
}

}  // namespace sipvault::store
