#include "writer/writer_metrics.h"

namespace sipvault {

WriterMetrics::WriterMetrics(MetricsRegistry& r)
    : bus_batches(r.counter("writer_bus_batches_total", "SipBatch messages received from ZeroMQ")),
      bus_records(r.counter("writer_bus_records_total", "records received from ZeroMQ")),
      bus_bad_messages(r.counter("writer_bus_bad_messages_total", "ZeroMQ frames that were not a SipBatch (dropped)")),
      backpressure_waits(r.counter("writer_backpressure_waits_total",
                                   "times the insert queue was full and the receiver stopped pulling")),
      backpressure_us(r.counter("writer_backpressure_microseconds_total", "time the receiver waited for queue room")),
      backpressure_active(r.gauge("writer_backpressure_active", "1 while the receiver waits for queue room")),
      queue_rows(r.gauge("writer_queue_rows", "rows queued between the receiver and the DB thread")),
      rows_sip(r.counter("writer_rows_written_total", "rows committed to the database", R"(table="sip_messages")")),
      rows_rejects(r.counter("writer_rows_written_total", "rows committed to the database", R"(table="sip_rejects")")),
      rows_other(r.counter("writer_rows_written_total", "rows committed to the database", R"(table="hep_other")")),
      insert_batches(r.counter("writer_insert_batches_total", "insert transactions committed")),
      insert_latency_us(r.counter("writer_insert_latency_microseconds_total", "sum of committed insert latencies")),
      insert_latency_last_us(r.gauge("writer_insert_latency_last_microseconds", "latency of the last insert")),
      insert_latency_max_us(r.gauge("writer_insert_latency_max_microseconds", "largest insert latency since start")),
      insert_errors(r.counter("writer_insert_errors_total", "failed insert attempts (retried)")),
      insert_retries(r.counter("writer_insert_retries_total", "insert attempts after the first for a batch")),
      db_reconnects(r.counter("writer_db_connects_total", "database sessions opened by the insert path")),
      db_up(r.gauge("writer_db_up", "1 while the last insert attempt succeeded")),
      rows_skipped(r.counter("writer_rows_skipped_total", "rows the server skipped inside a LOAD DATA")),
      rows_dropped_rejected(r.counter("writer_rows_dropped_total", "rows given up on",
                                      R"(reason="db_rejected")")),
      rows_dropped_shutdown(r.counter("writer_rows_dropped_total", "rows given up on",
                                      R"(reason="shutdown_db_down")")),
      partitions_created(r.counter("writer_partitions_created_total", "hourly partitions created")),
      partitions_dropped(r.counter("writer_partitions_dropped_total", "hourly partitions dropped by retention")),
      maintenance_errors(r.counter("writer_partition_maintenance_errors_total", "failed maintenance rounds")) {}

}  // namespace sipvault
