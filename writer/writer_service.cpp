#include "writer/writer_service.h"

#include <chrono>

namespace sipvault {

uint64_t systemNowUs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

WriterService::WriterService(WriterOptions options, WriterMetrics& metrics, Log log, WallClock clock)
    : options_(std::move(options)),
      metrics_(metrics),
      log_(log),
      clock_(std::move(clock)),
      queue_(options_.queue_rows),
      maintainer_(options_.partitions) {}

WriterService::~WriterService() { stop(); }

std::optional<StartFailure> WriterService::start() {
  std::string err;
  auto endpoints = parseBusEndpoints(options_.listen, err);
  if (!endpoints)
    return StartFailure{StartFailure::Kind::Config, "writer.listen: " + err, "e.g. bind:tcp://127.0.0.1:5570"};

  DbError db_error;
  std::unique_ptr<DbConnection> db = DbConnection::open(options_.db, db_error);
  if (!db)
    return StartFailure{StartFailure::Kind::Database,
                        "cannot connect to database " + options_.db.describe() + ": " + db_error.describe(),
                        "start MariaDB (deploy/mariadb.sh start DATADIR PORT) or fix db.host/db.port/db.socket/"
                        "db.user/db.password/db.name"};
  if (!migrate(*db, embeddedMigrations(), clock_(), migration_, db_error))
    return StartFailure{StartFailure::Kind::Migration, "schema migration failed: " + db_error.describe(),
                        "check the database user's rights (CREATE, ALTER, DROP, INDEX on the database)"};
  metrics_.db_up.set(1);
  log_.info("schema", {{"version_before", migration_.version_before},
                       {"version", migration_.version_after},
                       {"applied", migration_.applied.size()}});
  if (migration_.database_is_newer)
    log_.warn("schema_newer_than_binary", {{"version", migration_.version_before},
                                           {"known", embeddedMigrations().empty() ? 0 : embeddedMigrations().back().version}});
  runMaintenance(db);  // partitions for the current hour on; failures are retried by the loop

  InsertMethod method = options_.insert_method;
  if (method == InsertMethod::LoadData) {
    // LOAD DATA LOCAL needs local_infile on the server; without it every insert would fail.
    auto local_infile = db->queryValue("SELECT @@GLOBAL.local_infile", db_error);
    if (local_infile && *local_infile == "0") {
      log_.warn("load_data_disabled", {{"server", "local_infile=OFF"},
                                       {"using", "insert"},
                                       {"fix", "SET GLOBAL local_infile=ON for faster inserts"}});
      method = InsertMethod::MultiRowInsert;
    }
  }

  try {
    receiver_ = std::make_unique<BusReceiver>(zmq_, *endpoints, options_.bus_hwm, queue_, metrics_, log_);
  } catch (const zmq::error_t& e) {
    return StartFailure{StartFailure::Kind::Bus, "ZeroMQ input " + options_.listen + ": " + e.what(),
                        "free the address or change writer.listen"};
  }
  sink_ = std::make_unique<DbSink>(options_.db, method, metrics_);
  batch_writer_ = std::make_unique<BatchWriter>(queue_, *sink_, options_.batch, metrics_, log_);
  batch_writer_->start();
  receiver_->start();
  // The start-up session becomes the maintenance thread's own connection.
  maintenance_thread_ = std::thread([this, conn = std::move(db)]() mutable { maintenanceLoop(std::move(conn)); });
  started_ = true;
  return std::nullopt;
}

void WriterService::runMaintenance(std::unique_ptr<DbConnection>& db) {
  DbError error;
  if (!db) {
    db = DbConnection::open(options_.db, error);
    if (!db) {
      metrics_.maintenance_errors.inc();
      log_.warn("partition_maintenance_failed", {{"error", error.describe()}});
      return;
    }
  }
  // A long metadata-lock wait would also hold up the inserts queued behind it.
  if (!db->execute("SET SESSION lock_wait_timeout = 30", error)) {
    metrics_.maintenance_errors.inc();
    log_.warn("partition_maintenance_failed", {{"error", error.describe()}});
    if (error.connectionLost()) db.reset();
    return;
  }
  MaintenanceOutcome outcome;
  const bool ok = maintainer_.runOnce(*db, clock_(), outcome, error);
  metrics_.partitions_created.inc(static_cast<uint64_t>(outcome.created));
  metrics_.partitions_dropped.inc(static_cast<uint64_t>(outcome.dropped));
  if (outcome.created || outcome.dropped)
    log_.info("partitions", {{"created", outcome.created}, {"dropped", outcome.dropped}});
  if (outcome.future_rows_copied > 100000)
    log_.warn("p_future_large", {{"rows", outcome.future_rows_copied},
                                 {"why", "captures dated after the prepared hours; every hourly split copies them"},
                                 {"fix", "check sender clocks; ALTER TABLE ... TRUNCATE PARTITION p_future drops them"}});
  if (!ok) {
    metrics_.maintenance_errors.inc();
    log_.warn("partition_maintenance_failed", {{"error", error.describe()}});
    if (error.connectionLost()) db.reset();
  }
}

void WriterService::maintenanceLoop(std::unique_ptr<DbConnection> db) {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, options_.partitions.interval, [this] { return stopping_; })) {
    lock.unlock();
    runMaintenance(db);
    lock.lock();
  }
}

std::vector<std::string> WriterService::boundAddresses() const {
  return receiver_ ? receiver_->boundAddresses() : std::vector<std::string>{};
}

void WriterService::stop() {
  if (!started_) return;
  started_ = false;
  log_.info("draining", {{"queued_rows", queue_.rows()}});
  receiver_->requestStop();
  batch_writer_->beginDrain();
  receiver_->join();
  queue_.close();
  batch_writer_->join();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  log_.info("stopped", {{"rows_sip", metrics_.rows_sip.value()},
                        {"rows_rejects", metrics_.rows_rejects.value()},
                        {"rows_other", metrics_.rows_other.value()},
                        {"rows_dropped", metrics_.rows_dropped_rejected.value() +
                                             metrics_.rows_dropped_shutdown.value()}});
}

}  // namespace sipvault
