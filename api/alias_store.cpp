#include "api/alias_store.h"

#include "api/row_cells.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr std::string_view kColumns = "id, name, target, note, created_by, created_us, updated_us";
constexpr int kDuplicateKey = 1062;  // ER_DUP_ENTRY

bool readRow(const DbRow& row, AliasRow& r) {
  std::string target, why;
  if (row.size() != 7 || !readNumber(row[0], r.alias.id) || !readText(row[1], r.alias.name) ||
      !readText(row[2], target) || !readText(row[3], r.note) || !readText(row[4], r.created_by) ||
      !readNumber(row[5], r.created_us) || !readNumber(row[6], r.updated_us))
    return false;
  auto t = parseAliasTarget(target, why);
  if (!t) return false;
  r.alias.target = *t;
  return true;
}

bool readRows(const DbRows& rows, std::vector<AliasRow>& out) {
  out.clear();
  for (const DbRow& row : rows) {
    AliasRow r;
    if (readRow(row, r)) out.push_back(std::move(r));
  }
  return true;
}

}  // namespace

bool AliasStore::list(std::vector<AliasRow>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT ").text(kColumns).text(" FROM api_aliases ORDER BY name, target LIMIT ").number(kMaxAliasRows);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  return readRows(rows, out);
}

bool AliasStore::byId(uint64_t id, std::optional<AliasRow>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT ").text(kColumns).text(" FROM api_aliases WHERE id = ").number(id);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  std::vector<AliasRow> found;
  readRows(rows, found);
  out.reset();
  if (!found.empty()) out = std::move(found.front());
  return true;
}

AliasStore::Result AliasStore::create(AliasRow& row, uint64_t now_us, DbError& error) {
  row.created_us = row.updated_us = now_us;
  const std::string target = formatAliasTarget(row.alias.target);
  SqlQuery ins;
  ins.text("INSERT INTO api_aliases (name, target, note, created_by, created_us, updated_us) VALUES (")
      .bytes(row.alias.name);
  ins.text(", ").bytes(target).text(", ").bytes(row.note).text(", ").bytes(row.created_by);
  ins.text(", ").number(now_us).text(", ").number(now_us).text(")");
  if (!pool_.execute(ins, error)) return error.code == kDuplicateKey ? Result::Duplicate : Result::Error;
  SqlQuery id_q;
  id_q.text("SELECT id FROM api_aliases WHERE target = ").bytes(target);
  DbRows rows;
  if (!pool_.query(id_q, rows, error)) return Result::Error;
  if (rows.size() != 1 || rows[0].size() != 1 || !readNumber(rows[0][0], row.alias.id)) {
    error = DbError{0, "", "unexpected row shape from the database"};
    return Result::Error;
  }
  return Result::Ok;
}

AliasStore::Result AliasStore::update(const AliasRow& row, uint64_t now_us, DbError& error) {
  SqlQuery q;
  q.text("UPDATE api_aliases SET name = ").bytes(row.alias.name);
  q.text(", target = ").bytes(formatAliasTarget(row.alias.target)).text(", note = ").bytes(row.note);
  q.text(", updated_us = ").number(now_us).text(" WHERE id = ").number(row.alias.id);
  uint64_t affected = 0;
  if (!pool_.execute(q, error, &affected)) return error.code == kDuplicateKey ? Result::Duplicate : Result::Error;
  if (affected > 0) return Result::Ok;
  std::optional<AliasRow> existing;  // an UPDATE that changes nothing affects no row either
  if (!byId(row.alias.id, existing, error)) return Result::Error;
  return existing ? Result::Ok : Result::NotFound;
}

AliasStore::Result AliasStore::remove(uint64_t id, DbError& error) {
  SqlQuery q;
  q.text("DELETE FROM api_aliases WHERE id = ").number(id);
  uint64_t affected = 0;
  if (!pool_.execute(q, error, &affected)) return Result::Error;
  return affected > 0 ? Result::Ok : Result::NotFound;
}

}  // namespace sipvault::api
