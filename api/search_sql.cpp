#include "api/search_sql.h"

#include <algorithm>
#include <cstdio>

#include "proto/storage_class.h"

#include "store/search_key.h"
#include "store/stored_rows.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

void numberMatch(SqlQuery& q, std::string_view column, const NumberMatch& m) {
  if (m.wildcard) {
    q.text(column).text(" LIKE ").bytes(likePattern(m.value, true, false));
  } else {
    appendHashedMatch(q, column, m.value, kUserWidth);
  }
}

// " AND call_id_hash IN (...)": an exact number goes through the per-call index first (its calls
// read before, or a subquery).
void numberCalls(SqlQuery& q, std::initializer_list<CallKeyKind> kinds, const NumberMatch& m, const SearchFilter& f,
                 const SqlQuery& shards) {
  if (m.wildcard) return;  // a pattern has no key: the time range is scanned
  q.text(" AND ");
  if (m.index.calls) appendCallList(q, *m.index.calls);
  else appendCallKeyMatch(q, kinds, searchKey(m.value), f.from_us, f.to_us, shards);
}

// One target on one side ("src" / "dst"): an indexed-free but partition-pruned comparison of the
// raw address bytes (a prefix is the range of its first..last address, same length only).
void aliasTargetSide(SqlQuery& q, const AliasTarget& t, std::string_view side) {
  const std::string ip = std::string(side) + "_ip";
  if (t.kind == AliasTarget::Kind::Endpoint) {
    q.text("(").text(ip).text(" = ").bytes(t.address).text(" AND ").text(side).text("_port = ").number(t.port);
    q.text(")");
  } else if (t.prefix_bits == t.address.size() * 8) {
    q.text(ip).text(" = ").bytes(t.address);
  } else {
    q.text("(LENGTH(").text(ip).text(") = ").number(t.address.size()).text(" AND ").text(ip).text(" BETWEEN ");
    q.bytes(t.firstAddress()).text(" AND ").bytes(t.lastAddress()).text(")");
  }
}

void aliasCondition(SqlQuery& q, const AliasFilter& a) {
  if (!a.resolved || a.targets.empty()) {
    q.text(" AND 0 = 1");  // unresolved: never everything by mistake
    return;
  }
  q.text(" AND (");
  for (size_t i = 0; i < a.targets.size(); ++i) {
    const AliasTarget& t = a.targets[i];
    if (i) q.text(" OR ");
    if (t.kind == AliasTarget::Kind::Capture) {
      q.text("capture_id = ").number(t.capture_id);
    } else if (a.side == AliasFilter::Side::Either) {
      q.text("(");
      aliasTargetSide(q, t, "src");
      q.text(" OR ");
      aliasTargetSide(q, t, "dst");
      q.text(")");
    } else {
      aliasTargetSide(q, t, a.side == AliasFilter::Side::Src ? "src" : "dst");
    }
  }
  q.text(")");
}

}  // namespace

std::string likePattern(std::string_view value, bool star_is_wildcard, bool substring) {
  std::string out;
  bool open_wildcard = substring;  // the pattern currently ends in an unescaped '%'
  if (substring) out += '%';
  for (char c : value) {
    if (c == '*' && star_is_wildcard) {
      if (!open_wildcard) out += '%';  // "4**1" is "4%1"
      open_wildcard = true;
      continue;
    }
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
    open_wildcard = false;
  }
  if (substring && !open_wildcard) out += '%';
  return out;
}

void appendHashedMatch(SqlQuery& q, std::string_view column, std::string_view value, size_t width) {
  q.text(column).text("_hash = ").number(searchKey(value));
  q.text(" AND ").text(column).text(" = ").bytes(value.substr(0, width));
}

namespace {

// "key_hash = ? AND kind IN (...) AND hour_us BETWEEN ? AND ?<shards>": the per-call index rows of
// `key` as one of `kinds` in the whole hours of [from_us, to_us].
void appendCallKeyRows(SqlQuery& q, std::initializer_list<CallKeyKind> kinds, uint64_t key, uint64_t from_us,
                       uint64_t to_us, const SqlQuery& shards) {
  q.text("key_hash = ").number(key).text(" AND kind IN (");
  bool first = true;
  for (CallKeyKind kind : kinds) {
    q.text(first ? "" : ",").number(static_cast<uint8_t>(kind));
    first = false;
  }
  q.text(") AND hour_us BETWEEN ").number(from_us - from_us % kCallKeyHourUs).text(" AND ").number(to_us);
  q.append(shards);
}

}  // namespace

void appendCallKeyMatch(SqlQuery& q, std::initializer_list<CallKeyKind> kinds, uint64_t key, uint64_t from_us,
                        uint64_t to_us, const SqlQuery& shards) {
  q.text("call_id_hash IN (SELECT call_id_hash FROM sip_call_keys WHERE ");
  appendCallKeyRows(q, kinds, key, from_us, to_us, shards);
  q.text(")");
}

SqlQuery callKeyQuery(std::initializer_list<CallKeyKind> kinds, uint64_t key, uint64_t from_us, uint64_t to_us,
                      const SqlQuery& shards, uint64_t limit) {
  SqlQuery q;
  q.text("SELECT DISTINCT call_id_hash, shard_id FROM sip_call_keys WHERE ");
  appendCallKeyRows(q, kinds, key, from_us, to_us, shards);
  q.text(" LIMIT ").number(limit);
  return q;
}

SqlQuery callKeysQuery(std::span<const CallKeyLookup> lookups, const SqlQuery& shards, uint64_t limit) {
  SqlQuery q;
  q.text("SELECT DISTINCT kind, key_hash, call_id_hash, shard_id FROM sip_call_keys WHERE ");
  for (size_t i = 0; i < lookups.size(); ++i) {
    q.text(i ? " OR (" : "(");
    appendCallKeyRows(q, {lookups[i].kind}, lookups[i].key, lookups[i].from_us, lookups[i].to_us, shards);
    q.text(")");
  }
  if (lookups.empty()) q.text("0 = 1");
  q.text(" LIMIT ").number(limit);
  return q;
}

void appendCallList(SqlQuery& q, const std::vector<uint64_t>& calls) {
  if (calls.empty()) {
    q.text("0 = 1");
    return;
  }
  size_t padded = 1;
  while (padded < calls.size()) padded *= 2;
  q.text("call_id_hash IN (");
  for (size_t i = 0; i < padded; ++i) q.text(i ? ", " : "").number(calls[std::min(i, calls.size() - 1)]);
  q.text(")");
}

std::string_view allStorageClasses() {
  static const std::string all = [] {
    std::string s = "storage_class IN (";
    for (size_t i = 0; i < kStorageClassCount; ++i) s += (i ? "," : "") + std::to_string(i);
    return s + ")";
  }();
  return all;
}

void appendMethodStatus(SqlQuery& q, const SearchFilter& f) {
  if (!f.methods.empty()) {
    q.text(" AND method IN (");
    for (size_t i = 0; i < f.methods.size(); ++i) {
      if (i) q.text(", ");
      q.bytes(f.methods[i]);
    }
    q.text(")");
  }
  if (!f.statuses.empty()) {
    q.text(" AND (");
    for (size_t i = 0; i < f.statuses.size(); ++i) {
      if (i) q.text(" OR ");
      const StatusRange& r = f.statuses[i];
      if (r.lo == r.hi) q.text("status = ").number(r.lo);
      else q.text("status BETWEEN ").number(r.lo).text(" AND ").number(r.hi);
    }
    q.text(")");
  }
}

SqlQuery searchCondition(const SearchFilter& f, const SqlQuery& shards) {
  SqlQuery q;
  if (f.storage_classes.empty()) {
    q.text(allStorageClasses());
  } else {
    q.text("storage_class IN (");
    for (size_t i = 0; i < f.storage_classes.size(); ++i) q.text(i ? "," : "").number(f.storage_classes[i]);
    q.text(")");
  }
  q.text(" AND capture_us BETWEEN ").number(f.from_us).text(" AND ").number(f.to_us);
  if (f.call_id && f.call_id->find('*') != std::string::npos) {
    // `*` is a wildcard in a Call-ID too (it also matches a literal '*', which RFC 3261 allows).
    q.text(" AND call_id LIKE ").bytes(likePattern(*f.call_id, true, false));
  } else if (f.call_id) {
    q.text(" AND ");
    appendHashedMatch(q, "call_id", *f.call_id, kCallIdWidth);
  }
  if (f.call_ref) {
    q.text(" AND call_id_hash = ").number(f.call_ref->hash).text(" AND call_id = ").bytes(f.call_ref->stored);
  }
  if (f.from_user) {
    numberCalls(q, {CallKeyKind::FromUser}, *f.from_user, f, shards);
    q.text(" AND ");
    numberMatch(q, "from_user", *f.from_user);
  }
  if (f.to_user) {
    numberCalls(q, {CallKeyKind::ToUser, CallKeyKind::RuriUser}, *f.to_user, f, shards);
    // The B-number is the To user, or the Request-URI user (they differ after a redirect or
    // number translation).
    q.text(" AND ((");
    numberMatch(q, "to_user", *f.to_user);
    q.text(") OR (");
    numberMatch(q, "ruri_user", *f.to_user);
    q.text("))");
  }
  if (f.from_tag) q.text(" AND from_tag = ").bytes(std::string_view(*f.from_tag).substr(0, kTagWidth));
  if (f.to_tag) q.text(" AND to_tag = ").bytes(std::string_view(*f.to_tag).substr(0, kTagWidth));
  appendMethodStatus(q, f);
  // Case-insensitive: both sides read as latin1 (one character per byte, so any stored bytes
  // compare and nothing is lost in a conversion), lower-cased, then compared byte for byte
  // (latin1_bin: no accent folding of the default latin1_swedish_ci).
  if (f.user_agent) {
    q.text(" AND LOWER(CONVERT(user_agent USING latin1)) LIKE LOWER(CONVERT(")
        .bytes(likePattern(*f.user_agent, false, true))
        .text(" USING latin1)) COLLATE latin1_bin");
  }
  if (f.src_ip) q.text(" AND src_ip = ").bytes(*f.src_ip);
  if (f.dst_ip) q.text(" AND dst_ip = ").bytes(*f.dst_ip);
  if (f.ip) q.text(" AND (src_ip = ").bytes(*f.ip).text(" OR dst_ip = ").bytes(*f.ip).text(")");
  if (f.port) q.text(" AND (src_port = ").number(*f.port).text(" OR dst_port = ").number(*f.port).text(")");
  if (f.src_port) q.text(" AND src_port = ").number(*f.src_port);
  if (f.dst_port) q.text(" AND dst_port = ").number(*f.dst_port);
  if (f.ip_proto) q.text(" AND ip_proto = ").number(*f.ip_proto);
  if (f.capture_id) q.text(" AND capture_id = ").number(*f.capture_id);
  for (const HeaderMatch& h : f.headers) {
    // The message keys of the matching header rows (kind 0: custom header fields), inside the same
    // time range: an exact value through ix_value, a pattern by scanning the range's partitions.
    q.text(" AND (capture_us, id) IN (SELECT capture_us, message_id FROM sip_headers WHERE capture_us BETWEEN ")
        .number(f.from_us)
        .text(" AND ")
        .number(f.to_us);
    if (h.value.wildcard) {
      q.text(" AND kind = 0 AND name_hash = ").number(searchKey(h.name)).text(" AND name = ").bytes(h.name);
      q.text(" AND value LIKE ").bytes(likePattern(h.value.value, true, false));
    } else {
      q.text(" AND value_hash = ").number(searchKey(std::string_view(h.value.value).substr(0, kHeaderValueWidth)));
      q.text(" AND name_hash = ").number(searchKey(h.name)).text(" AND kind = 0 AND name = ").bytes(h.name);
      q.text(" AND value = ").bytes(std::string_view(h.value.value).substr(0, kHeaderValueWidth));
    }
    q.append(shards).text(")");
  }
  for (const AliasFilter& a : f.aliases) aliasCondition(q, a);
  return q;
}

SqlQuery mosBelowCondition(uint64_t from_us, uint64_t to_us, double mos_below, const SqlQuery& shards) {
  // The value goes in as a bound decimal text (SqlQuery binds numbers as integers only); it was
  // validated by parseMosBelow, and the server reads it as a DECIMAL(4,2).
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", mos_below);
  SqlQuery q;
  q.text(" AND (call_id_hash, call_id) IN (SELECT call_id_hash, call_id FROM sip_qos WHERE capture_us BETWEEN ");
  q.number(from_us).text(" AND ").number(to_us).text(" AND call_id_hash <> 0 AND mos < CAST(").ascii(text);
  q.text(" AS DECIMAL(4,2))").append(shards).text(")");
  return q;
}

}  // namespace sipvault::api
