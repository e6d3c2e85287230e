#include "writer/writer_service.h"

#include <chrono>
#include <thread>

#include "store/shard_column.h"

namespace sipvault::writer {

using namespace sipvault::store;

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
      maintainer_(options_.partitions),
      guard_(options_.disk_guard, options_.partitions, options_.spool_files.dir.string()) {}

WriterService::~WriterService() { stop(); }

std::optional<StartFailure> WriterService::start() {
  std::string err;
  auto endpoints = parseBusEndpoints(options_.listen, err);
  if (!endpoints)
    return StartFailure{StartFailure::Kind::Config, "writer.listen: " + err, "e.g. bind:tcp://127.0.0.1:5570"};

  std::optional<std::vector<BusEndpoint>> ack_endpoints;
  if (!options_.ack_output.empty()) {
    ack_endpoints = parseBusEndpoints(options_.ack_output, err);
    if (!ack_endpoints)
      return StartFailure{StartFailure::Kind::Config, "writer.ack_output: " + err, "e.g. connect:tcp://127.0.0.1:5561"};
  }
  if (!options_.spool_files.dir.empty()) {
    spool_ = RowSpool::open(options_.spool_files, err);
    if (!spool_)
      return StartFailure{
          StartFailure::Kind::Unavailable, "writer.spool_dir: " + err,
          "make the directory writable for this user, or give each writer its own writer.spool_dir"};
    metrics_.spool.spool_max_bytes.set(static_cast<int64_t>(options_.spool_files.max_bytes));
    const SpoolRecovery& r = spool_->recovery();
    if (r.records || r.torn_tail_bytes || r.bad_segments || r.cursor_reset)
      log_.warn("spool_recovered", {{"records", r.records},
                                    {"bytes", r.bytes},
                                    {"segments", r.segments},
                                    {"torn_tail_bytes", r.torn_tail_bytes},
                                    {"bad_segments", r.bad_segments},
                                    {"cursor_reset", r.cursor_reset ? "yes" : "no"},
                                    {"next", "replayed before newer batches"}});
  }

  DbError db_error;
  std::unique_ptr<DbConnection> db = DbConnection::open(options_.db, db_error);
  InsertMethod method = options_.insert_method;
  SessionPreparer deferred_schema;
  if (!db && !spool_)
    return StartFailure{
        StartFailure::Kind::Unavailable,
        "cannot connect to database " + options_.db.describe() + ": " + db_error.describe(),
        "start MariaDB (deploy/mariadb.sh start DATADIR PORT) or fix db.host/db.port/db.socket/"
        "db.user/db.password/db.name"};
  if (!db) {
    // With a spool there is somewhere to put batches: run, and migrate once the database answers.
    log_.warn("database_unreachable_at_start", {{"db", options_.db.describe()},
                                                {"error", db_error.describe()},
                                                {"next", "batches go to the spool; schema migrated when it answers"}});
    metrics_.insert.db_up.set(0);
    deferred_schema = [this](DbConnection& conn, InsertMethod& m, std::string& error) {
      if (!prepareSchema(conn, m, error)) return false;
      requestMaintenance();  // partitions for the current hour, now that the tables exist
      return true;
    };
  } else {
    std::string schema_error;
    if (!prepareSchema(*db, method, schema_error))
      return StartFailure{StartFailure::Kind::Unavailable, "schema migration failed: " + schema_error,
                          "check the database user's rights (CREATE, ALTER, DROP, INDEX on the database)"};
    metrics_.insert.db_up.set(1);
    runMaintenance(db);  // partitions for the current hour on; failures are retried by the loop
  }

  try {
    receiver_ = std::make_unique<BusReceiver>(zmq_, *endpoints, options_.bus_hwm, queue_, metrics_.receiver,
                                              log_, options_.dedup, options_.raw_codec);
  } catch (const zmq::error_t& e) {
    return StartFailure{StartFailure::Kind::Unavailable, "ZeroMQ input " + options_.listen + ": " + e.what(),
                        "free the address or change writer.listen"};
  }
  DurableListener on_durable;
  if (ack_endpoints) {
    try {
      acks_ = std::make_unique<AckPublisher>(zmq_, *ack_endpoints);
    } catch (const zmq::error_t& e) {
      return StartFailure{StartFailure::Kind::Unavailable,
                          "ZeroMQ ack output " + options_.ack_output + ": " + e.what(),
                          "free the address or change writer.ack_output"};
    }
    on_durable = [this](std::span<const BatchRef> refs) {
      acks_->publish(refs);
      metrics_.service.acks_published.inc(refs.size());
    };
  }
  sink_ = std::make_unique<DbSink>(options_.db, method, metrics_.insert, std::move(deferred_schema), options_.shard_id,
                                   options_.stats_max_agents_per_minute);
  RowSink* sink = sink_.get();
  if (spool_) {
    spooling_sink_ = std::make_unique<SpoolingSink>(*sink_, std::move(spool_), options_.spool, metrics_.spool,
                                                    metrics_.insert, log_);
    sink = spooling_sink_.get();
  }
  batch_writer_ = std::make_unique<BatchWriter>(queue_, *sink, options_.batch, metrics_.insert,
                                                metrics_.receiver.queue_rows, log_, std::move(on_durable));
  batch_writer_->start();
  receiver_->start();
  // The start-up session becomes the maintenance thread's own connection.
  maintenance_thread_ = std::thread([this, conn = std::move(db)]() mutable { maintenanceLoop(std::move(conn)); });
  started_ = true;
  return std::nullopt;
}

bool WriterService::prepareSchema(DbConnection& db, InsertMethod& method, std::string& error) {
  DbError db_error;
  MigrationReport report;
  if (!migrate(db, embeddedMigrations(), clock_(), report, db_error)) {
    error = "schema migration: " + db_error.describe();
    return false;
  }
  log_.info("schema", {{"version_before", report.version_before},
                       {"version", report.version_after},
                       {"applied", report.applied.size()}});
  if (report.database_is_newer)
    log_.warn("schema_newer_than_binary", {{"version", report.version_before},
                                           {"known", embeddedMigrations().empty() ? 0 : embeddedMigrations().back().version}});
  {
    std::lock_guard lock(mu_);
    migration_ = report;
  }
  // The shard this database is (docs/cluster.md): every row stored here, live or replayed from the
  // spool, carries writer.shard_id, which a cluster head's Spider partitions select on.
  if (!applyShardId(db, options_.shard_id, db_error)) {
    error = "writer.shard_id " + std::to_string(options_.shard_id) + ": " + db_error.describe();
    return false;
  }
  if (method == InsertMethod::Bulk && !db.supportsBulk()) {
    log_.warn("bulk_unsupported", {{"server", "not MariaDB >= 10.2.6 (no array binding)"}, {"using", "insert"}});
    method = InsertMethod::MultiRowInsert;
  }
  if (method == InsertMethod::LoadData) {
    // LOAD DATA LOCAL needs local_infile on the server; without it every insert would fail.
    auto local_infile = db.queryValue("SELECT @@GLOBAL.local_infile", db_error);
    if (local_infile && *local_infile == "0") {
      log_.warn("load_data_disabled", {{"server", "local_infile=OFF"},
                                       {"using", "insert"},
                                       {"fix", "SET GLOBAL local_infile=ON for faster inserts"}});
      method = InsertMethod::MultiRowInsert;
    }
  }
  return true;
}

void WriterService::requestMaintenance() {
  {
    std::lock_guard lock(mu_);
    maintenance_due_ = true;
  }
  stop_cv_.notify_all();
}

void WriterService::runMaintenance(std::unique_ptr<DbConnection>& db) {
  DbError error;
  if (!db) {
    db = DbConnection::open(options_.db, error);
    if (!db) {
      metrics_.service.maintenance_errors.inc();
      log_.warn("partition_maintenance_failed", {{"error", error.describe()}});
      return;
    }
  }
  // A long metadata-lock wait would also hold up the inserts queued behind it.
  if (!db->execute("SET SESSION lock_wait_timeout = 30", error)) {
    metrics_.service.maintenance_errors.inc();
    log_.warn("partition_maintenance_failed", {{"error", error.describe()}});
    if (error.connectionLost()) db.reset();
    return;
  }
  MaintenanceOutcome outcome;
  const bool ok = maintainer_.runOnce(*db, clock_(), outcome, error);
  metrics_.service.partitions_created.inc(static_cast<uint64_t>(outcome.created));
  metrics_.service.partitions_dropped.inc(static_cast<uint64_t>(outcome.dropped));
  if (outcome.created || outcome.dropped || outcome.truncated)
    log_.info("partitions",
              {{"created", outcome.created}, {"dropped", outcome.dropped}, {"past_truncated", outcome.truncated}});
  if (outcome.future_rows_copied > 100000)
    log_.warn("p_future_large", {{"rows", outcome.future_rows_copied},
                                 {"why", "captures dated after the prepared hours; every hourly split copies them"},
                                 {"fix", "check sender clocks; ALTER TABLE ... TRUNCATE PARTITION p_future drops them"}});
  if (!ok) {
    metrics_.service.maintenance_errors.inc();
    log_.warn("partition_maintenance_failed", {{"error", error.describe()}});
    if (error.connectionLost()) db.reset();
  }
}

void WriterService::runDiskGuard(std::unique_ptr<DbConnection>& db) {
  DbError error;
  if (!db) {
    db = DbConnection::open(options_.db, error);
    if (!db) {
      metrics_.service.guard_errors.inc();
      return;
    }
  }
  DiskGuardOutcome outcome;
  const bool ok = guard_.runOnce(*db, clock_(), outcome, error);
  auto& m = metrics_.service;
  if (outcome.datadir) {
    m.datadir_free.set(static_cast<int64_t>(outcome.datadir->free_bytes));
    m.datadir_size.set(static_cast<int64_t>(outcome.datadir->size_bytes));
    const DiskGuardOptions& g = guard_.options();
    const auto want = static_cast<int64_t>(std::max<uint64_t>(
        static_cast<uint64_t>(static_cast<double>(outcome.datadir->size_bytes) * g.min_free_percent / 100),
        g.min_free_bytes));
    m.datadir_headroom.set(static_cast<int64_t>(outcome.datadir->free_bytes) - want);
  }
  if (outcome.spool) {
    m.spool_fs_free.set(static_cast<int64_t>(outcome.spool->free_bytes));
    m.spool_fs_size.set(static_cast<int64_t>(outcome.spool->size_bytes));
  }
  for (const DropCandidate& d : outcome.dropped) {
    m.guard_dropped.inc();
    log_.warn("disk_guard_dropped", {{"table", d.table},
                                     {"partition", d.partition},
                                     {"priority", d.priority},
                                     {"why", "free space on the datadir's filesystem below the threshold"},
                                     {"short_bytes", outcome.short_bytes},
                                     {"datadir", guard_.datadir()},
                                     {"fix", "add disk or shorten writer.class.*.retention_hours"}});
  }
  if (outcome.nothing_left) {
    m.guard_exhausted.inc();
    log_.error("disk_guard_exhausted", {{"short_bytes", outcome.short_bytes},
                                        {"why", "no complete hour left to drop"},
                                        {"fix", "add disk; the database will fill up"}});
  }
  if (!ok) {
    m.guard_errors.inc();
    log_.warn("disk_guard_failed", {{"error", error.describe()}});
    if (error.connectionLost()) db.reset();
  }
}

void WriterService::maintenanceLoop(std::unique_ptr<DbConnection> db) {
  using Clock = std::chrono::steady_clock;
  // The guard measures more often than partitions are maintained; both share this thread and its
  // connection, so a guard drop never races a maintenance ALTER of the same writer.
  const auto tick = std::min<Clock::duration>(options_.partitions.interval, options_.disk_guard.interval);
  Clock::time_point next_maintenance = Clock::now() + options_.partitions.interval;
  std::unique_lock lock(mu_);
  while (true) {
    stop_cv_.wait_for(lock, tick, [this] { return stopping_ || maintenance_due_; });
    if (stopping_) return;
    const bool due = maintenance_due_ || Clock::now() >= next_maintenance;
    maintenance_due_ = false;
    lock.unlock();
    runDiskGuard(db);
    if (due) {
      runMaintenance(db);
      next_maintenance = Clock::now() + options_.partitions.interval;
    }
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
  acks_.reset();  // lingers up to 1 s so that the drain's last acks reach the collectors
  spooling_sink_.reset();  // syncs the spool and releases its lock
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  log_.info("stopped", {{"rows_sip", metrics_.insert.rows_sip.value()},
                        {"rows_rejects", metrics_.insert.rows_rejects.value()},
                        {"rows_other", metrics_.insert.rows_other.value()},
                        {"rows_qos", metrics_.insert.rows_qos.value()},
                        {"rows_dropped", metrics_.insert.rows_dropped_rejected.value() +
                                             metrics_.insert.rows_dropped_shutdown.value()},
                        {"duplicates_dropped", metrics_.receiver.duplicates_dropped.value()},
                        {"rows_spooled", metrics_.spool.spool_rows.value()},
                        {"rows_replayed", metrics_.spool.spool_replayed_rows.value()},
                        {"spool_records_left", metrics_.spool.spool_records.value()}});
}

}  // namespace sipvault::writer
