#pragma once
// sipvault-writer assembled: ZeroMQ receiver thread -> RowQueue -> DB thread (BatchWriter + DbSink),
// plus a partition-maintenance thread with its own connection.
//
//   start():  connect (the database must answer now), apply migrations, prepare partitions,
//             bind/connect the bus, start the threads.
//   stop():   stop pulling, drain: everything received is written (or, if the database stays
//             away for writer.drain_timeout_s, dropped loudly and counted), then join.
// Thread-safety: call start/stop from one thread.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "writer/batch_writer.h"
#include "writer/bus_receiver.h"
#include "writer/migrator.h"
#include "writer/row_queue.h"
#include "writer/row_sink.h"
#include "writer/writer_metrics.h"
#include "writer/writer_options.h"

namespace sipvault {

struct StartFailure {
  enum class Kind { Config, Database, Migration, Bus } kind;
  std::string problem;  // one line naming what failed
  std::string fix;      // what the operator can do
};

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
  [[nodiscard]] const MigrationReport& migrationReport() const { return migration_; }

 private:
  void maintenanceLoop(std::unique_ptr<DbConnection> db);
  void runMaintenance(std::unique_ptr<DbConnection>& db);

  const WriterOptions options_;
  WriterMetrics& metrics_;
  Log log_;
  WallClock clock_;
  MigrationReport migration_;
  zmq::context_t zmq_{1};
  RowQueue queue_;
  std::unique_ptr<DbSink> sink_;
  std::unique_ptr<BatchWriter> batch_writer_;
  std::unique_ptr<BusReceiver> receiver_;
  PartitionMaintainer maintainer_;
  std::thread maintenance_thread_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace sipvault
