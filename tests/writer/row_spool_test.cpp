#include "writer/row_spool.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/writer/spool_test_dir.h"
#include "tests/writer/writer_corpus.h"

using namespace sipvault::writer;

using namespace sipvault;

namespace {

// Real SIP messages as record payloads (the spool treats them as opaque bytes).
std::vector<std::string> corpusPayloads() {
  std::vector<std::string> out;
  for (const auto& f : test::rfc4475Valid()) out.push_back(f.bytes);
  return out;
}

std::unique_ptr<RowSpool> openSpool(const std::filesystem::path& dir, uint64_t max_bytes = 1ull << 30,
                                    uint64_t segment_bytes = 16ull << 20) {
  std::string error;
  auto spool = RowSpool::open({dir, max_bytes, segment_bytes, std::chrono::milliseconds(0)}, error);
  INFO(error);
  REQUIRE(spool);
  return spool;
}

void appendAll(RowSpool& spool, const std::vector<std::string>& payloads) {
  std::string error;
  for (const auto& p : payloads) REQUIRE(spool.append(p, error) == RowSpool::AppendResult::Appended);
}

// Reads and pops everything left.
std::vector<std::string> drain(RowSpool& spool) {
  std::vector<std::string> out;
  std::string payload, error;
  while (spool.front(payload, error) == RowSpool::ReadResult::Record) {
    out.push_back(payload);
    REQUIRE(spool.pop(error));
  }
  CHECK(error.empty());
  return out;
}

std::vector<std::filesystem::path> segments(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".seg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Overwrites bytes of a file at `offset`.
void patch(const std::filesystem::path& file, uint64_t offset, std::string_view bytes) {
  const int fd = ::open(file.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

constexpr uint64_t kSegmentHeader = 16;  // "SVSPOOL2" + the segment key
constexpr uint64_t kRecordHeader = 12;

// A record as an older writer wrote it, and as a sender can forge it inside a payload: magic,
// length, and the CRC over length + payload with no key.
std::string unkeyedRecord(std::string_view payload) {
  std::string r = "SVR1";
  for (int i = 0; i < 4; ++i) r += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(r.data() + 4), 4);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  for (int i = 0; i < 4; ++i) r += static_cast<char>((crc >> (8 * i)) & 0xff);
  return r + std::string(payload);
}

}  // namespace

TEST_CASE("Row spool gives back every record byte for byte and in order", "[writer][spool]") {
  test::SpoolTestDir dir("roundtrip");
  const auto payloads = corpusPayloads();
  auto spool = openSpool(dir.path());
  CHECK(spool->empty());
  appendAll(*spool, payloads);
  CHECK(spool->records() == payloads.size());
  std::string first, again, error;
  REQUIRE(spool->front(first, error) == RowSpool::ReadResult::Record);
  REQUIRE(spool->front(again, error) == RowSpool::ReadResult::Record);  // front() without pop() repeats
  CHECK(first == again);
  CHECK(drain(*spool) == payloads);
  CHECK(spool->empty());
  CHECK(spool->corruptRecords() == 0);
}

TEST_CASE("Row spool reopened after a restart resumes after the last record read", "[writer][spool]") {
  test::SpoolTestDir dir("reopen");
  const auto payloads = corpusPayloads();
  const size_t half = payloads.size() / 2;
  {
    // Small segments: the records spread over several files and the cursor points into a later one.
    auto spool = openSpool(dir.path(), 1ull << 30, 4096);
    appendAll(*spool, payloads);
    CHECK(segments(dir.path()).size() > 2);
    std::string payload, error;
    for (size_t i = 0; i < half; ++i) {
      REQUIRE(spool->front(payload, error) == RowSpool::ReadResult::Record);
      CHECK(payload == payloads[i]);
      REQUIRE(spool->pop(error));
    }
  }
  auto spool = openSpool(dir.path(), 1ull << 30, 4096);
  CHECK(spool->records() == payloads.size() - half);
  CHECK(spool->recovery().records == payloads.size() - half);
  CHECK_FALSE(spool->recovery().cursor_reset);
  // New records go behind the recovered ones.
  std::string error;
  REQUIRE(spool->append(payloads[0], error) == RowSpool::AppendResult::Appended);
  std::vector<std::string> expected(payloads.begin() + static_cast<long>(half), payloads.end());
  expected.push_back(payloads[0]);
  CHECK(drain(*spool) == expected);
}

TEST_CASE("Row spool uses no disk once everything is read, also after a reopen", "[writer][spool]") {
  test::SpoolTestDir dir("empty");
  const auto payloads = corpusPayloads();
  {
    auto spool = openSpool(dir.path(), 1ull << 30, 4096);
    appendAll(*spool, payloads);
    CHECK(spool->bytes() > 0);
    drain(*spool);
    CHECK(spool->bytes() == 0);
    CHECK(segments(dir.path()).empty());
  }
  auto spool = openSpool(dir.path());
  CHECK(spool->empty());
  std::string payload, error;
  CHECK(spool->front(payload, error) == RowSpool::ReadResult::Empty);
}

TEST_CASE("Row spool cuts off a torn append at reopen, counts it, and appends after the good records",
          "[writer][spool][damage]") {
  test::SpoolTestDir dir("torn");
  const auto payloads = corpusPayloads();
  uint64_t size_before_last = 0;
  {
    auto spool = openSpool(dir.path());
    appendAll(*spool, std::vector<std::string>(payloads.begin(), payloads.end() - 1));
    size_before_last = spool->bytes();
    appendAll(*spool, {payloads.back()});
  }
  // A crash in the middle of the last append: only part of its payload reached the file.
  const auto seg = segments(dir.path()).at(0);
  const uint64_t torn_at = size_before_last + kRecordHeader + payloads.back().size() / 2;
  std::filesystem::resize_file(seg, torn_at);

  auto spool = openSpool(dir.path());
  CHECK(spool->records() == payloads.size() - 1);
  CHECK(spool->recovery().torn_tail_bytes == torn_at - size_before_last);
  CHECK(spool->corruptRecords() == 1);
  CHECK(spool->corruptBytes() == torn_at - size_before_last);
  CHECK(std::filesystem::file_size(seg) == size_before_last);  // cut back to the last good record
  std::string error;
  REQUIRE(spool->append(payloads.back(), error) == RowSpool::AppendResult::Appended);
  CHECK(drain(*spool) == payloads);
}

TEST_CASE("Row spool cuts off a torn record header", "[writer][spool][damage]") {
  test::SpoolTestDir dir("torn_header");
  const auto payloads = corpusPayloads();
  {
    auto spool = openSpool(dir.path());
    appendAll(*spool, {payloads[0], payloads[1]});
  }
  const auto seg = segments(dir.path()).at(0);
  const uint64_t good = std::filesystem::file_size(seg);
  {
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out.write("SVR1\x40", 5);  // 5 of the 12 header bytes
  }
  auto spool = openSpool(dir.path());
  CHECK(spool->records() == 2);
  CHECK(spool->recovery().torn_tail_bytes == 5);
  CHECK(std::filesystem::file_size(seg) == good);
  CHECK(drain(*spool) == std::vector<std::string>{payloads[0], payloads[1]});
}

TEST_CASE("Row spool skips a record whose CRC does not match and counts it", "[writer][spool][damage]") {
  test::SpoolTestDir dir("crc");
  const auto payloads = corpusPayloads();
  {
    auto spool = openSpool(dir.path());
    appendAll(*spool, {payloads[0], payloads[1], payloads[2]});
  }
  // Flip one byte in the middle of the second record's payload.
  const uint64_t second = kSegmentHeader + kRecordHeader + payloads[0].size();
  const auto seg = segments(dir.path()).at(0);
  std::string flipped(1, static_cast<char>(payloads[1][10] ^ 0x20));
  patch(seg, second + kRecordHeader + 10, flipped);

  auto spool = openSpool(dir.path());
  CHECK(spool->recovery().torn_tail_bytes == 0);  // not the tail: found when reading reaches it
  CHECK(drain(*spool) == std::vector<std::string>{payloads[0], payloads[2]});
  CHECK(spool->corruptRecords() == 1);
  CHECK(spool->corruptBytes() == kRecordHeader + payloads[1].size());
}

TEST_CASE("Row spool survives a record length that points past the end of the file", "[writer][spool][damage]") {
  test::SpoolTestDir dir("length");
  const auto payloads = corpusPayloads();
  {
    auto spool = openSpool(dir.path());
    appendAll(*spool, {payloads[0], payloads[1], payloads[2]});
  }
  const auto seg = segments(dir.path()).at(0);
  patch(seg, kSegmentHeader + 4, std::string("\xff\xff\xff\x7f", 4));  // first record: 2 GiB long
  auto spool = openSpool(dir.path());
  CHECK(drain(*spool) == std::vector<std::string>{payloads[1], payloads[2]});
  CHECK(spool->corruptRecords() == 1);
}

TEST_CASE("Row spool deletes and counts a segment whose header is damaged", "[writer][spool][damage]") {
  test::SpoolTestDir dir("bad_segment");
  const auto payloads = corpusPayloads();
  {
    auto spool = openSpool(dir.path(), 1ull << 30, 4096);
    appendAll(*spool, payloads);
  }
  const auto segs = segments(dir.path());
  REQUIRE(segs.size() > 2);
  patch(segs[0], 0, "XXXXXXXX");
  auto spool = openSpool(dir.path(), 1ull << 30, 4096);
  CHECK(spool->recovery().bad_segments == 1);
  CHECK(spool->corruptRecords() == 1);
  CHECK_FALSE(std::filesystem::exists(segs[0]));
  const auto left = drain(*spool);
  REQUIRE_FALSE(left.empty());
  CHECK(left.back() == payloads.back());  // the later segments are intact
  CHECK(left.size() < payloads.size());
}

TEST_CASE("Row spool answers Full at its bound and takes records again once older ones are read",
          "[writer][spool][bound]") {
  test::SpoolTestDir dir("bound");
  const auto payloads = corpusPayloads();
  const uint64_t max_bytes = 16 * 1024;
  auto spool = openSpool(dir.path(), max_bytes, 4096);
  std::string error;
  size_t appended = 0;
  for (size_t i = 0; i < 1000; ++i) {
    const auto r = spool->append(payloads[i % payloads.size()], error);
    if (r == RowSpool::AppendResult::Full) break;
    REQUIRE(r == RowSpool::AppendResult::Appended);
    ++appended;
  }
  REQUIRE(appended > 5);
  REQUIRE(appended < 1000);
  CHECK(spool->bytes() <= max_bytes);
  uint64_t on_disk = 0;
  for (const auto& s : segments(dir.path())) on_disk += std::filesystem::file_size(s);
  CHECK(on_disk == spool->bytes());
  CHECK(spool->records() == appended);
  // Full leaves what is there intact; reading the oldest segment's records frees its file.
  std::string payload;
  const size_t segments_before = segments(dir.path()).size();
  for (size_t i = 0; segments(dir.path()).size() == segments_before; ++i) {
    REQUIRE(spool->front(payload, error) == RowSpool::ReadResult::Record);
    CHECK(payload == payloads[i % payloads.size()]);
    REQUIRE(spool->pop(error));
  }
  CHECK(spool->append(payloads[0], error) == RowSpool::AppendResult::Appended);
}

TEST_CASE("A second process cannot open a spool directory in use", "[writer][spool]") {
  test::SpoolTestDir dir("lock");
  auto first = openSpool(dir.path());
  std::string error;
  CHECK_FALSE(RowSpool::open({dir.path(), 1ull << 30, 16ull << 20, std::chrono::milliseconds(0)}, error));
  CHECK(error.find("in use") != std::string::npos);
  first.reset();
  CHECK(RowSpool::open({dir.path(), 1ull << 30, 16ull << 20, std::chrono::milliseconds(0)}, error));
}

TEST_CASE("Row spool with a damaged cursor replays from the oldest segment rather than lose records",
          "[writer][spool][damage]") {
  test::SpoolTestDir dir("cursor");
  const auto payloads = corpusPayloads();
  {
    auto spool = openSpool(dir.path());
    appendAll(*spool, payloads);
    std::string payload, error;
    REQUIRE(spool->front(payload, error) == RowSpool::ReadResult::Record);
    REQUIRE(spool->pop(error));
  }
  patch(dir.path() / "cursor", 12, "\x01");
  auto spool = openSpool(dir.path());
  CHECK(spool->recovery().cursor_reset);
  CHECK(drain(*spool) == payloads);  // the popped one again: twice, not lost
}

TEST_CASE("Row spool with a sync interval syncs the old segment before it starts a new one",
          "[writer][spool]") {
  test::SpoolTestDir dir("sync_on_roll");
  const auto payloads = corpusPayloads();
  std::string error;
  // An hour between syncs: only the switch to a new segment may sync here.
  auto spool = RowSpool::open({dir.path(), 1ull << 30, 4096, std::chrono::hours(1)}, error);
  REQUIRE(spool);
  appendAll(*spool, {payloads[0]});
  CHECK(spool->dataSyncs() == 0);
  size_t appended = 1;
  while (segments(dir.path()).size() < 2) {
    appendAll(*spool, {payloads[appended % payloads.size()]});
    ++appended;
  }
  // The records acked from the first segment are on disk although the interval has not passed.
  CHECK(spool->dataSyncs() == 1);
  CHECK(drain(*spool).size() == appended);
}

TEST_CASE("Row spool does not take captured bytes that look like a record for one after damage",
          "[writer][spool][damage]") {
  test::SpoolTestDir dir("forged");
  const auto payloads = corpusPayloads();
  // A packet whose bytes carry a well-formed record with the unkeyed CRC, as a sender could send.
  const std::string forged = unkeyedRecord("INSERT forged row");
  const std::string hostile = "captured " + forged + " tail";
  {
    auto spool = openSpool(dir.path());
    appendAll(*spool, {hostile, payloads[1]});
  }
  // Damage the hostile record's magic: reading resyncs and scans into its payload.
  patch(segments(dir.path()).at(0), kSegmentHeader, "XXXX");
  auto spool = openSpool(dir.path());
  CHECK(drain(*spool) == std::vector<std::string>{payloads[1]});
  CHECK(spool->corruptRecords() == 1);
  CHECK(spool->corruptBytes() == kRecordHeader + hostile.size());
}

TEST_CASE("Row spool replays a segment an older writer wrote without a key", "[writer][spool]") {
  test::SpoolTestDir dir("legacy");
  const auto payloads = corpusPayloads();
  {
    std::filesystem::create_directories(dir.path());
    std::ofstream out(dir.path() / "spool-0000000000000001.seg", std::ios::binary);
    REQUIRE(out);
    out << "SVSPOOL1" << unkeyedRecord(payloads[0]) << unkeyedRecord(payloads[1]);
  }
  auto spool = openSpool(dir.path());
  CHECK(spool->recovery().records == 2);
  CHECK(spool->corruptRecords() == 0);
  std::string error;
  REQUIRE(spool->append(payloads[2], error) == RowSpool::AppendResult::Appended);
  CHECK(segments(dir.path()).size() == 2);  // new records go to a new, keyed segment
  CHECK(drain(*spool) == std::vector<std::string>{payloads[0], payloads[1], payloads[2]});
}
