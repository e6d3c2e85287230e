#pragma once
// Everything sipvault-writer can be told, filled once in main from CLI + config file
// (deploy/config/writer.ini is the documented example).
#include <chrono>
#include <string>

#include "writer/batch_writer.h"
#include "writer/db_connection.h"
#include "writer/partition_maintainer.h"
#include "writer/row_inserter.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault {

struct WriterOptions {
  // ZeroMQ input, an endpoint list (common/bus.h). writer.listen
  std::string listen = "bind:tcp://127.0.0.1:5570";
  // ZeroMQ receive high-water mark, in SipBatch messages. writer.bus_hwm
  int bus_hwm = 100;
  // Rows held between the receiver and the DB thread before the receiver stops pulling. writer.queue_rows
  size_t queue_rows = 100000;
  // LOAD DATA from memory ("load_data", default) or multi-row INSERT ("insert"). writer.insert_method
  InsertMethod insert_method = InsertMethod::LoadData;
  // writer.batch_rows, writer.flush_ms, writer.retry_initial_ms, writer.retry_max_ms, writer.drain_timeout_s
  BatchPolicy batch;
  // writer.retention_hours, writer.partitions_ahead_hours, writer.maintenance_interval_s
  PartitionOptions partitions;
  // db.host, db.port, db.socket, db.user, db.password, db.name, db.connect_timeout_s, db.io_timeout_s
  DbOptions db;

  // Reads the keys above from `config`; throws Poco::Exception naming the key on a bad value.
  static WriterOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

}  // namespace sipvault
