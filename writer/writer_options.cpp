#include "writer/writer_options.h"
#include "writer/db_stage_options.h"

#include "common/config_values.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>

namespace sipvault {
WriterOptions WriterOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  WriterOptions o;
  o.listen = c.getString("writer.listen", o.listen);
  o.bus_hwm = static_cast<int>(intInRange(c, "writer.bus_hwm", o.bus_hwm, 1, 1000000));
  o.queue_rows = static_cast<size_t>(intInRange(c, "writer.queue_rows", static_cast<int64_t>(o.queue_rows), 1, 100000000));
  const std::string method = c.getString("writer.insert_method", std::string(insertMethodName(o.insert_method)));
  auto m = parseInsertMethod(method);
  if (!m) throw Poco::InvalidArgumentException("writer.insert_method = " + method + " (load_data or insert)");
  o.insert_method = *m;

  o.batch.batch_rows = static_cast<size_t>(intInRange(c, "writer.batch_rows", static_cast<int64_t>(o.batch.batch_rows), 1, 1000000));
  o.batch.flush = std::chrono::milliseconds(intInRange(c, "writer.flush_ms", o.batch.flush.count(), 1, 3600000));
  o.batch.retry_initial =
      std::chrono::milliseconds(intInRange(c, "writer.retry_initial_ms", o.batch.retry_initial.count(), 1, 3600000));
  o.batch.retry_max = std::chrono::milliseconds(
      intInRange(c, "writer.retry_max_ms", o.batch.retry_max.count(), o.batch.retry_initial.count(), 3600000));
  o.batch.drain_timeout =
      std::chrono::seconds(intInRange(c, "writer.drain_timeout_s", o.batch.drain_timeout.count() / 1000, 0, 86400));

  o.partitions.retention =
      std::chrono::hours(intInRange(c, "writer.retention_hours", o.partitions.retention.count(), 1, 24 * 3660));
  o.partitions.ahead =
      std::chrono::hours(intInRange(c, "writer.partitions_ahead_hours", o.partitions.ahead.count(), 1, 24 * 31));
  o.partitions.interval =
      std::chrono::seconds(intInRange(c, "writer.maintenance_interval_s", o.partitions.interval.count(), 1, 86400));

  o.db = readDbOptions(c, o.db);
  return o;
}

}  // namespace sipvault
