#pragma once
// Everything sipvault-writer can be told, filled once in main from CLI + config file
// (deploy/config/writer.ini is the documented example).
#include <chrono>
#include <string>

#include "store/db_connection.h"
#include "store/raw_codec.h"
#include "writer/batch_writer.h"
#include "writer/disk_guard.h"
#include "writer/duplicate_window.h"
#include "writer/partition_maintainer.h"
#include "writer/row_inserter.h"
#include "writer/row_spool.h"
#include "writer/spooling_sink.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::writer {

struct WriterOptions {
  // ZeroMQ input, an endpoint list (common/bus.h). writer.listen
  std::string listen = "bind:tcp://127.0.0.1:5570";
  // ZeroMQ receive high-water mark, in SipBatch messages. writer.bus_hwm
  int bus_hwm = 100;
  // Rows held between the receiver and the DB thread before the receiver stops pulling. writer.queue_rows
  size_t queue_rows = 100000;
  // Array-bound prepared INSERT ("bulk", default), LOAD DATA from memory ("load_data") or multi-row
  // INSERT ("insert"); see row_inserter.h. writer.insert_method
  InsertMethod insert_method = InsertMethod::Bulk;
  // How the raw message is compressed: "lz4" (default, cheapest) or "deflate" (MariaDB COMPRESS()
  // format, readable with UNCOMPRESS() in plain SQL). writer.raw_codec; see raw_codec.h.
  store::RawCodec raw_codec = store::RawCodec::Lz4;
  // This capture node's number, 0..65535 (0 on a single node): the top 16 bits of every row id, so
  // that the shards of a cluster never issue the same id (store/row_ids.h). writer.shard_id
  uint16_t shard_id = 0;
  // writer.batch_rows, writer.flush_ms, writer.retry_initial_ms, writer.retry_max_ms, writer.drain_timeout_s
  BatchPolicy batch;
  // sip_minute_stats (minute_stats.h): distinct User-Agents counted per minute by this writer; the
  // rest count under "(other)". writer.stats_max_agents_per_minute (500)
  size_t stats_max_agents_per_minute = kDefaultMaxAgentsPerMinute;
  // writer.retention_hours, writer.partitions_ahead_hours, writer.maintenance_interval_s,
  // writer.class.<calls|registrations|other>.retention_hours (default writer.retention_hours),
  // writer.summary_retention_hours (720)
  PartitionOptions partitions;
  // Disk guard (disk_guard.h): writer.disk_guard.min_free_percent (10; 0 with min_free_mb 0 = off),
  // writer.disk_guard.min_free_mb, writer.disk_guard.datadir, writer.disk_guard.interval_s,
  // writer.disk_guard.max_drops_per_round, writer.disk_guard.other_tables_priority,
  // writer.class.<name>.priority
  DiskGuardOptions disk_guard;
  // db.host, db.port, db.socket, db.user, db.password, db.name, db.connect_timeout_s, db.io_timeout_s
  store::DbOptions db;

  // Outage spool (spooling_sink.h, row_spool.h). spool_files.dir "" = no spool (default here; the
  // shipped writer.ini sets one): the batch then waits in memory until the database is back.
  // writer.spool_dir, writer.spool_max_mb (1024), writer.spool_fsync_ms (0 = fdatasync every batch)
  RowSpoolOptions spool_files;
  // writer.spool_after_ms (2000): how long the database may fail before batches go to the spool.
  // Probes of a database that is away follow writer.retry_initial_ms / retry_max_ms.
  SpoolPolicy spool;
  // Where to publish acks to collectors (ZeroMQ PUB, endpoint list, e.g.
  // connect:tcp://127.0.0.1:5561); "" = no acks (default). writer.ack_output
  std::string ack_output;
  // Duplicate window: writer.dedup_window_ms (250; 0 = off), writer.dedup_memory_s (30),
  // writer.dedup_max_entries (1000000)
  DuplicateWindowOptions dedup;

  // Reads the keys above from `config`; throws Poco::Exception naming the key on a bad value.
  static WriterOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

}  // namespace sipvault::writer
