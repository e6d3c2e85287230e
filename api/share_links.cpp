#include "api/share_links.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "api/base64.h"
#include "api/password_hash.h"
#include "api/row_cells.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr std::string_view kPrefix = "svl_";
constexpr std::string_view kSecretName = "share_link_hmac";
constexpr size_t kNonceBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr size_t kMaxTokenBytes = 128;
constexpr std::string_view kColumns =
    "id, call_id, call_ref, from_us, to_us, note, created_by, created_us, expires_us, revoked_us, revoked_by";

DbError badRow() { return DbError{0, "", "unexpected row shape from the database"}; }

bool readLink(const DbRow& row, ShareLink& l) {
  return row.size() == 11 && readNumber(row[0], l.id) && readText(row[1], l.call_id) &&
         readText(row[2], l.call_ref) && readNumber(row[3], l.from_us) && readNumber(row[4], l.to_us) &&
         readText(row[5], l.note) && readText(row[6], l.created_by) && readNumber(row[7], l.created_us) &&
         readNumber(row[8], l.expires_us) && readNumber(row[9], l.revoked_us) &&
         readText(row[10], l.revoked_by);
}

}  // namespace

ShareLinks::ShareLinks(SqlPool& pool, std::string configured_secret)
    : pool_(pool), key_(std::move(configured_secret)) {}

std::string ShareLinks::sign(std::string_view key, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool ShareLinks::key(std::string& out, DbError& error) {
  std::lock_guard lock(key_mutex_);
  if (key_.empty()) {
    // First instance wins: INSERT IGNORE keeps an existing key, then everyone reads the stored one.
    auto fresh = randomBytes(kKeyBytes);
    if (!fresh) {
      error = DbError{0, "", "no random bytes for the share link key"};
      return false;
    }
    SqlQuery ins;
    ins.text("INSERT IGNORE INTO api_secrets (name, value, created_us) VALUES (").bytes(kSecretName);
    ins.text(", ").bytes(*fresh).text(", ").number(nowUs()).text(")");
    if (!pool_.execute(ins, error)) return false;
    SqlQuery q;
    q.text("SELECT value FROM api_secrets WHERE name = ").bytes(kSecretName);
    DbRows rows;
    if (!pool_.query(q, rows, error)) return false;
    if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0] || rows[0][0]->size() < kKeyBytes) {
      error = badRow();
      return false;
    }
    key_ = *rows[0][0];
  }
  out = key_;
  return true;
}

bool ShareLinks::create(ShareLink& link, std::string& token, DbError& error) {
  std::string k;
  if (!key(k, error)) return false;
  auto nonce = randomBytes(kNonceBytes);
  if (!nonce) {
    error = DbError{0, "", "no random bytes for the share link"};
    return false;
  }
  link.created_us = nowUs();
  // The row first (for its id), with a placeholder hash unique to it; then the token's hash.
  const std::string placeholder = sha256(*nonce + "placeholder");
  SqlQuery ins;
  ins.text(
         "INSERT INTO api_share_links (token_hash, call_id, call_ref, from_us, to_us, note, created_by, "
         "created_us, expires_us) VALUES (")
      .bytes(placeholder);
  ins.text(", ").bytes(link.call_id).text(", ").bytes(link.call_ref).text(", ").number(link.from_us);
  ins.text(", ").number(link.to_us).text(", ").bytes(link.note).text(", ").bytes(link.created_by);
  ins.text(", ").number(link.created_us).text(", ").number(link.expires_us).text(")");
  if (!pool_.execute(ins, error)) return false;
  SqlQuery id_q;
  id_q.text("SELECT id FROM api_share_links WHERE token_hash = ").bytes(placeholder);
  DbRows rows;
  if (!pool_.query(id_q, rows, error)) return false;
  if (rows.size() != 1 || rows[0].size() != 1 || !readNumber(rows[0][0], link.id)) {
    error = badRow();
    return false;
  }
  const std::string body = std::string(kPrefix) + std::to_string(link.id) + "_" + base64UrlEncode(*nonce);
  std::string t = body + "." + sign(k, body);
  SqlQuery upd;
  upd.text("UPDATE api_share_links SET token_hash = ").bytes(sha256(t)).text(" WHERE id = ").number(link.id);
  if (!pool_.execute(upd, error)) return false;
  token = std::move(t);
  return true;
}

ShareLinks::Check ShareLinks::resolve(std::string_view token, uint64_t now_us, ShareLink& out,
                                      DbError& error) {
  if (token.size() > kMaxTokenBytes || token.substr(0, kPrefix.size()) != kPrefix) return Check::Invalid;
  const size_t dot = token.rfind('.');
  if (dot == std::string_view::npos) return Check::Invalid;
  const std::string_view body = token.substr(0, dot);
  const size_t underscore = body.find('_', kPrefix.size());
  if (underscore == std::string_view::npos) return Check::Invalid;
  uint64_t id = 0;
  const std::string_view id_text = body.substr(kPrefix.size(), underscore - kPrefix.size());
  auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || ptr != id_text.data() + id_text.size() || id_text.empty()) return Check::Invalid;
  std::string k;
  if (!key(k, error)) return Check::Error;
  const std::string expected = sign(k, body);
  const std::string_view given = token.substr(dot + 1);
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
    return Check::Invalid;
  std::optional<ShareLink> link;
  SqlQuery q;
  q.text("SELECT ").text(kColumns).text(" FROM api_share_links WHERE id = ").number(id);
  q.text(" AND token_hash = ").bytes(sha256(token));
  DbRows rows;
  if (!pool_.query(q, rows, error)) return Check::Error;
  if (rows.empty()) return Check::Invalid;
  if (!readLink(rows[0], out)) {
    error = badRow();
    return Check::Error;
  }
  if (out.revoked_us != 0) return Check::Revoked;
  // A deleted creator takes their links along, as their sessions and tokens.
  SqlQuery creator;
  creator.text("SELECT 1 FROM api_users WHERE username = ").bytes(out.created_by);
  DbRows users;
  if (!pool_.query(creator, users, error)) return Check::Error;
  if (users.empty()) return Check::Revoked;
  if (out.expires_us <= now_us) return Check::Expired;
  return Check::Ok;
}

bool ShareLinks::listActive(uint64_t now_us, std::optional<std::string_view> created_by,
                            std::vector<ShareLink>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT ")
      .text(kColumns)
      .text(" FROM api_share_links WHERE revoked_us = 0 AND expires_us > ")
      .number(now_us);
  q.text(" AND created_by IN (SELECT username FROM api_users)");
  if (created_by) q.text(" AND created_by = ").bytes(*created_by);
  q.text(" ORDER BY id DESC LIMIT 10000");
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  out.clear();
  for (const DbRow& row : rows) {
    ShareLink l;
    if (!readLink(row, l)) {
      error = badRow();
      return false;
    }
    out.push_back(std::move(l));
  }
  return true;
}

bool ShareLinks::byId(uint64_t id, std::optional<ShareLink>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT ").text(kColumns).text(" FROM api_share_links WHERE id = ").number(id);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  out.reset();
  if (rows.empty()) return true;
  ShareLink l;
  if (!readLink(rows[0], l)) {
    error = badRow();
    return false;
  }
  out = std::move(l);
  return true;
}

bool ShareLinks::revoke(uint64_t id, std::string_view by, uint64_t now_us, DbError& error) {
  SqlQuery q;
  q.text("UPDATE api_share_links SET revoked_us = ").number(now_us).text(", revoked_by = ").bytes(by);
  q.text(" WHERE id = ").number(id).text(" AND revoked_us = 0");
  return pool_.execute(q, error);
}

}  // namespace sipvault::api
