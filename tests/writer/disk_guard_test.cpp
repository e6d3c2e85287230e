// The disk guard for real: the test's own MariaDB keeps its datadir on a small ext4 filesystem
// (a loop-mounted image this test creates), a WriterService fills it hour by hour, and the guard
// must drop the oldest hours of the least important class before the disk fills. Everything
// the guard did not drop is still there, and the server never reported a full disk.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "common/bus.h"
#include "tests/support/test_database.h"
#include "tests/support/test_files.h"
#include "tests/writer/writer_corpus.h"
#include "tests/writer/writer_test_util.h"
#include "writer/writer_service.h"

using namespace sipvault;
using namespace sipvault::writer;
using namespace sipvault::store;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kHour08 = 1795672800ull * 1000000;  // 2026-11-26 06:00 UTC (any whole hour does)

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// A small ext4 filesystem mounted at dir/mnt from an image file; unmounted and removed on exit,
// also when a REQUIRE fails (the MariaDB on it is stopped first).
class SmallFilesystem {
 public:
  SmallFilesystem(std::filesystem::path dir, int megabytes) : dir_(std::move(dir)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(mount_point());
    image_ = dir_ / "fs.img";
    ok_ = sh("truncate -s " + std::to_string(megabytes) + "M " + image_.string()) &&
          sh("mkfs.ext4 -q -F " + image_.string()) &&
          sh("mount -o loop " + image_.string() + " " + mount_point().string());
    mounted_ = ok_;
  }
  ~SmallFilesystem() {
    if (!server_.empty()) sh(std::string(SIPVAULT_SOURCE_DIR) + "/deploy/mariadb.sh stop " + server_);
    if (mounted_) sh("umount " + mount_point().string()) || sh("umount -l " + mount_point().string());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::filesystem::path mount_point() const { return dir_ / "mnt"; }
  void ownsServer(const std::string& server_dir) { server_ = server_dir; }

 private:
  std::filesystem::path dir_, image_;
  std::string server_;
  bool ok_ = false, mounted_ = false;
};

// A SIP message with an incompressible body, so every row costs real disk (page compression and
// LZ4 would otherwise shrink repeated test messages to nothing).
std::string bulkyMessage(std::mt19937_64& rng, size_t n) {
  std::string body(2048, '\0');
  for (char& c : body) c = static_cast<char>('!' + rng() % 90);
  return "MESSAGE sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK" + std::to_string(n) +
         "\r\nFrom: <sip:alice@192.0.2.10>;tag=a" + std::to_string(n) + "\r\nTo: <sip:bob@192.0.2.20>\r\nCall-ID: dg-" +
         std::to_string(n) + "@test\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("The disk guard drops the oldest hours of the least important class before MariaDB's disk fills",
          "[writer][disk_guard][db]") {
  if (geteuid() != 0) {
    WARN("needs root for mount -o loop: not run");
    return;
  }
  SmallFilesystem fs(std::filesystem::path(SIPVAULT_BINARY_DIR) / ("test-disk-guard-" + std::to_string(getpid())), 400);
  REQUIRE(fs.ok());
  const std::string server_dir = (fs.mount_point() / "mariadb").string();
  const int port = test::freeTcpPort();
  fs.ownsServer(server_dir);
  REQUIRE(sh("SIPVAULT_MARIADB_LOG_FILE_SIZE=16M SIPVAULT_MARIADB_BUFFER_POOL=32M " + std::string(SIPVAULT_SOURCE_DIR) +
             "/deploy/mariadb.sh start " + server_dir + " " + std::to_string(port)));

  WriterOptions o;
  o.db = test::testServerOptions();
  o.db.socket.clear();
  o.db.port = static_cast<uint16_t>(port);
  o.db.name = "sipvault";
  o.listen = "bind:tcp://127.0.0.1:*";
  o.dedup.window_us = 0;
  o.batch.batch_rows = 500;
  o.partitions.interval = 1s;
  o.partitions.ahead = std::chrono::hours(12);
  o.disk_guard.interval = 1s;
  o.disk_guard.datadir = server_dir;  // a path on the small filesystem
  o.disk_guard.min_free_percent = 0;
  const auto start_space = measureFs(server_dir);
  REQUIRE(start_space);
  // Let the test use ~110 MB of the filesystem, then the guard has to make room. The rows take
  // ~80 MB; InnoDB's system tablespace (ibdata1: undo logs) grows by about as much again while
  // they are written and is never given back by dropping partitions (docs/operations.md).
  o.disk_guard.min_free_bytes = start_space->free_bytes - (110ull << 20);
  std::atomic<uint64_t> now{kHour08 + 5 * 60 * 1000000ull};

  MetricsRegistry registry;
  WriterMetrics metrics(registry);
  WriterService service(o, metrics, Log::get("disk-guard-test"), [&] { return now.load(); });
  auto failure = service.start();
  REQUIRE_FALSE(failure);
  zmq::context_t ctx(1);
  BusSocket push(ctx, BusSocket::Kind::Push, {{false, service.boundAddresses().at(0)}}, 10);
  DbError open_error;
  auto db = DbConnection::open(o.db, open_error);
  REQUIRE(db);
  auto count = [&](const std::string& sql) {
    DbError e;
    auto v = db->queryValue(sql, e);
    return v ? std::stoull(*v) : 0ull;
  };
  // The maintenance round at start prepares 06:00 + 12 h for every class.
  for (int i = 0; i < 100 && count("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = "
                                   "'sipvault' AND TABLE_NAME = 'sip_messages'") < 3 * 15;
       ++i)
    std::this_thread::sleep_for(100ms);

  // Hour by hour: 2,500 calls and 2,500 registrations (~5 MB each on disk), then the clock moves on
  // so the hour is complete and may be dropped.
  std::mt19937_64 rng(14);
  std::map<std::pair<int, int>, uint64_t> sent;  // (class, hour) -> rows
  uint64_t sequence = 0, n = 0;
  constexpr int kHours = 8;
  for (int hour = 0; hour < kHours; ++hour) {
    now = kHour08 + hour * kHourUs + 5 * 60 * 1000000ull;
    for (int batch = 0; batch < 10; ++batch) {
      std::vector<wire::SipRecord> records;
      for (int i = 0; i < 500; ++i, ++n) {
        const uint64_t t = kHour08 + hour * kHourUs + n % (50 * 60) * 1000000ull;
        wire::SipRecord r = test::sipRecordFor(bulkyMessage(rng, n), t);
        r.set_storage_class(static_cast<uint32_t>(i % 2));  // calls, registrations
        ++sent[{i % 2, hour}];
        records.push_back(std::move(r));
      }
      REQUIRE(push.send(test::serializeBatch(records, ++sequence), 30s) == SendResult::Sent);
    }
    // Wait until the hour is stored before the clock moves on.
    const uint64_t expected = n;
    for (int i = 0; i < 600 && metrics.insert.rows_sip.value() < expected; ++i) std::this_thread::sleep_for(100ms);
    REQUIRE(metrics.insert.rows_sip.value() == expected);
  }
  now = kHour08 + kHours * kHourUs + 5 * 60 * 1000000ull;
  // The guard measures every second and drops a few partitions per round; on a loaded machine (ctest -j2 in CI)
  // a round can take seconds.
  for (int i = 0; i < 300 && bytesShort(*measureFs(server_dir), o.disk_guard) > 0 &&
                  metrics.service.guard_exhausted.value() == 0;
       ++i)
    std::this_thread::sleep_for(200ms);
  service.stop();

  INFO("dropped " << metrics.service.guard_dropped.value());
  CHECK(metrics.service.guard_dropped.value() > 0);
  CHECK(metrics.service.datadir_free.value() > 0);
  // Enough room again, or the guard said it had nothing left to drop (ibdata1 grew too much).
  CHECK((bytesShort(*measureFs(server_dir), o.disk_guard) == 0 || metrics.service.guard_exhausted.value() > 0));
  // Every hour was stored in full before the clock moved on (REQUIREd above), so an insert that failed was
  // retried and landed; a lock wait against a concurrent DROP PARTITION on a loaded machine is such a retry. A
  // disk-full failure would show in the server log, which is checked below.
  INFO("insert errors (retried) " << metrics.insert.insert_errors.value());
  // What is left: every (class, hour) is either complete or dropped whole, registrations went
  // first (oldest first), and no call hour went while a registration hour of the same age or older
  // was left. (The guard also runs while the hours are written: once every complete registration
  // hour is gone, a complete call hour may go, and the registration hours written after it stay.
  // A registration hour no newer than a dropped call hour was complete whenever that call hour was,
  // and comes first, so it must be gone.)
  int registrations_dropped = 0, calls_dropped = 0;
  int newest_call_dropped = -1, oldest_registration_left = kHours;
  for (const auto& [key, rows] : sent) {
    const auto [cls, hour] = key;
    const uint64_t from = kHour08 + hour * kHourUs;
    const uint64_t stored = count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = " + std::to_string(cls) +
                                  " AND capture_us >= " + std::to_string(from) + " AND capture_us < " +
                                  std::to_string(from + kHourUs));
    INFO("class " << cls << " hour " << hour);
    CHECK((stored == rows || stored == 0));
    if (stored == 0) (cls == 1 ? registrations_dropped : calls_dropped)++;
    if (stored == 0 && cls == 0) newest_call_dropped = std::max(newest_call_dropped, hour);
    if (stored != 0 && cls == 1) oldest_registration_left = std::min(oldest_registration_left, hour);
    if (cls == 1 && stored == 0 && hour > 0)  // oldest first
      CHECK(count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 1 AND capture_us < " +
                  std::to_string(from)) == 0);
  }
  CHECK(registrations_dropped > 0);
  INFO("newest call hour dropped " << newest_call_dropped << ", oldest registration hour left "
                                    << oldest_registration_left);
  CHECK(newest_call_dropped < oldest_registration_left);
  // Also dropped: the empty hours of sip_rejects and hep_other (priority 0) and of class other.
  CHECK(static_cast<uint64_t>(registrations_dropped + calls_dropped) <= metrics.service.guard_dropped.value());
  // The server never ran out of space.
  const std::string log = test::readFile(server_dir + "/mysqld.log");
  CHECK(log.find("is full") == std::string::npos);
  CHECK(log.find("No space left") == std::string::npos);
}
