#pragma once
// The writer's Prometheus metrics (names get the "sipvault_" prefix), declared once per component
// as an X-macro list: X(field, Counter|Gauge, name, labels, help). Field, name, help and labels
// stand on one line and cannot drift apart. Each class gets only its own component's metrics;
// WriterMetrics bundles them for WriterService. Updated from the receiver, DB and maintenance
// threads (atomics); dashboards depend on the names, which do not change.
#include "common/metrics.h"

namespace sipvault::writer {

// BusReceiver: ZeroMQ intake, backpressure, the duplicate window.
#define SIPVAULT_WRITER_RECEIVER_METRICS(X)                                                           \
  X(bus_batches, Counter, "writer_bus_batches_total", "", "SipBatch messages received from ZeroMQ")   \
  X(bus_records, Counter, "writer_bus_records_total", "", "records received from ZeroMQ")             \
  X(bus_bad_messages, Counter, "writer_bus_bad_messages_total", "",                                   \
    "ZeroMQ frames that were not a SipBatch (dropped)")                                               \
  X(backpressure_waits, Counter, "writer_backpressure_waits_total", "",                               \
    "times the insert queue was full and the receiver stopped pulling")                               \
  X(backpressure_us, Counter, "writer_backpressure_microseconds_total", "",                           \
    "time the receiver waited for queue room")                                                        \
  X(backpressure_active, Gauge, "writer_backpressure_active", "",                                     \
    "1 while the receiver waits for queue room")                                                      \
  X(queue_rows, Gauge, "writer_queue_rows", "", "rows queued between the receiver and the DB thread") \
  X(duplicates_dropped, Counter, "writer_duplicates_dropped_total", "",                               \
    "records dropped by the duplicate window")                                                        \
  X(dedup_evictions, Counter, "writer_dedup_evictions_total", "",                                     \
    "duplicate-window entries forgotten early (full)")                                                \
  X(dedup_entries, Gauge, "writer_dedup_entries", "", "packets the duplicate window remembers")

struct ReceiverMetrics {
  explicit ReceiverMetrics(MetricsRegistry& registry);
  MetricsRegistry& registry;
  SIPVAULT_WRITER_RECEIVER_METRICS(SIPVAULT_METRIC_FIELD)
};

// DbSink and BatchWriter: rows committed, insert latency and errors, rows given up on.
#define SIPVAULT_WRITER_INSERT_METRICS(X)                                                                  \
  X(rows_sip, Counter, "writer_rows_written_total", "table=\"sip_messages\"",                              \
    "rows committed to the database")                                                                      \
  X(rows_rejects, Counter, "writer_rows_written_total", "table=\"sip_rejects\"",                           \
    "rows committed to the database")                                                                      \
  X(rows_other, Counter, "writer_rows_written_total", "table=\"hep_other\"",                               \
    "rows committed to the database")                                                                      \
  X(rows_qos, Counter, "writer_rows_written_total", "table=\"sip_qos\"",                                   \
    "rows committed to the database")                                                                      \
  X(insert_batches, Counter, "writer_insert_batches_total", "", "insert transactions committed")           \
  X(insert_latency_us, Counter, "writer_insert_latency_microseconds_total", "",                            \
    "sum of committed insert latencies")                                                                   \
  X(insert_latency_last_us, Gauge, "writer_insert_latency_last_microseconds", "",                          \
    "latency of the last insert")                                                                          \
  X(insert_latency_max_us, Gauge, "writer_insert_latency_max_microseconds", "",                            \
    "largest insert latency since start")                                                                  \
  X(insert_errors, Counter, "writer_insert_errors_total", "", "failed insert attempts (retried)")          \
  X(insert_retries, Counter, "writer_insert_retries_total", "",                                            \
    "insert attempts after the first for a batch")                                                         \
  X(db_reconnects, Counter, "writer_db_connects_total", "", "database sessions opened by the insert path") \
  X(db_up, Gauge, "writer_db_up", "", "1 while the last insert attempt succeeded")                         \
  X(rows_skipped, Counter, "writer_rows_skipped_total", "", "rows the server skipped inside a LOAD DATA")  \
  X(stats_agents_folded, Counter, "writer_stats_agents_folded_total", "",                                  \
    "messages counted under (other) in sip_minute_stats: their minute had too many User-Agents")           \
  X(rows_dropped_rejected, Counter, "writer_rows_dropped_total", "reason=\"db_rejected\"",                 \
    "rows given up on")                                                                                    \
  X(rows_dropped_shutdown, Counter, "writer_rows_dropped_total", "reason=\"shutdown_db_down\"",            \
    "rows given up on")

struct InsertMetrics {
  explicit InsertMetrics(MetricsRegistry& registry);
  MetricsRegistry& registry;
  SIPVAULT_WRITER_INSERT_METRICS(SIPVAULT_METRIC_FIELD)
};

// SpoolingSink: the outage spool (all 0 when writer.spool_dir is empty).
#define SIPVAULT_WRITER_SPOOL_METRICS(X)                                                                   \
  X(spool_batches, Counter, "writer_spool_appended_batches_total", "",                                     \
    "batches appended to the outage spool")                                                                \
  X(spool_rows, Counter, "writer_spool_appended_rows_total", "", "rows appended to the outage spool")      \
  X(spool_appended_bytes, Counter, "writer_spool_appended_bytes_total", "",                                \
    "record bytes appended to the outage spool")                                                           \
  X(spool_replayed_batches, Counter, "writer_spool_replayed_batches_total", "",                            \
    "spooled batches committed to the database")                                                           \
  X(spool_replayed_rows, Counter, "writer_spool_replayed_rows_total", "",                                  \
    "spooled rows committed to the database")                                                              \
  X(spool_bytes, Gauge, "writer_spool_bytes", "", "bytes of spool segment files on disk")                  \
  X(spool_records, Gauge, "writer_spool_records", "", "batches waiting in the outage spool")               \
  X(spool_max_bytes, Gauge, "writer_spool_max_bytes", "", "the spool's size limit (writer.spool_max_mb)")  \
  X(spool_corrupt_records, Counter, "writer_spool_corrupt_records_total", "",                              \
    "damaged spool records skipped")                                                                       \
  X(spool_corrupt_bytes, Counter, "writer_spool_corrupt_bytes_total", "",                                  \
    "bytes of damaged spool records skipped")                                                              \
  X(spool_full, Counter, "writer_spool_full_total", "", "spool appends refused because the spool is full") \
  X(spool_errors, Counter, "writer_spool_errors_total", "", "spool I/O errors")

struct SpoolMetrics {
  explicit SpoolMetrics(MetricsRegistry& registry);
  MetricsRegistry& registry;
  SIPVAULT_WRITER_SPOOL_METRICS(SIPVAULT_METRIC_FIELD)
};

// WriterService: acks and partition maintenance.
#define SIPVAULT_WRITER_SERVICE_METRICS(X)                                                           \
  X(acks_published, Counter, "writer_acks_published_total", "",                                      \
    "PacketBatches acked to collectors as durable")                                                  \
  X(partitions_created, Counter, "writer_partitions_created_total", "", "hourly partitions created") \
  X(partitions_dropped, Counter, "writer_partitions_dropped_total", "",                              \
    "hourly partitions dropped by retention")                                                        \
  X(maintenance_errors, Counter, "writer_partition_maintenance_errors_total", "", "failed maintenance rounds") \
  X(guard_dropped, Counter, "writer_disk_guard_partitions_dropped_total", "",                        \
    "hourly partitions the disk guard dropped to keep free space (data loss by design)")             \
  X(guard_exhausted, Counter, "writer_disk_guard_exhausted_total", "",                               \
    "guard rounds short of space with no complete hour left to drop")                                \
  X(guard_errors, Counter, "writer_disk_guard_errors_total", "", "failed disk guard rounds")          \
  X(datadir_free, Gauge, "writer_disk_free_bytes", "fs=\"datadir\"", "free bytes on the filesystem")  \
  X(datadir_size, Gauge, "writer_disk_size_bytes", "fs=\"datadir\"", "size of the filesystem")        \
  X(datadir_headroom, Gauge, "writer_disk_headroom_bytes", "fs=\"datadir\"",                         \
    "free bytes above the disk guard's threshold (below 0: the guard drops partitions)")             \
  X(spool_fs_free, Gauge, "writer_disk_free_bytes", "fs=\"spool\"", "free bytes on the filesystem")   \
  X(spool_fs_size, Gauge, "writer_disk_size_bytes", "fs=\"spool\"", "size of the filesystem")

struct ServiceMetrics {
  explicit ServiceMetrics(MetricsRegistry& registry);
  MetricsRegistry& registry;
  SIPVAULT_WRITER_SERVICE_METRICS(SIPVAULT_METRIC_FIELD)
};

// Every component of one writer.
struct WriterMetrics {
  explicit WriterMetrics(MetricsRegistry& registry)
      : receiver(registry), insert(registry), spool(registry), service(registry) {}
  ReceiverMetrics receiver;
  InsertMetrics insert;
  SpoolMetrics spool;
  ServiceMetrics service;
};

}  // namespace sipvault::writer
