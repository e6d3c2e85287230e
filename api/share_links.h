#pragma once
// Share links (issue 16): a signed, expiring, read-only link to one call, stored in
// api_share_links (store/sql/003_share_links.sql) so that it can be listed and revoked.
//
// Token layout (URL-safe, fits a path segment):
//
//   svl_<id>_<nonce>.<sig>
//        │    │       └─ base64url(HMAC-SHA256(key, "svl_<id>_<nonce>")), 43 characters
//        │    └───────── base64url(16 random bytes), 22 characters
//        └────────────── the row's id, decimal
//
// The signature lets a forged or altered token be refused before the database is asked; the
// stored SHA-256 of the whole token binds the row to this one token (a new key or a restored row
// cannot revive another). The key is api.share_secret when configured (>= 32 bytes), else 32
// random bytes the first api instance stores in api_secrets ("share_link_hmac") and every
// instance reads, so links survive restarts and work across instances.
//
// Thread-safe (the key is loaded once under a mutex; the rest uses the pool); errors are DbError
// values.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/sql_pool.h"

namespace sipvault::api {

struct ShareLink {
  uint64_t id = 0;
  std::string call_id;   // the call's stored Call-ID (display)
  std::string call_ref;  // encodeCallRef(): names the call exactly
  uint64_t from_us = 0;  // the time range the link shows
  uint64_t to_us = 0;
  std::string note;
  std::string created_by;
  uint64_t created_us = 0;
  uint64_t expires_us = 0;
  uint64_t revoked_us = 0;  // 0 = active
  std::string revoked_by;
};

class ShareLinks {
 public:
  // `configured_secret` empty = the key stored in api_secrets (generated when missing).
  ShareLinks(SqlPool& pool, std::string configured_secret);

  enum class Check { Ok, Invalid, Expired, Revoked, Error };

  // Stores `link` (id and created_us are set here) and returns its token in `token`.
  [[nodiscard]] bool create(ShareLink& link, std::string& token, store::DbError& error);
  // The link a token names: Invalid for a malformed, forged or unknown token, Expired / Revoked
  // for one that was valid (a link whose creator was deleted counts as revoked), Error (with `error`) when the database fails.
  [[nodiscard]] Check resolve(std::string_view token, uint64_t now_us, ShareLink& out, store::DbError& error);
  // Links neither revoked nor expired at `now_us` whose creator still exists, newest first; only `created_by`'s when given.
  [[nodiscard]] bool listActive(uint64_t now_us, std::optional<std::string_view> created_by,
                                std::vector<ShareLink>& out, store::DbError& error);
  [[nodiscard]] bool byId(uint64_t id, std::optional<ShareLink>& out, store::DbError& error);
  // Marks the link revoked (a second revoke keeps the first time). False only on a database error.
  [[nodiscard]] bool revoke(uint64_t id, std::string_view by, uint64_t now_us, store::DbError& error);

  // The signature part of a token body ("svl_<id>_<nonce>") under `key`. Pure; for tests too.
  [[nodiscard]] static std::string sign(std::string_view key, std::string_view body);

 private:
  [[nodiscard]] bool key(std::string& out, store::DbError& error);

  SqlPool& pool_;
  std::mutex key_mutex_;
  std::string key_;  // empty until loaded
};

}  // namespace sipvault::api
