#pragma once
// A RowBatch as bytes, for the outage spool (row_spool.h stores these as opaque records). The
// rows are stored already converted (search keys computed, raw deflated), so a replay only
// inserts. Acks (RowBatch::acks) are not stored: a spooled batch is acked when it is appended.
//
//   +----------+-------------------+------------------+-----------------+------------------------+
//   | ver (1)  | messages (varint) | rejects (varint) | others (varint) | rows, in that order    |
//   | = 1      |                   |                  |                 |                        |
//   +----------+-------------------+------------------+-----------------+------------------------+
//   then, since version 3 (storage classes, summaries; a version 1 or 2 record decodes as before, every
//   message in class 0 and no summaries):
//   +------------------------------------+---------------------+-------------------------------+
//   | storage_class per message (varint) | summaries (varint)  | summary rows (visitRowFields) |
//   +------------------------------------+---------------------+-------------------------------+
//   then, since version 4 (call-quality reports; an older record decodes with none):
//   +------------------+-------------------------------------+
//   | qos rows (varint)| qos rows (visitRowFields)           |
//   +------------------+-------------------------------------+
//   row   = its fields in the order of visitRowFields() below (stored_rows.h struct order)
//   field = number: unsigned LEB128 varint (1..10 bytes)
//         | signed number: zigzag, then as a number
//         | real:   its IEEE 754 double bits as a number
//         | optional: one byte 0 (absent) or 1, then the value when present
//         | bytes:  varint length, then the bytes
//
// Pure (no I/O, no allocation beyond the output). decodeRowBatch treats its input as untrusted:
// every read is bounds-checked, counts are checked against the bytes left, a number wider than
// its column is refused; it returns false (output unspecified) instead of crashing.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "store/stored_rows.h"

namespace sipvault::writer {

// Version 2 adds each message's custom header values (SipMessageRow::headers, after x_cid: a count,
// then kind, name, value per value); version 3 adds the storage-class trailer below; version 4 the
// sip_qos rows after the summaries. Version 1, 2 and 3 batches (an older writer's spool) still decode.
inline constexpr uint8_t kRowBatchCodecVersion = 4;

// Appends the encoding of `batch` (rows only) to `out`.
void encodeRowBatch(const store::RowBatch& batch, std::string& out);
// Replaces `batch`'s rows with the decoded ones. False on any malformed input.
[[nodiscard]] bool decodeRowBatch(std::string_view bytes, store::RowBatch& batch);

// The one field list both directions use: calls f(field) for every stored field of a row, where
// Row may be const (encoding) or not (decoding).
template <typename Packet, typename F>
requires std::same_as<std::remove_const_t<Packet>, store::PacketColumns>
void visitPacketFields(Packet& p, F& f) {
  f(p.capture_us);
  f(p.correlation_id);
  f(p.src_ip);
  f(p.dst_ip);
  f(p.src_port);
  f(p.dst_port);
  f(p.ip_proto);
  f(p.payload_type);
  f(p.vlan);
  f(p.capture_id);
  f(p.node);
  f(p.raw_len);
  f(p.flags);
  f(p.raw);
}

template <typename Row, typename F>
requires std::same_as<std::remove_const_t<Row>, store::SipMessageRow>
void visitRowFields(Row& r, F& f) {
  visitPacketFields(r.packet, f);
  f(r.call_id_hash);
  f(r.from_user_hash);
  f(r.to_user_hash);
  f(r.ruri_user_hash);
  f(r.correlation_hash);
  f(r.method);
  f(r.status);
  f(r.cseq);
  f(r.call_id);
  f(r.from_user);
  f(r.from_tag);
  f(r.to_user);
  f(r.to_tag);
  f(r.ruri_user);
  f(r.user_agent);
  f(r.via_branch);
  f(r.x_cid);
  f(r.headers);
}

template <typename Row, typename F>
requires std::same_as<std::remove_const_t<Row>, store::RejectRow>
void visitRowFields(Row& r, F& f) {
  visitPacketFields(r.packet, f);
  f(r.reason);
}

template <typename Row, typename F>
requires std::same_as<std::remove_const_t<Row>, store::OtherRow>
void visitRowFields(Row& r, F& f) {
  visitPacketFields(r.packet, f);
  f(r.correlation_hash);
}

template <typename Row, typename F>
requires std::same_as<std::remove_const_t<Row>, store::QosRow>
void visitRowFields(Row& r, F& f) {
  f(r.capture_us);
  f(r.call_id_hash);
  f(r.call_id);
  f(r.source);
  f(r.report_type);
  f(r.direction);
  f(r.src_ip);
  f(r.dst_ip);
  f(r.src_port);
  f(r.dst_port);
  f(r.ssrc);
  f(r.reporter_ssrc);
  f(r.packets);
  f(r.lost);
  f(r.highest_seq);
  f(r.fraction_lost);
  f(r.jitter_ms);
  f(r.rtt_ms);
  f(r.mos);
  f(r.codec);
  f(r.capture_id);
  f(r.node);
}

template <typename Row, typename F>
requires std::same_as<std::remove_const_t<Row>, store::SummaryRow>
void visitRowFields(Row& r, F& f) {
  f(r.minute_us);
  f(r.src_ip);
  f(r.dst_ip);
  f(r.dst_port);
  f(r.method);
  f(r.status);
  f(r.count);
}

}  // namespace sipvault::writer
