#include "api/qos_store.h"

#include <algorithm>
#include <cstdlib>
#include <cmath>

#include "api/row_cells.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr size_t kMaxInList = 128;

constexpr std::string_view kQosColumns =
    "id, capture_us, call_id_hash, call_id, source, report_type, direction, src_ip, dst_ip, src_port, dst_port, "
    "ssrc, reporter_ssrc, packets, lost, highest_seq, fraction_lost, jitter_ms, rtt_ms, mos, codec, capture_id, "
    "node";

DbError badRow() { return DbError{0, "", "unexpected row shape from sip_qos"}; }

// A FLOAT cell: NULL -> nullopt (true); text that is not a finite number -> false.
bool readDouble(const std::optional<std::string>& cell, std::optional<double>& out) {
  out.reset();
  if (!cell) return true;
  if (cell->empty() || cell->size() > 64) return false;
  char* end = nullptr;
  const double v = std::strtod(cell->c_str(), &end);
  if (end != cell->c_str() + cell->size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool readSigned(const std::optional<std::string>& cell, std::optional<int64_t>& out) {
  out.reset();
  if (!cell) return true;
  if (cell->empty() || cell->size() > 20) return false;
  char* end = nullptr;
  const long long v = std::strtoll(cell->c_str(), &end, 10);
  if (end != cell->c_str() + cell->size()) return false;
  out = v;
  return true;
}

template <typename T>
bool readOptional(const std::optional<std::string>& cell, std::optional<T>& out) {
  out.reset();
  if (!cell) return true;
  T v{};
  if (!readNumber(cell, v)) return false;
  out = v;
  return true;
}

std::optional<QosRecord> recordOf(const DbRow& row) {
  QosRecord r;
  if (row.size() != 23) return std::nullopt;
  const bool ok = readNumber(row[0], r.id) && readNumber(row[1], r.capture_us) && readNumber(row[2], r.call_id_hash) &&
                  readText(row[3], r.call_id) && readNumber(row[4], r.source) && readNumber(row[5], r.report_type) &&
                  readNumber(row[6], r.direction) && readText(row[7], r.src_ip) && readText(row[8], r.dst_ip) &&
                  readNumber(row[9], r.src_port) && readNumber(row[10], r.dst_port) && readNumber(row[11], r.ssrc) &&
                  readNumber(row[12], r.reporter_ssrc) && readOptional(row[13], r.packets) &&
                  readSigned(row[14], r.lost) && readOptional(row[15], r.highest_seq) &&
                  readDouble(row[16], r.fraction_lost) && readDouble(row[17], r.jitter_ms) &&
                  readDouble(row[18], r.rtt_ms) && readDouble(row[19], r.mos) && readText(row[20], r.codec) &&
                  readNumber(row[21], r.capture_id) && readText(row[22], r.node);
  if (!ok) return std::nullopt;
  return r;
}

// "?" placeholders for a padded IN list of call keys (a handful of statement texts).
void hashList(SqlQuery& q, std::span<const CallRef> chunk) {
  size_t padded = 1;
  while (padded < chunk.size()) padded *= 2;
  for (size_t i = 0; i < padded; ++i) q.text(i ? ", " : "").number(chunk[std::min(i, chunk.size() - 1)].hash);
}

}  // namespace

SqlQuery QosStore::shardCondition() const { return shards_ ? shards_->coverage().condition("") : SqlQuery(); }

bool QosStore::fetch(const SqlQuery& q, std::vector<QosRecord>& out, DbError& error) {
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    auto r = recordOf(row);
    if (!r) {
      error = badRow();
      return false;
    }
    out.push_back(std::move(*r));
  }
  return true;
}

bool QosStore::fetchOrdered(SqlQuery q, uint64_t room, std::vector<QosRecord>& out, bool& truncated,
                            DbError& error) {
  // One row more than there is room for tells a cut from an exact fit.
  q.append(shardCondition()).text(" ORDER BY capture_us, id LIMIT ").number(room + 1);
  if (!fetch(q, out, error)) return false;
  if (out.size() > room) {
    truncated = true;
    out.resize(room);
  }
  return true;
}

bool QosStore::byCalls(uint64_t from_us, uint64_t to_us, std::span<const CallRef> calls, uint64_t max_rows,
                       std::vector<QosRecord>& out, bool& truncated, DbError& error) {
  std::vector<QosRecord> found;
  for (size_t start = 0; start < calls.size(); start += kMaxInList) {
    const uint64_t room = std::min(max_rows > found.size() ? max_rows - found.size() : 0, kMaxRowsPerStatement);
    if (room == 0) {
      truncated = true;
      break;
    }
    const auto chunk = calls.subspan(start, std::min(kMaxInList, calls.size() - start));
    SqlQuery q;
    q.text("SELECT ").text(kQosColumns).text(" FROM sip_qos WHERE capture_us BETWEEN ").number(from_us);
    q.text(" AND ").number(to_us).text(" AND call_id_hash IN (");
    hashList(q, chunk);
    q.text(")");
    std::vector<QosRecord> rows;
    if (!fetchOrdered(q, room, rows, truncated, error)) return false;
    for (QosRecord& r : rows) {
      // The key narrows; the stored Call-ID decides (two Call-IDs may share a key).
      const bool ours = std::any_of(chunk.begin(), chunk.end(), [&](const CallRef& c) {
        return c.hash == r.call_id_hash && c.stored == r.call_id;
      });
      if (ours) found.push_back(std::move(r));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const QosRecord& a, const QosRecord& b) {
    return a.capture_us != b.capture_us ? a.capture_us < b.capture_us : a.id < b.id;
  });
  out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  return true;
}

bool QosStore::fromAddresses(uint64_t from_us, uint64_t to_us, std::span<const MediaAddress> sources,
                             uint64_t max_rows, std::vector<QosRecord>& out, bool& truncated, DbError& error) {
  if (sources.empty()) return true;
  const uint64_t room = std::min(max_rows, kMaxRowsPerStatement);
  if (room == 0) {
    truncated = true;
    return true;
  }
  SqlQuery q;
  q.text("SELECT ").text(kQosColumns).text(" FROM sip_qos WHERE capture_us BETWEEN ").number(from_us);
  q.text(" AND ").number(to_us).text(" AND call_id_hash = 0 AND (");
  for (size_t i = 0; i < sources.size(); ++i) {
    q.text(i ? " OR " : "").text("(src_ip = ").bytes(sources[i].ip).text(" AND src_port = ").number(sources[i].port);
    q.text(")");
  }
  q.text(")");
  std::vector<QosRecord> rows;
  if (!fetchOrdered(q, room, rows, truncated, error)) return false;
  out.insert(out.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  return true;
}

bool QosStore::countUncorrelated(uint64_t from_us, uint64_t to_us, uint64_t cap, uint64_t& count, DbError& error) {
  SqlQuery q;
  q.text("SELECT COUNT(*) FROM (SELECT 1 FROM sip_qos WHERE capture_us BETWEEN ").number(from_us);
  q.text(" AND ").number(to_us).text(" AND call_id_hash = 0").append(shardCondition());
  q.text(" LIMIT ").number(cap).text(") AS u");
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  if (rows.size() != 1 || rows[0].size() != 1 || !readNumber(rows[0][0], count)) {
    error = badRow();
    return false;
  }
  return true;
}

bool QosStore::worstByCalls(uint64_t from_us, uint64_t to_us, std::span<const CallRef> calls,
                            std::map<CallRef, QosWorst>& out, DbError& error) {
  for (size_t start = 0; start < calls.size(); start += kMaxInList) {
    const auto chunk = calls.subspan(start, std::min(kMaxInList, calls.size() - start));
    SqlQuery q;
    q.text("SELECT call_id_hash, call_id, MIN(mos), MAX(fraction_lost) FROM sip_qos WHERE capture_us BETWEEN ");
    q.number(from_us).text(" AND ").number(to_us).text(" AND call_id_hash IN (");
    hashList(q, chunk);
    q.text(")").append(shardCondition()).text(" GROUP BY call_id_hash, call_id LIMIT ").number(kMaxRowsPerStatement);
    DbRows rows;
    if (!pool_.query(q, rows, error)) return false;
    for (const DbRow& row : rows) {
      CallRef ref;
      QosWorst worst;
      if (row.size() != 4 || !readNumber(row[0], ref.hash) || !readText(row[1], ref.stored) ||
          !readDouble(row[2], worst.mos) || !readDouble(row[3], worst.fraction_lost)) {
        error = badRow();
        return false;
      }
      if (std::any_of(chunk.begin(), chunk.end(), [&](const CallRef& c) { return c == ref; })) out[ref] = worst;
    }
  }
  return true;
}

}  // namespace sipvault::api
