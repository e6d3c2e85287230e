#pragma once
// wire::SipRecord (what the parsers send) -> the row of the table it belongs to:
//   reject_reason set                         -> sip_rejects (raw kept with the reason)
//   SIP fields present                        -> sip_messages
//   no SIP fields, payload type other than SIP -> hep_other (RTCP JSON, logs, ...)
//   no SIP fields, payload type SIP           -> sip_rejects, reason "no SIP fields from parser"
//   no SIP fields, no payload, qos reports    -> sip_qos rows alone (a decoded HEP 5/34 report, or
//                                                the reports of a message the ingest policy dropped)
// and every call-quality report of a record (SipRecord.qos) -> one sip_qos row beside it:
//   call_id     the report's own, else the record's Call-ID, else its HEP correlation id
//   addresses   the report's media_* when it names them; else the carrying packet's when the packet
//               is the report (HEP 5/34, no SIP fields); else empty / 0 (an X-RTP-Stat header or a
//               vq-rtcpxr PUBLISH travels on the signalling path, which is not the media's)
//   figures     wire "unknown" (has_* false, a negative or non-finite float, mos 0) -> NULL
// Every record becomes exactly one row plus its reports: nothing is dropped here. Computes the search keys
// (search_key.h) over full values, deflates the raw message (raw_codec.h), cuts text to the
// column widths (stored_rows.h, setting kFieldTruncated) and clamps out-of-range numbers.
//
// Not thread-safe (keeps a deflate state); one per thread.
#include <string>

#include "sipvault.pb.h"
#include "store/raw_codec.h"
#include "store/stored_rows.h"

namespace sipvault::writer {

inline constexpr std::string_view kNoSipFieldsReason = "no SIP fields from parser";

class RecordConverter {
 public:
  // `codec` compresses the raw message (writer.raw_codec; see raw_codec.h).
  explicit RecordConverter(store::RawCodec codec = store::RawCodec::Lz4) : raw_encoder_(codec) {}

  void append(const wire::SipRecord& record, store::RowBatch& batch);

 private:
  void fillPacket(const wire::CapturedPacket& p, store::PacketColumns& out);
  static void appendQos(const wire::SipRecord& record, store::RowBatch& batch);
  store::RawEncoder raw_encoder_;
};

}  // namespace sipvault::writer
