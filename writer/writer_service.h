#pragma once
// sipvault-writer assembled: ZeroMQ receiver thread (duplicate window) -> RowQueue -> DB thread
// (BatchWriter + DbSink, wrapped in the SpoolingSink when writer.spool_dir is set; acks published
// from there), plus a partition-maintenance thread with its own connection.
//
//   start():  open the spool (recovering what a previous run left), connect, apply migrations,
//             prepare partitions, bind/connect the bus and the ack output, start the threads. The
//             database must answer now, unless there is a spool: then batches are spooled and the
//             migration runs on the DB thread's first session. A spool left non-empty is replayed
//             before newer batches.
//   stop():   stop pulling, drain: everything received is written or spooled and acked (without a
//             spool, if the database stays away for writer.drain_timeout_s, dropped loudly and
//             counted, not acked), then join.
// Thread-safety: call start/stop from one thread.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/batch_ack.h"
#include "common/log.h"
#include "common/start_failure.h"
#include "store/migrator.h"
#include "writer/batch_writer.h"
#include "writer/bus_receiver.h"
#include "writer/row_queue.h"
#include "writer/row_sink.h"
#include "writer/spooling_sink.h"
#include "writer/writer_metrics.h"
#include "writer/writer_options.h"

namespace sipvault::writer {

// Microseconds since the Unix epoch; injectable so that tests can move time.
using WallClock = std::function<uint64_t()>;
[[nodiscard]] uint64_t systemNowUs();

class WriterService {
 public:
  WriterService(WriterOptions options, WriterMetrics& metrics, Log log, WallClock clock = systemNowUs);
  ~WriterService();

  [[nodiscard]] std::optional<StartFailure> start();
  void stop();

  [[nodiscard]] std::vector<std::string> boundAddresses() const;
  // What the migration at start did (empty until it ran, when the database was away at start).
  [[nodiscard]] store::MigrationReport migrationReport() const {
    std::lock_guard lock(mu_);
    return migration_;
  }

 private:
  // Migrates the schema and checks LOAD DATA; at start, or on the DB thread's first session when
  // the database was away at start (with a spool).
  [[nodiscard]] bool prepareSchema(store::DbConnection& db, InsertMethod& method, std::string& error);
  void maintenanceLoop(std::unique_ptr<store::DbConnection> db);
  // One disk guard round on the maintenance connection: gauges, drops logged and counted.
  void runDiskGuard(std::unique_ptr<store::DbConnection>& db);
  void runMaintenance(std::unique_ptr<store::DbConnection>& db);
  // Wakes the maintenance thread for a round now.
  void requestMaintenance();

  const WriterOptions options_;
  WriterMetrics& metrics_;
  Log log_;
  WallClock clock_;
  store::MigrationReport migration_;
  zmq::context_t zmq_{1};
  RowQueue queue_;
  std::unique_ptr<RowSpool> spool_;            // until handed to spooling_sink_
  std::unique_ptr<DbSink> sink_;
  std::unique_ptr<SpoolingSink> spooling_sink_;
  std::unique_ptr<AckPublisher> acks_;         // used by the DB thread only
  std::unique_ptr<BatchWriter> batch_writer_;
  std::unique_ptr<BusReceiver> receiver_;
  PartitionMaintainer maintainer_;
  DiskGuard guard_;
  std::thread maintenance_thread_;
  mutable std::mutex mu_;  // migration_, stopping_, maintenance_due_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool maintenance_due_ = false;
  bool started_ = false;
};

}  // namespace sipvault::writer
