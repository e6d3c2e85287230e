// sipvault-writer: pulls SipBatch messages from ZeroMQ and stores them in MariaDB (hourly
// partitions, retention, batched inserts, outage spool, duplicate window, acks to collectors).
// Wiring only; the parts live in sipvault_writer_lib.
#include <Poco/Util/AbstractConfiguration.h>

#include "common/stage_app.h"
#include "store/db_stage_options.h"
#include "writer/writer_service.h"

namespace sipvault::writer {

using namespace sipvault::store;

class WriterApp : public StageApp {
 public:
  WriterApp()
      : StageApp("writer", "Stores parsed SIP (SipBatch over ZeroMQ) in MariaDB with hourly partitions and retention.",
                 withDbStageOptions({
                     {"listen", "l", "writer.listen", "ENDPOINTS", "ZeroMQ input (bind:tcp://... / connect:...)"},
                     {"retention-hours", "", "writer.retention_hours", "H", "hours of data kept (default 168)"},
                     {"partitions-ahead-hours", "", "writer.partitions_ahead_hours", "H",
                      "hourly partitions prepared ahead (default 6)"},
                     {"batch-rows", "", "writer.batch_rows", "N", "rows per insert batch (default 2000)"},
                     {"flush-ms", "", "writer.flush_ms", "MS", "longest wait before a partial batch is written (200)"},
                     {"drain-timeout-s", "", "writer.drain_timeout_s", "S",
                      "on SIGTERM without a spool, how long a database that is away is retried (30)"},
                     {"spool-dir", "", "writer.spool_dir", "DIR",
                      "outage spool: batches go here while the database is away, replayed in order (\"\" = off)"},
                     {"spool-max-mb", "", "writer.spool_max_mb", "MB",
                      "spool size limit; when full, backpressure instead of loss (1024)"},
                     {"spool-after-ms", "", "writer.spool_after_ms", "MS",
                      "how long the database may fail before batches are spooled (2000)"},
                     {"spool-fsync-ms", "", "writer.spool_fsync_ms", "MS",
                      "0 = fdatasync every spooled batch (default); N = at most every N ms"},
                     {"raw-codec", "", "writer.raw_codec", "lz4|deflate",
                      "raw message compression: lz4 (default) or deflate (SQL UNCOMPRESS() can read it)"},
                     {"ack-output", "", "writer.ack_output", "ENDPOINTS",
                      "publish acks of durable batches to collectors (connect:tcp://...:5561; \"\" = off)"},
                     {"dedup-window-ms", "", "writer.dedup_window_ms", "MS",
                      "same packet captured within this is stored once (250; 0 = off; keep below SIP T1 500)"},
                     {"dedup-memory-s", "", "writer.dedup_memory_s", "S", "how long packets are remembered (30)"},
                     {"dedup-max-entries", "", "writer.dedup_max_entries", "N",
                      "packets remembered at most; oldest forgotten first (1000000)"},
                 })) {}

 protected:
  std::string helpFooter() const override {
    return "Example: sipvault-writer --listen bind:tcp://127.0.0.1:5570 --db-host 127.0.0.1 --db-port 3306\n"
           "Config keys (writer.*, db.*): see deploy/config/writer.ini. Schema: writer/README.md.";
  }

  int runStage(const std::vector<std::string>&) override {
    const auto options = readOptions<WriterOptions>();
    if (!options) return kExitConfig;
    const WriterOptions& opt = *options;
    WriterMetrics writer_metrics(metrics());
    WriterService service(opt, writer_metrics, log());
    if (auto failure = service.start()) return fail(*failure);
    for (const auto& a : service.boundAddresses()) log().info("bus_bound", {{"addr", a}});
    log().info("started", {{"db", opt.db.describe()},
                           {"insert_method", insertMethodName(opt.insert_method)},
                           {"raw_codec", opt.raw_codec == RawCodec::Lz4 ? "lz4" : "deflate"},
                           {"batch_rows", opt.batch.batch_rows},
                           {"flush_ms", opt.batch.flush.count()},
                           {"retention_hours", opt.partitions.retention.count()},
                           {"partitions_ahead_hours", opt.partitions.ahead.count()},
                           {"spool_dir", opt.spool_files.dir.empty() ? "off" : opt.spool_files.dir.string()},
                           {"acks", opt.ack_output.empty() ? "off" : opt.ack_output},
                           {"dedup_window_ms", opt.dedup.window_us / 1000}});
    waitForShutdown();
    service.stop();
    return kExitOk;
  }
};

}  // namespace sipvault::writer

SIPVAULT_STAGE_MAIN(sipvault::writer::WriterApp)
