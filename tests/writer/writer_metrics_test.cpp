// The writer's metric names are what dashboards and alerts use: splitting WriterMetrics into one
// X-macro list per component must not change a single name or label.
#include "writer/writer_metrics.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/metrics.h"

using namespace sipvault;
using namespace sipvault::writer;

TEST_CASE("Writer metrics keep their names and labels, each registered once", "[writer][metrics]") {
  MetricsRegistry registry;
  WriterMetrics metrics(registry);
  metrics.insert.rows_sip.inc(3);
  metrics.spool.spool_records.set(2);
  const std::string text = registry.render();
  // The full list as released before the split (dashboards depend on it), plus spool_max_bytes.
  for (const char* series : {"sipvault_writer_bus_batches_total 0",
                             "sipvault_writer_bus_records_total 0",
                             "sipvault_writer_bus_bad_messages_total 0",
                             "sipvault_writer_backpressure_waits_total 0",
                             "sipvault_writer_backpressure_microseconds_total 0",
                             "sipvault_writer_backpressure_active 0",
                             "sipvault_writer_queue_rows 0",
                             "sipvault_writer_rows_written_total{table=\"sip_messages\"} 3",
                             "sipvault_writer_rows_written_total{table=\"sip_rejects\"} 0",
                             "sipvault_writer_rows_written_total{table=\"hep_other\"} 0",
                             "sipvault_writer_rows_written_total{table=\"sip_qos\"} 0",
                             "sipvault_writer_insert_batches_total 0",
                             "sipvault_writer_insert_latency_microseconds_total 0",
                             "sipvault_writer_insert_latency_last_microseconds 0",
                             "sipvault_writer_insert_latency_max_microseconds 0",
                             "sipvault_writer_insert_errors_total 0",
                             "sipvault_writer_insert_retries_total 0",
                             "sipvault_writer_db_connects_total 0",
                             "sipvault_writer_db_up 0",
                             "sipvault_writer_rows_skipped_total 0",
                             "sipvault_writer_rows_dropped_total{reason=\"db_rejected\"} 0",
                             "sipvault_writer_rows_dropped_total{reason=\"shutdown_db_down\"} 0",
                             "sipvault_writer_spool_appended_batches_total 0",
                             "sipvault_writer_spool_appended_rows_total 0",
                             "sipvault_writer_spool_appended_bytes_total 0",
                             "sipvault_writer_spool_replayed_batches_total 0",
                             "sipvault_writer_spool_replayed_rows_total 0",
                             "sipvault_writer_spool_bytes 0",
                             "sipvault_writer_spool_records 2",
                             "sipvault_writer_spool_max_bytes 0",
                             "sipvault_writer_spool_corrupt_records_total 0",
                             "sipvault_writer_spool_corrupt_bytes_total 0",
                             "sipvault_writer_spool_full_total 0",
                             "sipvault_writer_spool_errors_total 0",
                             "sipvault_writer_duplicates_dropped_total 0",
                             "sipvault_writer_dedup_evictions_total 0",
                             "sipvault_writer_dedup_entries 0",
                             "sipvault_writer_acks_published_total 0",
                             "sipvault_writer_partitions_created_total 0",
                             "sipvault_writer_partitions_dropped_total 0",
                             "sipvault_writer_partition_maintenance_errors_total 0"}) {
    INFO(series);
    const std::string line = std::string("\n") + series + "\n";
    CHECK(text.find(line) != std::string::npos);
    CHECK(text.find(line, text.find(line) + 1) == std::string::npos);  // once
  }
}
