#pragma once
// One stored SIP message as the api reads it from sip_messages, and its JSON form (the "Message
// object" of api/API_CONTRACT.md). Pure; thread-safe.
//
// kSipMessageReadColumns is the SELECT list fromRow() expects, in order; ...WithRaw adds the
// stored raw message and its flags. Rows come from SqlSession (numbers as decimal text, bytes
// exact). A row that does not fit (wrong column count, a non-number) yields nullopt, never a throw.
//
// JSON: every text value goes through toValidUtf8 (proto/packet_convert.h) and Poco::JSON's
// escaping; the exact bytes of the raw message are only in raw_base64.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/search_filter.h"
#include "store/db_connection.h"
#include "store/stored_rows.h"

namespace sipvault::api {

// One custom header or link value of a message (sip_headers, store/sql/009_sip_headers.sql).
struct HeaderEntry {
  uint8_t kind = store::kHeaderKindField;
  std::string name;
  std::string value;
};

struct MessageRecord {
  uint64_t id = 0;
  uint64_t capture_us = 0;
  std::string method;
  uint16_t status = 0;
  uint64_t cseq = 0;
  std::string call_id, from_user, to_user, ruri_user, from_tag, to_tag, user_agent, via_branch, x_cid,
      correlation_id;
  std::string src_ip, dst_ip;  // 4 or 16 raw bytes, or empty when unknown
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 0;
  uint32_t capture_id = 0;
  std::string node;
  uint16_t vlan = 0;
  uint32_t raw_len = 0;
  uint16_t flags = 0;
  // The writer's search key of the FULL Call-ID (store/search_key.h): `call_id` holds only its
  // first kCallIdWidth bytes, so this is what finds the other messages of a long Call-ID.
  uint64_t call_id_hash = 0;
  // The row's shard (schema v7; 0 on a node that is not a shard): a cluster head sends the
  // statements that follow from this row (its headers) to that shard only (ShardCoverage::on).
  uint16_t shard_id = 0;
  std::optional<std::string> stored_raw;  // the `raw` column as stored (see store/raw_codec.h)
  // Its sip_headers values, when read (MessageStore::attachHeaders): JSON "custom_headers" (fields)
  // and "links" (correlation values); absent from the JSON when not read.
  std::optional<std::vector<HeaderEntry>> extracted;

  [[nodiscard]] bool isRequest() const { return status == 0; }
  // The call this message belongs to.
  [[nodiscard]] CallRef call() const { return {call_id_hash, call_id}; }
  // The original message bytes (inflated); nullopt when not selected or corrupt.
  [[nodiscard]] std::optional<std::string> raw() const;

  // From a row selected with kSipMessageReadColumns (...WithRaw when `with_raw`).
  [[nodiscard]] static std::optional<MessageRecord> fromRow(const store::DbRow& row, bool with_raw);
};

// "192.0.2.1" / "2001:db8::1" from 4 or 16 raw bytes; "" otherwise.
[[nodiscard]] std::string ipText(std::string_view raw);
// "192.0.2.1:5060" / "[2001:db8::1]:5060".
[[nodiscard]] std::string hostText(std::string_view raw_ip, uint16_t port);
// "udp", "tcp", "sctp", or the protocol number as text.
[[nodiscard]] std::string transportName(uint8_t ip_proto);
// Invalid UTF-8 replaced by U+FFFD (proto/packet_convert.h).
[[nodiscard]] std::string jsonText(std::string_view bytes);

// The contract's message object (without raw/headers/body).
[[nodiscard]] Poco::JSON::Object::Ptr messageJson(const MessageRecord& m);
// messageJson plus "raw", "raw_base64", "headers", "body" (the detail endpoint).
[[nodiscard]] Poco::JSON::Object::Ptr messageDetailJson(const MessageRecord& m);

}  // namespace sipvault::api
