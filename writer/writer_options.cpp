#include "writer/writer_options.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>

#include "common/config_values.h"
#include "store/db_stage_options.h"
#include "store/row_ids.h"

namespace sipvault::writer {

using namespace sipvault::store;
WriterOptions WriterOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  WriterOptions o;
  o.listen = c.getString("writer.listen", o.listen);
  o.bus_hwm = static_cast<int>(intInRange(c, "writer.bus_hwm", o.bus_hwm, 1, 1000000));
  o.queue_rows = static_cast<size_t>(intInRange(c, "writer.queue_rows", static_cast<int64_t>(o.queue_rows), 1, 100000000));
  const std::string method = c.getString("writer.insert_method", std::string(insertMethodName(o.insert_method)));
  auto m = parseInsertMethod(method);
  if (!m) throw Poco::InvalidArgumentException("writer.insert_method = " + method + " (bulk, load_data or insert)");
  o.insert_method = *m;
  const std::string codec = c.getString("writer.raw_codec", "lz4");
  if (codec == "lz4") o.raw_codec = RawCodec::Lz4;
  else if (codec == "deflate") o.raw_codec = RawCodec::Deflate;
  else throw Poco::InvalidArgumentException("writer.raw_codec = " + codec + " (lz4 or deflate)");
  o.stats_max_agents_per_minute = static_cast<size_t>(intInRange(
      c, "writer.stats_max_agents_per_minute", static_cast<int64_t>(o.stats_max_agents_per_minute), 1, 100000));
  o.shard_id = static_cast<uint16_t>(intInRange(c, "writer.shard_id", o.shard_id, 0, static_cast<int64_t>(kRowIdMaxShard)));

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
  for (size_t i = 0; i < kStorageClassCount; ++i) {
    const std::string key = "writer.class." + std::string(kStorageClassNames[i]) + ".retention_hours";
    if (c.has(key)) o.partitions.class_retention[i] = std::chrono::hours(intInRange(c, key, 0, 1, 24 * 3660));
  }
  DiskGuardOptions& g = o.disk_guard;
  g.min_free_percent = static_cast<double>(
      intInRange(c, "writer.disk_guard.min_free_percent", static_cast<int64_t>(g.min_free_percent), 0, 90));
  g.min_free_bytes = static_cast<uint64_t>(intInRange(c, "writer.disk_guard.min_free_mb", 0, 0, int64_t{1} << 30)) << 20;
  g.datadir = c.getString("writer.disk_guard.datadir", g.datadir);
  g.interval = std::chrono::seconds(intInRange(c, "writer.disk_guard.interval_s", g.interval.count(), 1, 3600));
  g.max_drops_per_round =
      static_cast<int>(intInRange(c, "writer.disk_guard.max_drops_per_round", g.max_drops_per_round, 1, 10000));
  g.other_tables_priority = static_cast<int>(
      intInRange(c, "writer.disk_guard.other_tables_priority", g.other_tables_priority, -1000, 1000));
  for (size_t i = 0; i < kStorageClassCount; ++i)
    g.class_priority[i] = static_cast<int>(intInRange(
        c, "writer.class." + std::string(kStorageClassNames[i]) + ".priority", g.class_priority[i], -1000, 1000));
  o.partitions.summary_retention = std::chrono::hours(
      intInRange(c, "writer.summary_retention_hours", o.partitions.summary_retention.count(), 1, 24 * 3660));
  o.partitions.ahead =
      std::chrono::hours(intInRange(c, "writer.partitions_ahead_hours", o.partitions.ahead.count(), 1, 24 * 31));
  o.partitions.interval =
      std::chrono::seconds(intInRange(c, "writer.maintenance_interval_s", o.partitions.interval.count(), 1, 86400));

  o.db = readDbOptions(c, o.db);

  o.spool_files.dir = c.getString("writer.spool_dir", o.spool_files.dir.string());
  o.spool_files.max_bytes = static_cast<uint64_t>(intInRange(c, "writer.spool_max_mb",
                                                             static_cast<int64_t>(o.spool_files.max_bytes >> 20), 16,
                                                             int64_t{16} << 20))
                            << 20;
  // Small segments for a small spool, so that replayed space is given back in steps.
  o.spool_files.segment_bytes = std::min<uint64_t>(o.spool_files.segment_bytes, o.spool_files.max_bytes / 4);
  o.spool_files.fsync_interval =
      std::chrono::milliseconds(intInRange(c, "writer.spool_fsync_ms", o.spool_files.fsync_interval.count(), 0, 60000));
  o.spool.spool_after =
      std::chrono::milliseconds(intInRange(c, "writer.spool_after_ms", o.spool.spool_after.count(), 0, 3600000));
  o.spool.probe_initial = o.batch.retry_initial;
  o.spool.probe_max = o.batch.retry_max;
  o.spool.rejected_attempts = o.batch.rejected_attempts;

  o.ack_output = c.getString("writer.ack_output", o.ack_output);

  o.dedup.window_us =
      static_cast<uint64_t>(intInRange(c, "writer.dedup_window_ms", static_cast<int64_t>(o.dedup.window_us / 1000), 0, 10000)) *
      1000;
  o.dedup.memory_ms = intInRange(c, "writer.dedup_memory_s", o.dedup.memory_ms / 1000, 1, 3600) * 1000;
  o.dedup.max_entries = static_cast<size_t>(
      intInRange(c, "writer.dedup_max_entries", static_cast<int64_t>(o.dedup.max_entries), 1000, 100000000));
  return o;
}

}  // namespace sipvault::writer
