#pragma once
// The value one SIP parse produces: the fields a capture system searches on, as views into the
// message bytes, plus the SDP summary. Filled by parseSipMessage() (sip_parser.h).
//
// Ownership and lifetime
//   Every std::string_view in a SipMessage points either into the input buffer given to
//   parseSipMessage() or into the message's own arena (see SipArena). The input buffer must outlive
//   the SipMessage. A SipMessage is move-only: moving it keeps every view valid (the arena is a heap
//   block that moves with it); copying is not allowed because the copy's views would point into the
//   original's arena. Reuse one SipMessage per thread for many parses: the arena is kept and no
//   allocation happens in the common case.
//
// Zero-copy and the arena
//   Most values are plain sub-views of the input. Three kinds of value cannot be: a folded header
//   value (CRLF + SP/HTAB inside it), a quoted display name with quoted-pairs (`"a \"b\""`), and a
//   URI user part with %HH escapes. Those are rewritten once into the arena and the view points
//   there. The arena is allocated lazily, only for a message that needs it, at a fixed capacity of
//   3x the input size (each rewritten value is no longer than its source, and a header value is at
//   most unfolded once and then unescaped twice: display name and user), so it never reallocates
//   and views into it stay valid. If it ever ran out, the raw (escaped/folded) text is kept instead.
//
// Thread-safety: a SipMessage is a plain value; no shared state.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace sipvault::sip {

// Per-message scratch for rewritten (unfolded / unescaped) values. See the file comment.
class SipArena {
 public:
  SipArena() = default;
  SipArena(SipArena&&) noexcept = default;
  SipArena& operator=(SipArena&&) noexcept = default;
  SipArena(const SipArena&) = delete;
  SipArena& operator=(const SipArena&) = delete;

  // Forgets all values; keeps the block. `input_size` sets the capacity the next allocation needs.
  void reset(size_t input_size) {
    used_ = 0;
    want_ = input_size * 3 + 16;
  }
  // Room for n bytes, or nullptr when the arena is exhausted (callers then keep the raw text).
  [[nodiscard]] char* allocate(size_t n);
  // Gives back the unused tail of the last allocation (the rewrite turned out shorter).
  void shrinkLast(char* start, size_t used) { used_ = size_t(start - block_.get()) + used; }
  [[nodiscard]] size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> block_;
  size_t capacity_ = 0;
  size_t used_ = 0;
  size_t want_ = 0;
};

// A URI as written, split into the parts searches need. Schemes other than sip, sips and tel are
// kept opaque: only `text` and `scheme` are set.
struct SipUri {
  std::string_view text;      // the whole URI, e.g. "sip:alice@example.com:5061;transport=tcp"
  std::string_view scheme;    // "sip", "sips", "tel", or any other scheme as written
  std::string_view user;      // user part, %HH escapes decoded (may contain NUL); tel: the number
  std::string_view user_raw;  // user part as written (escapes kept)
  std::string_view host;      // host as written; an IPv6 reference keeps its brackets: "[2001:db8::1]"
                              // (an unbracketed IPv6 address is kept whole and the URI is flagged)
  uint16_t port = 0;          // 0 when the URI has no port
  bool has_headers = false;   // "?name=value" part present
};

// From, To, P-Asserted-Identity: name-addr or addr-spec, plus the tag parameter.
struct SipNameAddr {
  bool present = false;
  std::string_view display_name;  // without quotes; quoted-pairs resolved (may contain NUL)
  SipUri uri;
  std::string_view tag;
};

// One Via value (one hop).
struct SipVia {
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", ... as written
  std::string_view host;       // sent-by host; IPv6 keeps its brackets
  uint16_t port = 0;           // 0 when absent
  std::string_view branch;     // branch parameter value, empty when absent
  std::string_view received;   // received parameter value, empty when absent
};

inline constexpr size_t kMaxSdpMedia = 8;
inline constexpr size_t kMaxSdpCodecs = 16;

struct SdpMedia {
  std::string_view type;                // "audio", "video", "image", ...
  uint16_t port = 0;                    // as announced (0 = disabled stream)
  std::string_view protocol;            // "RTP/AVP", "udptl", ...
  std::string_view connection_address;  // media-level c= address, else the session-level one
  // RTCP (RFC 3605 a=rtcp:PORT [IN IP4 ADDR]; RFC 5761 a=rtcp-mux). rtcp_port 0 = not given (the
  // default is port + 1); rtcp_address empty = the media's address.
  uint16_t rtcp_port = 0;
  std::string_view rtcp_address;
  bool rtcp_mux = false;
  // The first format of the m= line (the preferred codec) and its RTP clock rate, from a=rtpmap
  // or the RFC 3551 static table; empty / 0 when unknown.
  std::string_view first_codec;
  uint32_t clock_rate = 0;
};

// What the SDP body announces. Codec names come from a=rtpmap (e.g. "opus", "telephone-event"),
// from the static RTP payload-type table for numbers without rtpmap (0 -> "PCMU", 8 -> "PCMA",
// 18 -> "G729", ...), or are the format token itself for non-RTP media ("t38"). Unique, in order
// of first appearance; lists longer than the arrays are cut (media_count/codec_count say how many
// are stored).
struct SdpSummary {
  bool present = false;
  std::string_view connection_address;  // session-level c= address, else the first media-level one
  uint8_t media_count = 0;
  std::array<SdpMedia, kMaxSdpMedia> media{};
  uint8_t codec_count = 0;
  std::array<std::string_view, kMaxSdpCodecs> codecs{};
};

inline constexpr size_t kMaxVias = 8;

struct SipMessage {
  SipMessage() = default;
  SipMessage(SipMessage&&) noexcept = default;
  SipMessage& operator=(SipMessage&&) noexcept = default;

  std::string_view raw;         // the whole input buffer
  std::string_view start_line;  // without its line end
  bool is_request = false;

  // Request line.
  std::string_view method;  // request method (case kept); empty for responses
  SipUri request_uri;
  // Status line.
  uint16_t status_code = 0;
  std::string_view reason_phrase;  // may be empty ("SIP/2.0 100 " + CRLF)
  std::string_view version;        // "SIP/2.0"

  std::string_view call_id;
  SipNameAddr from;
  SipNameAddr to;
  uint64_t cseq_number = 0;  // 0 when missing or not a number that fits in 64 bits
  std::string_view cseq_method;
  uint8_t via_count = 0;                // all Via values in all Via header fields (saturates at 255)
  std::array<SipVia, kMaxVias> vias{};  // the first kMaxVias, top hop first
  std::string_view contact;             // first Contact value as text (e.g. "<sip:a@b>;expires=60", "*")
  SipUri contact_uri;                   // its URI
  std::string_view user_agent;          // User-Agent value
  std::string_view server;              // Server value
  std::string_view pai_user;            // user of the first P-Asserted-Identity value
  std::string_view reason;              // first Reason header value, e.g. Q.850;cause=16;text="..."
  std::string_view content_type;        // whole value including parameters
  int64_t content_length = -1;          // -1 when there is no Content-Length header
  std::string_view x_cid;               // X-CID (correlation of B2BUA legs)

  std::string_view headers;  // header section: first header line up to (not incl.) the blank line
  std::string_view body;     // body bytes (bounded by Content-Length and by the buffer)
  SdpSummary sdp;            // set when the body (or a multipart part) is application/sdp

  [[nodiscard]] const SipVia* topVia() const { return via_count > 0 ? &vias[0] : nullptr; }
  // User-Agent if present, else Server: "the software that sent it".
  [[nodiscard]] std::string_view agent() const { return user_agent.empty() ? server : user_agent; }
  // The method of the transaction: the request method, or the CSeq method of a response.
  [[nodiscard]] std::string_view transactionMethod() const { return is_request ? method : cseq_method; }

  SipArena arena;  // storage for rewritten values; see the file comment
};

}  // namespace sipvault::sip
