#pragma once
// The writer's Prometheus metrics (names get the "sipvault_" prefix), registered once and updated
// from the receiver, DB and maintenance threads (atomics).
#include "common/metrics.h"

namespace sipvault {

struct WriterMetrics {
  explicit WriterMetrics(MetricsRegistry& r);

  // Receiver (ZeroMQ) side.
  Counter& bus_batches;          // writer_bus_batches_total: SipBatch messages received
  Counter& bus_records;          // writer_bus_records_total: records in them
  Counter& bus_bad_messages;     // writer_bus_bad_messages_total: frames that are not a SipBatch (dropped)
  Counter& backpressure_waits;   // writer_backpressure_waits_total: times the queue was full and the
                                 // receiver stopped pulling (ZeroMQ then pushes back upstream)
  Counter& backpressure_us;      // writer_backpressure_microseconds_total: time spent waiting so
  Gauge& backpressure_active;    // writer_backpressure_active: 1 while the receiver waits right now
  Gauge& queue_rows;             // writer_queue_rows: rows between receiver and DB thread

  // DB side.
  Counter& rows_sip;             // writer_rows_written_total{table="sip_messages"}
  Counter& rows_rejects;         // writer_rows_written_total{table="sip_rejects"}
  Counter& rows_other;           // writer_rows_written_total{table="hep_other"}
  Counter& insert_batches;       // writer_insert_batches_total: committed insert transactions
  Counter& insert_latency_us;    // writer_insert_latency_microseconds_total (sum; / batches = mean)
  Gauge& insert_latency_last_us; // writer_insert_latency_last_microseconds
  Gauge& insert_latency_max_us;  // writer_insert_latency_max_microseconds (since start)
  Counter& insert_errors;        // writer_insert_errors_total: failed attempts (each is retried)
  Counter& insert_retries;       // writer_insert_retries_total: attempts after the first for a batch
  Counter& db_reconnects;        // writer_db_connects_total: sessions opened by the insert path
  Gauge& db_up;                  // writer_db_up: 1 while the last insert attempt succeeded
  Counter& rows_skipped;         // writer_rows_skipped_total: rows the server skipped inside a LOAD DATA
  Counter& rows_dropped_rejected;// writer_rows_dropped_total{reason="db_rejected"}: batches the server
                                 // refused as data, after retries (logged loudly)
  Counter& rows_dropped_shutdown;// writer_rows_dropped_total{reason="shutdown_db_down"}: still
                                 // unwritten when the drain timeout ran out (logged loudly)

  // Outage spool (spooling_sink.h); all 0 when writer.spool_dir is empty.
  Counter& spool_batches;        // writer_spool_appended_batches_total: batches appended to the spool
  Counter& spool_rows;           // writer_spool_appended_rows_total
  Counter& spool_appended_bytes; // writer_spool_appended_bytes_total: record payload bytes appended
  Counter& spool_replayed_batches; // writer_spool_replayed_batches_total: spooled batches committed
  Counter& spool_replayed_rows;  // writer_spool_replayed_rows_total
  Gauge& spool_bytes;            // writer_spool_bytes: segment files on disk now
  Gauge& spool_records;          // writer_spool_records: batches waiting in the spool
  Counter& spool_corrupt_records;// writer_spool_corrupt_records_total: damaged records skipped (torn tail, CRC)
  Counter& spool_corrupt_bytes;  // writer_spool_corrupt_bytes_total
  Counter& spool_full;           // writer_spool_full_total: appends refused at writer.spool_max_mb (backpressure)
  Counter& spool_errors;         // writer_spool_errors_total: spool I/O errors (the batch is kept and retried)

  // Duplicate window (duplicate_window.h) and acks.
  Counter& duplicates_dropped;   // writer_duplicates_dropped_total: records dropped as duplicates
  Counter& dedup_evictions;      // writer_dedup_evictions_total: entries forgotten early at writer.dedup_max_entries
  Gauge& dedup_entries;          // writer_dedup_entries: packets remembered now
  Counter& acks_published;       // writer_acks_published_total: PacketBatches acked as durable

  // Partition maintenance.
  Counter& partitions_created;   // writer_partitions_created_total
  Counter& partitions_dropped;   // writer_partitions_dropped_total
  Counter& maintenance_errors;   // writer_partition_maintenance_errors_total
};

}  // namespace sipvault
