#pragma once
// The rows the writer stores, one struct per table (store/sql/001_initial_schema.sql, 009, 012), and the
// single place that lists each table's columns in insert order (encodeRow). Plain values: a
// RowBatch owns all its bytes and may move between threads.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::store {

// Widths of the VARBINARY columns (bytes). Longer values are cut to fit and the row gets
// kFieldTruncated; the *_hash columns and the raw message always keep the full value.
inline constexpr size_t kMethodWidth = 64;
inline constexpr size_t kCallIdWidth = 255;
inline constexpr size_t kUserWidth = 128;  // from_user, to_user, ruri_user
inline constexpr size_t kTagWidth = 128;   // from_tag, to_tag, via_branch
inline constexpr size_t kLongWidth = 255;  // user_agent, x_cid, correlation_id, reject reason
inline constexpr size_t kNodeWidth = 64;
inline constexpr size_t kIpWidth = 16;
inline constexpr size_t kHeaderNameWidth = 64;    // sip_headers.name
inline constexpr size_t kHeaderValueWidth = 255;  // sip_headers.value

// Columns every table has: capture metadata and the stored raw message (see raw_codec.h).
struct PacketColumns {
  uint64_t id = 0;             // issued by the writer just before the insert (row_ids.h); not spooled
  uint64_t capture_us = 0;     // capture time, µs since the Unix epoch (UTC); the partition key
  std::string correlation_id;  // HEP chunk 17
  std::string src_ip;          // 4 (IPv4) or 16 (IPv6) bytes, network order; empty when unknown
  std::string dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 0;      // IANA: 17 UDP, 6 TCP, 132 SCTP
  uint8_t payload_type = 0;  // HEP payload type: 1 SIP, 5 RTCP JSON, 100 log, ...
  uint16_t vlan = 0;
  uint32_t capture_id = 0;  // HEP capture (agent/node) id
  std::string node;         // HEP chunk 19, node / group name
  uint32_t raw_len = 0;     // length of the original message
  uint16_t flags = 0;       // kRawDeflated | kFieldTruncated
  std::string raw;          // encoded per `flags`
};

// One custom header or correlation link value of a message, as the parser extracted it; the
// writer stores it as a HeaderRow (sip_headers) in the message's transaction.
struct HeaderValue {
  uint8_t kind = 0;   // kHeaderKindField or kHeaderKindLink
  std::string name;   // <= kHeaderNameWidth
  std::string value;  // <= kHeaderValueWidth
};

// Table sip_messages: one parsed SIP message.
struct SipMessageRow {
  PacketColumns packet;
  uint8_t storage_class = 0;      // proto/storage_class.h; part of the partition key (008)
  uint64_t call_id_hash = 0;      // searchKey(call_id), full value
  uint64_t from_user_hash = 0;    // searchKey(from_user)
  uint64_t to_user_hash = 0;      // searchKey(to_user)
  uint64_t ruri_user_hash = 0;    // searchKey(ruri_user); 0 on responses
  uint64_t correlation_hash = 0;  // searchKey(correlation_id), or of x_cid when there is none
  std::string method;             // request method, or the CSeq method of a response
  uint16_t status = 0;            // response code; 0 = request
  uint64_t cseq = 0;              // CSeq number
  std::string call_id;
  std::string from_user;
  std::string from_tag;
  std::string to_user;
  std::string to_tag;
  std::string ruri_user;
  std::string user_agent;  // User-Agent, or Server on responses
  std::string via_branch;  // top Via branch
  std::string x_cid;       // X-CID header (B2BUA leg correlation)
  std::vector<HeaderValue> headers;  // its sip_headers rows (at most 256), not a sip_messages column
};

// sip_headers.kind (store/sql/009_sip_headers.sql).
inline constexpr uint8_t kHeaderKindField = 0;  // a custom header field: header.<name>=value
inline constexpr uint8_t kHeaderKindLink = 1;   // a correlation link value: the call flow follows it

// Table sip_headers: one custom header or correlation link value of a stored message (the
// parser's header rules, parser/header_extractor.h). Written with its message, in the same
// transaction; (capture_us, message_id) is the message's key in sip_messages.
struct HeaderRow {
  uint64_t capture_us = 0;
  uint64_t message_id = 0;
  uint8_t seq = 0;  // position among the message's values
  uint8_t kind = kHeaderKindField;
  uint64_t name_hash = 0;   // searchKey(name)
  uint64_t value_hash = 0;  // searchKey(value)
  std::string name;         // the rule's name, lower-case, <= kHeaderNameWidth
  std::string value;        // <= kHeaderValueWidth
};

// sip_call_keys.kind (store/sql/014_sip_call_keys.sql): which value of a call key_hash keys.
enum class CallKeyKind : uint8_t { FromUser = 1, ToUser = 2, RuriUser = 3, Correlation = 4 };
inline constexpr uint64_t kCallKeyHourUs = 3600ull * 1000000;

// Table sip_call_keys: one searchable value (its searchKey) of a call in one UTC hour; the
// per-call index that replaced sip_messages's four per-message number / correlation indexes.
struct CallKeyRow {
  uint64_t key_hash = 0;
  CallKeyKind kind = CallKeyKind::FromUser;
  uint64_t hour_us = 0;  // capture_us rounded down to the hour
  uint64_t call_id_hash = 0;
  auto operator<=>(const CallKeyRow&) const = default;
};

inline constexpr std::string_view kCallKeyColumns = "key_hash,kind,hour_us,call_id_hash";

template <typename Encoder>
void encodeRow(const CallKeyRow& r, Encoder& e) {
  e.number(r.key_hash);
  e.number(static_cast<uint8_t>(r.kind));
  e.number(r.hour_us);
  e.number(r.call_id_hash);
  e.endRow();
}

// Table sip_rejects: a SIP payload the parser refused, kept raw with the reason.
struct RejectRow {
  PacketColumns packet;
  std::string reason;
};

// Table hep_other: a non-SIP HEP payload (RTCP JSON, logs, ...).
struct OtherRow {
  PacketColumns packet;
  uint64_t correlation_hash = 0;  // searchKey(correlation_id)
};

// Table sip_summaries: one summarized message (ingest policy `summarize`), counted, not stored.
// The inserter adds rows with the same key up (count = count + VALUES(count)).
struct SummaryRow {
  uint64_t minute_us = 0;  // capture time rounded down to the minute
  std::string src_ip;      // as PacketColumns
  std::string dst_ip;
  uint16_t dst_port = 0;
  std::string method;      // cut to kMethodWidth
  uint16_t status = 0;     // 0 = request
  uint64_t count = 1;
};

// Table sip_minute_stats (store/sql/013): a count of stored sip_messages rows of one minute by
// request method, response status class or User-Agent (writer/minute_stats.h adds them up).
// Table sip_hour_stats (015) holds the same counts summed per hour, in the same row type.
enum class MinuteStatKind : uint8_t { Method = 0, StatusClass = 1, UserAgent = 2 };
inline constexpr size_t kMinuteStatNameWidth = 255;
// What names beyond a bound count under: the api's other-methods series and the User-Agents a
// writer did not admit (writer.stats_max_agents_per_minute). Not a SIP token (parentheses are
// separators in RFC 3261), so no captured method can take it.
inline constexpr std::string_view kMinuteStatOther = "(other)";
inline constexpr uint64_t kStatMinuteUs = 60ull * 1000000;
inline constexpr uint64_t kStatHourUs = 60 * kStatMinuteUs;
struct MinuteStatRow {
  uint64_t minute_us = 0;  // capture time rounded down to the minute (sip_hour_stats: to the hour)
  MinuteStatKind kind = MinuteStatKind::Method;
  std::string name;        // method, class digit '1'..'9', or User-Agent; <= kMinuteStatNameWidth
  uint64_t count = 0;
  auto operator<=>(const MinuteStatRow&) const = default;
};

// Widths of sip_qos's text columns (store/sql/012_sip_qos.sql); call_id is kCallIdWidth, node kNodeWidth.
inline constexpr size_t kCodecWidth = 32;

// Table sip_qos: one call-quality report block (qos/qos_report.h QosReport; every column is
// documented in store/sql/012_sip_qos.sql). An unknown optional figure is NULL in the table.
// Not a PacketColumns row: a report keeps no raw message (what carried it is in sip_messages or
// nowhere), only the addresses it describes.
struct QosRow {
  uint64_t id = 0;  // issued by the writer just before the insert (row_ids.h); not spooled
  uint64_t capture_us = 0;
  uint64_t call_id_hash = 0;  // searchKey(call_id) over the full value; 0 when uncorrelated
  std::string call_id;        // <= kCallIdWidth
  uint8_t source = 0;         // qos::ReportSource
  uint8_t report_type = 0;    // RTCP packet type, 0 when not RTCP
  uint8_t direction = 0;      // qos::Direction
  std::string src_ip;         // 4 or 16 bytes, network order; empty when unknown
  std::string dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t ssrc = 0;
  uint32_t reporter_ssrc = 0;
  std::optional<uint64_t> packets;
  std::optional<int64_t> lost;
  std::optional<uint32_t> highest_seq;
  std::optional<double> fraction_lost;  // stored as FLOAT
  std::optional<double> jitter_ms;
  std::optional<double> rtt_ms;
  std::optional<double> mos;
  std::string codec;  // <= kCodecWidth
  uint32_t capture_id = 0;
  std::string node;  // <= kNodeWidth
};

struct RowBatch {
  std::vector<SipMessageRow> messages;
  std::vector<RejectRow> rejects;
  std::vector<OtherRow> others;
  std::vector<SummaryRow> summaries;
  std::vector<QosRow> qos;

  [[nodiscard]] size_t size() const {
    return messages.size() + rejects.size() + others.size() + summaries.size() + qos.size();
  }
  [[nodiscard]] bool empty() const { return size() == 0; }
  void clear() {
    messages.clear();
    rejects.clear();
    others.clear();
    summaries.clear();
    qos.clear();
  }
  // Moves every row of `other` to the end of this batch.
  void append(RowBatch&& other);
};

// Column lists in insert order, comma-separated, matching encodeRow below.
inline constexpr std::string_view kSipMessageColumns =
    "id,capture_us,storage_class,call_id_hash,from_user_hash,to_user_hash,ruri_user_hash,correlation_hash,method,"
    "status,cseq,"
    "call_id,from_user,from_tag,to_user,to_tag,ruri_user,user_agent,via_branch,x_cid,correlation_id,"
    "src_ip,dst_ip,src_port,dst_port,ip_proto,payload_type,vlan,capture_id,node,raw_len,flags,raw";
inline constexpr std::string_view kRejectColumns =
    "id,capture_us,reason,correlation_id,src_ip,dst_ip,src_port,dst_port,ip_proto,payload_type,vlan,capture_id,"
    "node,"
    "raw_len,flags,raw";
inline constexpr std::string_view kOtherColumns =
    "id,capture_us,correlation_hash,correlation_id,src_ip,dst_ip,src_port,dst_port,ip_proto,payload_type,vlan,"
    "capture_id,node,raw_len,flags,raw";

// The sip_headers rows of `messages` (their ids assigned), appended to `out`: hashes computed,
// names and values cut to their widths, seq = position in the message.
void appendHeaderRows(const std::vector<SipMessageRow>& messages, std::vector<HeaderRow>& out);

inline constexpr std::string_view kSipHeaderColumns = "capture_us,message_id,seq,kind,name_hash,value_hash,name,value";

// What readers select from sip_messages, in this order (the api's MessageRecord::fromRow): the
// stored columns a search shows, without the raw message; ...WithRaw adds it last.
inline constexpr std::string_view kSipMessageReadColumns =
    "id, capture_us, method, status, cseq, call_id, from_user, to_user, ruri_user, from_tag, to_tag, "
    "user_agent, "
    "via_branch, x_cid, correlation_id, src_ip, dst_ip, src_port, dst_port, ip_proto, capture_id, node, "
    "vlan, "
    "raw_len, flags, call_id_hash, shard_id";
inline constexpr std::string_view kSipMessageReadColumnsWithRaw =
    "id, capture_us, method, status, cseq, call_id, from_user, to_user, ruri_user, from_tag, to_tag, "
    "user_agent, "
    "via_branch, x_cid, correlation_id, src_ip, dst_ip, src_port, dst_port, ip_proto, capture_id, node, "
    "vlan, "
    "raw_len, flags, call_id_hash, shard_id, raw";

// Feeds a row's values, in column order, to an encoder with
//   void number(uint64_t); void bytes(std::string_view); void endRow();
// and, for the nullable columns of sip_qos (nullopt = NULL),
//   void optionalNumber(std::optional<uint64_t>); void optionalInteger(std::optional<int64_t>);
//   void optionalReal(std::optional<double>);
template <typename Encoder>
void encodeAddresses(const PacketColumns& p, Encoder& e) {
  e.bytes(p.src_ip);
  e.bytes(p.dst_ip);
  e.number(p.src_port);
  e.number(p.dst_port);
  e.number(p.ip_proto);
  e.number(p.payload_type);
  e.number(p.vlan);
  e.number(p.capture_id);
  e.bytes(p.node);
  e.number(p.raw_len);
  e.number(p.flags);
  e.bytes(p.raw);
}

template <typename Encoder>
void encodeRow(const SipMessageRow& r, Encoder& e) {
  e.number(r.packet.id);
  e.number(r.packet.capture_us);
  e.number(r.storage_class);
  e.number(r.call_id_hash);
  e.number(r.from_user_hash);
  e.number(r.to_user_hash);
  e.number(r.ruri_user_hash);
  e.number(r.correlation_hash);
  e.bytes(r.method);
  e.number(r.status);
  e.number(r.cseq);
  e.bytes(r.call_id);
  e.bytes(r.from_user);
  e.bytes(r.from_tag);
  e.bytes(r.to_user);
  e.bytes(r.to_tag);
  e.bytes(r.ruri_user);
  e.bytes(r.user_agent);
  e.bytes(r.via_branch);
  e.bytes(r.x_cid);
  e.bytes(r.packet.correlation_id);
  encodeAddresses(r.packet, e);
  e.endRow();
}

template <typename Encoder>
void encodeRow(const HeaderRow& r, Encoder& e) {
  e.number(r.capture_us);
  e.number(r.message_id);
  e.number(r.seq);
  e.number(r.kind);
  e.number(r.name_hash);
  e.number(r.value_hash);
  e.bytes(r.name);
  e.bytes(r.value);
  e.endRow();
}

template <typename Encoder>
void encodeRow(const RejectRow& r, Encoder& e) {
  e.number(r.packet.id);
  e.number(r.packet.capture_us);
  e.bytes(r.reason);
  e.bytes(r.packet.correlation_id);
  encodeAddresses(r.packet, e);
  e.endRow();
}

template <typename Encoder>
void encodeRow(const OtherRow& r, Encoder& e) {
  e.number(r.packet.id);
  e.number(r.packet.capture_us);
  e.number(r.correlation_hash);
  e.bytes(r.packet.correlation_id);
  encodeAddresses(r.packet, e);
  e.endRow();
}

inline constexpr std::string_view kSummaryColumns = "minute_us,src_ip,dst_ip,dst_port,method,status,count";

template <typename Encoder>
void encodeRow(const SummaryRow& r, Encoder& e) {
  e.number(r.minute_us);
  e.bytes(r.src_ip);
  e.bytes(r.dst_ip);
  e.number(r.dst_port);
  e.bytes(r.method);
  e.number(r.status);
  e.number(r.count);
  e.endRow();
}

inline constexpr std::string_view kMinuteStatColumns = "minute_us,kind,name,count";
inline constexpr std::string_view kHourStatColumns = "hour_us,kind,name,count";

template <typename Encoder>
void encodeRow(const MinuteStatRow& r, Encoder& e) {
  e.number(r.minute_us);
  e.number(static_cast<uint8_t>(r.kind));
  e.bytes(r.name);
  e.number(r.count);
  e.endRow();
}

inline constexpr std::string_view kQosColumns =
    "id,capture_us,call_id_hash,call_id,source,report_type,direction,src_ip,dst_ip,src_port,dst_port,ssrc,"
    "reporter_ssrc,packets,lost,highest_seq,fraction_lost,jitter_ms,rtt_ms,mos,codec,capture_id,node";

template <typename Encoder>
void encodeRow(const QosRow& r, Encoder& e) {
  e.number(r.id);
  e.number(r.capture_us);
  e.number(r.call_id_hash);
  e.bytes(r.call_id);
  e.number(r.source);
  e.number(r.report_type);
  e.number(r.direction);
  e.bytes(r.src_ip);
  e.bytes(r.dst_ip);
  e.number(r.src_port);
  e.number(r.dst_port);
  e.number(r.ssrc);
  e.number(r.reporter_ssrc);
  e.optionalNumber(r.packets);
  e.optionalInteger(r.lost);
  e.optionalNumber(r.highest_seq ? std::optional<uint64_t>(*r.highest_seq) : std::nullopt);
  e.optionalReal(r.fraction_lost);
  e.optionalReal(r.jitter_ms);
  e.optionalReal(r.rtt_ms);
  e.optionalReal(r.mos);
  e.bytes(r.codec);
  e.number(r.capture_id);
  e.bytes(r.node);
  e.endRow();
}

}  // namespace sipvault::store
