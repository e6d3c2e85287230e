#include <catch2/catch.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>

#include "writer/writer_options.h"

using namespace sipvault::writer;

using namespace sipvault;
using namespace sipvault::store;

TEST_CASE("Writer options default to the documented values", "[writer][options]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  const WriterOptions o = WriterOptions::fromConfig(*c);
  CHECK(o.listen == "bind:tcp://127.0.0.1:5570");
  CHECK(o.batch.batch_rows == 2000);
  CHECK(o.batch.flush == std::chrono::milliseconds(200));
  CHECK(o.partitions.retention == std::chrono::hours(168));
  CHECK(o.partitions.ahead == std::chrono::hours(6));
  CHECK(o.insert_method == InsertMethod::Bulk);
  CHECK(o.raw_codec == RawCodec::Lz4);
  CHECK(o.shard_id == 0);
  CHECK(o.db.port == 3306);
  CHECK(o.db.name == "sipvault");
}

TEST_CASE("Writer options read every writer.* and db.* key", "[writer][options]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  c->setString("writer.listen", "connect:tcp://10.0.0.7:5570");
  c->setString("writer.batch_rows", "500");
  c->setString("writer.flush_ms", "50");
  c->setString("writer.retention_hours", "2");
  c->setString("writer.partitions_ahead_hours", "3");
  c->setString("writer.insert_method", "insert");
  c->setString("writer.raw_codec", "deflate");
  c->setString("writer.shard_id", "65535");
  c->setString("db.host", "db.example");
  c->setString("db.port", "3307");
  c->setString("db.socket", "/run/mysqld/mysqld.sock");
  c->setString("db.user", "u");
  c->setString("db.password", "p");
  c->setString("db.name", "sv");
  const WriterOptions o = WriterOptions::fromConfig(*c);
  CHECK(o.listen == "connect:tcp://10.0.0.7:5570");
  CHECK(o.batch.batch_rows == 500);
  CHECK(o.batch.flush == std::chrono::milliseconds(50));
  CHECK(o.partitions.retention == std::chrono::hours(2));
  CHECK(o.partitions.ahead == std::chrono::hours(3));
  CHECK(o.insert_method == InsertMethod::MultiRowInsert);
  CHECK(o.raw_codec == RawCodec::Deflate);
  CHECK(o.shard_id == 65535);
  CHECK(o.db.host == "db.example");
  CHECK(o.db.port == 3307);
  CHECK(o.db.socket == "/run/mysqld/mysqld.sock");
  CHECK(o.db.user == "u");
  CHECK(o.db.password == "p");
  CHECK(o.db.name == "sv");
}

TEST_CASE("Writer options refuse bad values naming the key", "[writer][options]") {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"writer.batch_rows", "0"},
                                                                            {"writer.retention_hours", "0"},
                                                                            {"db.port", "70000"},
                                                                            {"writer.insert_method", "copy"},
                                                                            {"writer.raw_codec", "zstd"},
                                                                            {"writer.shard_id", "65536"},
                                                                            {"writer.flush_ms", "soon"}}) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
    c->setString(key, value);
    INFO(key << " = " << value);
    try {
      (void)WriterOptions::fromConfig(*c);
      FAIL("accepted");
    } catch (const Poco::Exception& e) {
      CHECK(e.displayText().find(key.substr(key.find('.') + 1)) != std::string::npos);
    }
  }
}

TEST_CASE("Writer options read the spool, ack and duplicate-window keys, off by default where documented",
          "[writer][options]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  const WriterOptions d = WriterOptions::fromConfig(*c);
  CHECK(d.spool_files.dir.empty());
  CHECK(d.spool_files.max_bytes == 1024ull << 20);
  CHECK(d.spool_files.fsync_interval == std::chrono::milliseconds(0));
  CHECK(d.spool.spool_after == std::chrono::milliseconds(2000));
  CHECK(d.ack_output.empty());
  CHECK(d.dedup.window_us == 250000);
  CHECK(d.dedup.memory_ms == 30000);
  CHECK(d.dedup.max_entries == 1000000);

  c->setString("writer.spool_dir", "/var/spool/sv");
  c->setString("writer.spool_max_mb", "64");
  c->setString("writer.spool_after_ms", "500");
  c->setString("writer.spool_fsync_ms", "100");
  c->setString("writer.retry_initial_ms", "20");
  c->setString("writer.ack_output", "connect:tcp://127.0.0.1:5561");
  c->setString("writer.dedup_window_ms", "0");
  c->setString("writer.dedup_memory_s", "60");
  c->setString("writer.dedup_max_entries", "5000");
  c->setString("writer.stats_max_agents_per_minute", "50");
  const WriterOptions o = WriterOptions::fromConfig(*c);
  CHECK(o.stats_max_agents_per_minute == 50);
  CHECK(o.spool_files.dir == "/var/spool/sv");
  CHECK(o.spool_files.max_bytes == 64ull << 20);
  CHECK(o.spool_files.segment_bytes == 16ull << 20);  // a quarter of the spool at most
  CHECK(o.spool_files.fsync_interval == std::chrono::milliseconds(100));
  CHECK(o.spool.spool_after == std::chrono::milliseconds(500));
  CHECK(o.spool.probe_initial == std::chrono::milliseconds(20));
  CHECK(o.ack_output == "connect:tcp://127.0.0.1:5561");
  CHECK(o.dedup.window_us == 0);
  CHECK(o.dedup.memory_ms == 60000);
  CHECK(o.dedup.max_entries == 5000);

  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"writer.spool_max_mb", "1"},
           {"writer.dedup_window_ms", "-1"},
           {"writer.dedup_memory_s", "0"},
           {"writer.stats_max_agents_per_minute", "0"}}) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> bad(new Poco::Util::MapConfiguration);
    bad->setString(key, value);
    INFO(key << " = " << value);
    CHECK_THROWS_AS(WriterOptions::fromConfig(*bad), Poco::Exception);
  }
}

TEST_CASE("Writer options read a retention per storage class and for summaries", "[writer][options][classes]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  c->setString("writer.retention_hours", "240");
  c->setString("writer.class.registrations.retention_hours", "24");
  c->setString("writer.summary_retention_hours", "2160");
  const WriterOptions o = WriterOptions::fromConfig(*c);
  const auto series = partitionSeries(o.partitions);
  REQUIRE(series.size() == 11);  // 3 classes, sip_rejects, hep_other, sip_headers, sip_qos, sip_summaries,
                                 // sip_minute_stats, sip_call_keys, sip_hour_stats
  CHECK(series[0].layout.past == "p_c0_past");
  CHECK(series[0].retention == std::chrono::hours(240));  // calls: writer.retention_hours
  CHECK(series[1].retention == std::chrono::hours(24));
  CHECK(series[2].layout.future_bound == "MAXVALUE, MAXVALUE");
  CHECK(series[5].table == "sip_headers");  // the longest class retention, like sip_minute_stats
  CHECK(series[5].retention == std::chrono::hours(240));
  CHECK(series[6].table == "sip_qos");  // the calls class's retention
  CHECK(series[6].retention == std::chrono::hours(240));
  CHECK(series[6].layout.past == "p_past");
  CHECK(series[7].table == "sip_summaries");
  CHECK(series[7].retention == std::chrono::hours(2160));
  CHECK(series[8].table == "sip_minute_stats");  // the longest class retention: calls and other, 240
  CHECK(series[8].retention == std::chrono::hours(240));
  CHECK(series[9].table == "sip_call_keys");  // the same
  CHECK(series[9].retention == std::chrono::hours(240));
  CHECK(series[10].table == "sip_hour_stats");  // the same
  CHECK(series[10].retention == std::chrono::hours(240));
  CHECK(o.stats_max_agents_per_minute == 500);
  // The calls class on a retention of its own takes sip_qos with it.
  c->setString("writer.class.calls.retention_hours", "72");
  const auto calls72 = partitionSeries(WriterOptions::fromConfig(*c).partitions);
  CHECK(calls72[0].retention == std::chrono::hours(72));
  CHECK(calls72[6].retention == std::chrono::hours(72));
  CHECK(calls72[3].retention == std::chrono::hours(240));  // sip_rejects: writer.retention_hours
  CHECK(calls72[8].retention == std::chrono::hours(240));  // other: still writer.retention_hours
  c->setString("writer.class.other.retention_hours", "48");
  c->setString("writer.class.registrations.retention_hours", "1000");
  const auto long_registrations = partitionSeries(WriterOptions::fromConfig(*c).partitions);
  CHECK(long_registrations[8].retention == std::chrono::hours(1000));
  CHECK(long_registrations[5].retention == std::chrono::hours(1000));  // sip_headers too
  CHECK(long_registrations[9].retention == std::chrono::hours(1000));  // and the per-call index
  c->setString("writer.class.other.retention_hours", "0");
  CHECK_THROWS_AS(WriterOptions::fromConfig(*c), Poco::InvalidArgumentException);
}
