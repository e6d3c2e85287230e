#include "writer/row_inserter.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <map>
#include <tuple>

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

constexpr size_t kMaxStatementBytes = 4u << 20;  // well under the server's max_allowed_packet
constexpr std::string_view kAddCount = "count = count + VALUES(count)";

template <typename T>
void appendNumber(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A nullable column's value as text: `null_text` for NULL, a FLOAT's that is not finite (the
// converter passes none) as 0.
template <typename T>
void appendOptional(std::string& out, const std::optional<T>& v, std::string_view null_text) {
  if (!v) out += null_text;
  else if constexpr (std::is_floating_point_v<T>) appendNumber(out, std::isfinite(*v) ? *v : 0.0);
  else appendNumber(out, *v);
}

// LOAD DATA text: FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'.
// Bytes that would end a field or a line, the escape itself and NUL are backslash-escaped.
struct TsvEncoder {
  std::string& out;
  bool first = true;

  void sep() {
    if (!first) out += '\t';
    first = false;
  }
  void number(uint64_t v) {
    sep();
    appendNumber(out, v);
  }
  // LOAD DATA reads \N as NULL.
  template <typename T>
  void optional(const std::optional<T>& v) {
    sep();
    appendOptional(out, v, "\\N");
  }
  void optionalNumber(std::optional<uint64_t> v) { optional(v); }
  void optionalInteger(std::optional<int64_t> v) { optional(v); }
  void optionalReal(std::optional<double> v) { optional(v); }
  void bytes(std::string_view s) {
    sep();
    static constexpr std::array<char, 256> kEscape = [] {
      std::array<char, 256> t{};
      t[0] = '0';
      t['\t'] = 't';
      t['\n'] = 'n';
      t['\r'] = 'r';
      t['\\'] = '\\';
      return t;
    }();
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const char esc = kEscape[static_cast<uint8_t>(s[i])];
      if (esc == 0) continue;
      out.append(s.data() + run, i - run);
      out += '\\';
      out += esc;
      run = i + 1;
    }
    out.append(s.data() + run, s.size() - run);
  }
  void endRow() {
    out += '\n';
    first = true;
  }
};

// INSERT ... VALUES text: (v,v,...) tuples.
struct ValuesEncoder {
  std::string& out;
  bool first = true;

  void sep() {
    out += first ? '(' : ',';
    first = false;
  }
  void number(uint64_t v) {
    sep();
    appendNumber(out, v);
  }
  template <typename T>
  void optional(const std::optional<T>& v) {
    sep();
    appendOptional(out, v, "NULL");
  }
  void optionalNumber(std::optional<uint64_t> v) { optional(v); }
  void optionalInteger(std::optional<int64_t> v) { optional(v); }
  void optionalReal(std::optional<double> v) { optional(v); }
  void bytes(std::string_view s) {
    sep();
    DbConnection::appendLiteral(out, s);
  }
  void endRow() {
    out += ')';
    first = true;
  }
};

// Array-binding values: one DbBulkColumn per column, views into the rows (nothing copied).
struct BulkEncoder {
  std::vector<DbBulkColumn>& columns;
  size_t column = 0;
  size_t request_bytes = 0;  // an estimate of the request size, kept well under max_allowed_packet

  DbBulkColumn& next(bool is_bytes) {
    if (column == columns.size()) columns.emplace_back().is_bytes = is_bytes;
    return columns[column++];
  }
  void number(uint64_t v) {
    next(false).numbers.push_back(v);
    request_bytes += 9;
  }
  // A nullable number: the column carries a NULL flag per row; `bits` is the value's 64 bits.
  void nullable(bool present, uint64_t bits, bool is_signed, bool is_real) {
    DbBulkColumn& c = next(false);
    c.is_signed = is_signed;
    c.is_real = is_real;
    c.numbers.push_back(present ? bits : 0);
    c.nulls.push_back(present ? 0 : 1);
    request_bytes += 10;
  }
  void optionalNumber(std::optional<uint64_t> v) { nullable(v.has_value(), v.value_or(0), false, false); }
  void optionalInteger(std::optional<int64_t> v) {
    nullable(v.has_value(), static_cast<uint64_t>(v.value_or(0)), true, false);
  }
  void optionalReal(std::optional<double> v) {
    nullable(v.has_value(), std::bit_cast<uint64_t>(v && std::isfinite(*v) ? *v : 0.0), false, true);
  }
  void bytes(std::string_view s) {
    DbBulkColumn& c = next(true);
    c.data.push_back(s.data());
    c.lengths.push_back(static_cast<unsigned long>(s.size()));
    request_bytes += s.size() + 4;
  }
  void endRow() { column = 0; }
};

bool writeAll(int fd, std::string_view data) {
  if (ftruncate(fd, 0) != 0) return false;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::optional<InsertMethod> parseInsertMethod(std::string_view text) {
  if (text == "bulk") return InsertMethod::Bulk;
  if (text == "load_data") return InsertMethod::LoadData;
  if (text == "insert") return InsertMethod::MultiRowInsert;
  return std::nullopt;
}

std::string_view insertMethodName(InsertMethod method) {
  switch (method) {
    case InsertMethod::Bulk: return "bulk";
    case InsertMethod::LoadData: return "load_data";
    case InsertMethod::MultiRowInsert: break;
  }
  return "insert";
}

RowInserter::RowInserter(InsertMethod method, uint16_t shard_id, size_t max_agents_per_minute)
    : method_(method), ids_(shard_id), minute_stats_(max_agents_per_minute) {
  if (method_ == InsertMethod::LoadData) {
    memfd_ = memfd_create("sipvault-writer-load", MFD_CLOEXEC);
    // The client library opens the memfd by its /proc path; without /proc, fall back.
    if (memfd_ >= 0 && access(("/proc/self/fd/" + std::to_string(memfd_)).c_str(), R_OK) != 0) {
      close(memfd_);
      memfd_ = -1;
    }
    if (memfd_ < 0) method_ = InsertMethod::MultiRowInsert;
  }
}

RowInserter::~RowInserter() {
  if (memfd_ >= 0) close(memfd_);
}

template <typename Row>
bool RowInserter::loadTable(DbConnection& db, std::string_view table, std::string_view columns,
                            const std::vector<Row>& rows, DbError& error, uint64_t& rows_skipped) {
  if (rows.empty()) return true;
  buffer_.clear();
  TsvEncoder enc{buffer_};
  for (const Row& r : rows) encodeRow(r, enc);
  if (!writeAll(memfd_, buffer_)) {
    error = DbError{0, "", "cannot write the LOAD DATA buffer to a memfd"};
    return false;
  }
  std::string sql = "LOAD DATA LOCAL INFILE '/proc/self/fd/" + std::to_string(memfd_) + "' INTO TABLE ";
  sql += table;
  sql += " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (";
  sql += columns;
  sql += ')';
  uint64_t affected = 0;
  if (!db.execute(sql, error, &affected)) return false;
  if (affected < rows.size()) rows_skipped += rows.size() - affected;
  return true;
}

template <typename Row>
bool RowInserter::bulkTable(DbConnection& db, std::string_view table, std::string_view columns,
                            const std::vector<Row>& rows, std::vector<DbBulkColumn>& values, DbError& error,
                            uint64_t& rows_skipped) {
  if (rows.empty()) return true;
  std::string sql = "INSERT INTO ";
  sql += table;
  sql += " (";
  sql += columns;
  sql += ") VALUES (";
  for (size_t i = 0, n = static_cast<size_t>(std::count(columns.begin(), columns.end(), ',')) + 1; i < n; ++i)
    sql += i ? ",?" : "?";
  sql += ')';
  size_t i = 0;
  while (i < rows.size()) {
    for (DbBulkColumn& c : values) c.clear();
    BulkEncoder enc{values};
    size_t n = 0;
    for (; i < rows.size() && enc.request_bytes < kMaxStatementBytes; ++i, ++n) encodeRow(rows[i], enc);
    uint64_t affected = 0;
    if (!db.executeBulk(sql, values, n, error, &affected)) return false;
    if (affected < n) rows_skipped += n - affected;
  }
  return true;
}

template <typename Row>
bool RowInserter::insertTable(DbConnection& db, std::string_view table, std::string_view columns,
                              const std::vector<Row>& rows, DbError& error) {
  size_t i = 0;
  while (i < rows.size()) {
    buffer_.clear();
    buffer_ += "INSERT INTO ";
    buffer_ += table;
    buffer_ += " (";
    buffer_ += columns;
    buffer_ += ") VALUES ";
    ValuesEncoder enc{buffer_};
    for (size_t n = 0; i < rows.size() && buffer_.size() < kMaxStatementBytes; ++i, ++n) {
      if (n) buffer_ += ',';
      encodeRow(rows[i], enc);
    }
    if (!db.execute(buffer_, error)) return false;
  }
  return true;
}

template <typename Row>
bool RowInserter::upsert(DbConnection& db, std::string_view table, std::string_view columns,
                         const std::vector<Row>& rows, std::string_view on_duplicate, DbError& error) {
  size_t i = 0;
  while (i < rows.size()) {
    buffer_.clear();
    buffer_ += "INSERT INTO ";
    buffer_ += table;
    buffer_ += " (";
    buffer_ += columns;
    buffer_ += ") VALUES ";
    ValuesEncoder enc{buffer_};
    for (size_t n = 0; i < rows.size() && buffer_.size() < kMaxStatementBytes; ++i, ++n) {
      if (n) buffer_ += ',';
      encodeRow(rows[i], enc);
    }
    buffer_ += " ON DUPLICATE KEY UPDATE ";
    buffer_ += on_duplicate;
    if (!db.execute(buffer_, error)) return false;
  }
  return true;
}

bool RowInserter::addSummaries(DbConnection& db, const std::vector<SummaryRow>& rows, DbError& error) {
  if (rows.empty()) return true;
  // Add up equal keys first: one row per key and statement, and the upsert's cost stays per key.
  using Key = std::tuple<uint64_t, std::string_view, std::string_view, uint16_t, std::string_view, uint16_t>;
  std::map<Key, uint64_t> counts;
  for (const SummaryRow& r : rows) counts[Key{r.minute_us, r.src_ip, r.dst_ip, r.dst_port, r.method, r.status}] += r.count;
  std::vector<SummaryRow> summed;
  summed.reserve(counts.size());
  for (const auto& [key, count] : counts) {
    const auto& [minute, src, dst, port, method, status] = key;
    summed.push_back(
        SummaryRow{minute, std::string(src), std::string(dst), port, std::string(method), status, count});
  }
  return upsert(db, "sip_summaries", kSummaryColumns, summed, kAddCount, error);
}

bool RowInserter::addMinuteStats(DbConnection& db, const std::vector<SipMessageRow>& messages, DbError& error) {
  if (messages.empty()) return true;
  minute_stats_.aggregate(messages, minute_rows_);
  MinuteStatsAggregator::sumHours(minute_rows_, hour_rows_);
  return upsert(db, "sip_minute_stats", kMinuteStatColumns, minute_rows_, kAddCount, error) &&
         upsert(db, "sip_hour_stats", kHourStatColumns, hour_rows_, kAddCount, error);
}

bool RowInserter::addCallKeys(DbConnection& db, const std::vector<SipMessageRow>& messages, DbError& error) {
  call_keys_.collect(messages, call_key_rows_);
  return upsert(db, "sip_call_keys", kCallKeyColumns, call_key_rows_, "call_id_hash = call_id_hash", error);
}

bool RowInserter::insert(DbConnection& db, RowBatch& batch, DbError& error, uint64_t& rows_skipped) {
  rows_skipped = 0;
  if (batch.empty()) return true;
  if (!ids_.assign(db, batch, error)) return false;
  // The messages' custom header / link values, keyed by the ids just assigned; same transaction.
  header_rows_.clear();
  appendHeaderRows(batch.messages, header_rows_);
  if (!db.execute("START TRANSACTION", error)) return false;
  bool ok;
  if (method_ == InsertMethod::Bulk) {
    ok = bulkTable(db, "sip_messages", kSipMessageColumns, batch.messages, bulk_values_[0], error, rows_skipped) &&
         bulkTable(db, "sip_headers", kSipHeaderColumns, header_rows_, bulk_values_[3], error, rows_skipped) &&
         bulkTable(db, "sip_rejects", kRejectColumns, batch.rejects, bulk_values_[1], error, rows_skipped) &&
         bulkTable(db, "hep_other", kOtherColumns, batch.others, bulk_values_[2], error, rows_skipped) &&
         bulkTable(db, "sip_qos", kQosColumns, batch.qos, bulk_values_[4], error, rows_skipped);
  } else if (method_ == InsertMethod::LoadData) {
    ok = loadTable(db, "sip_messages", kSipMessageColumns, batch.messages, error, rows_skipped) &&
         loadTable(db, "sip_headers", kSipHeaderColumns, header_rows_, error, rows_skipped) &&
         loadTable(db, "sip_rejects", kRejectColumns, batch.rejects, error, rows_skipped) &&
         loadTable(db, "hep_other", kOtherColumns, batch.others, error, rows_skipped) &&
         loadTable(db, "sip_qos", kQosColumns, batch.qos, error, rows_skipped);
  } else {
    ok = insertTable(db, "sip_messages", kSipMessageColumns, batch.messages, error) &&
         insertTable(db, "sip_headers", kSipHeaderColumns, header_rows_, error) &&
         insertTable(db, "sip_rejects", kRejectColumns, batch.rejects, error) &&
         insertTable(db, "hep_other", kOtherColumns, batch.others, error) &&
         insertTable(db, "sip_qos", kQosColumns, batch.qos, error);
  }
  ok = ok && addSummaries(db, batch.summaries, error) && addMinuteStats(db, batch.messages, error) &&
       addCallKeys(db, batch.messages, error);
  if (ok && db.execute("COMMIT", error)) {
    call_keys_.remember(call_key_rows_);
    return true;
  }
  DbError ignored;
  if (!error.connectionLost()) (void)db.execute("ROLLBACK", ignored);
  return false;
}

}  // namespace sipvault::writer
