#pragma once
// Custom headers and correlation link values of one parsed SIP message (issue 14).
//
//   field rule   header name (+ optional regex)  ->  kind Field, name = the rule's name,  value
//   link rule    header name + how to read it    ->  kind Link,  name = the rule's name,  value(s)
//
// A field rule stores the header's value (each header line of that name, unfolded), or, with a
// regex, its first capture group (the whole match when the pattern has no group); a line the regex
// does not match gives no value. A link rule gives the values that tie the legs of one call
// together across a B2BUA (the api's flow follows them, api/call_flow.h):
//   icid-value   the icid-value parameter of P-Charging-Vector (RFC 7315), quotes removed
//   session-id   both UUIDs of Session-ID (RFC 7989): the local one and the remote= parameter,
//                lower-cased; the null UUID (32 zeros) is not a link
//   regex        the first capture group of `regex` (or the whole match)
//   value        the whole value
// The writer stores every value in the sip_headers key/value table (store/sql/009_sip_headers.sql)
// with the message; the api searches fields as `header.<name>=value`.
//
// Bounds: at most `max_per_message` values per message (the rest are counted in `dropped` and
// left out), each at most `max_value_bytes` (cut, counted in `truncated`). Header names compare
// ASCII case-insensitively; compact forms match their full names. Regexes (PCRE, through
// Poco::RegularExpression) are compiled once in create(); match() is const and the extractor may be
// shared by threads.
//
// No I/O, no logging; the caller counts ExtractStats into its metrics.
#include <Poco/RegularExpression.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::parser {

// Stored in sip_headers.kind.
enum class HeaderKind : uint8_t { Field = 0, Link = 1 };

enum class LinkType : uint8_t { Value, Regex, IcidValue, SessionId };

// "value", "regex", "icid-value", "session-id"; nullopt for anything else.
[[nodiscard]] std::optional<LinkType> linkTypeFromName(std::string_view name);

struct HeaderRule {
  HeaderKind kind = HeaderKind::Field;
  std::string name;    // stored name: lower-cased token (letters, digits, '-', '_'), <= kMaxNameBytes
  std::string header;  // the SIP header read, any case ("P-Asserted-Identity", "X-Leg")
  LinkType type = LinkType::Value;  // Field rules: Value, or Regex when `regex` is set
  std::string regex;                // empty = none
};

struct HeaderLimits {
  size_t max_per_message = 16;  // values (fields + links) per message
  size_t max_value_bytes = 255;  // the sip_headers.value column width (store/stored_rows.h)
};

inline constexpr size_t kMaxNameBytes = 64;

struct ExtractedHeader {
  HeaderKind kind = HeaderKind::Field;
  std::string_view name;  // the rule's name; valid as long as the extractor
  std::string value;
};

struct ExtractStats {
  uint64_t values = 0;     // values produced
  uint64_t dropped = 0;    // left out: over max_per_message
  uint64_t truncated = 0;  // cut to max_value_bytes
};

class HeaderExtractor {
 public:
  // Validates the rules (names, headers, regexes) and compiles them. nullptr with `error` naming
  // the rule and the problem when one is bad.
  [[nodiscard]] static std::unique_ptr<HeaderExtractor> create(std::vector<HeaderRule> rules,
                                                               const HeaderLimits& limits, std::string& error);

  [[nodiscard]] bool empty() const { return rules_.empty(); }
  [[nodiscard]] const std::vector<HeaderRule>& rules() const { return rules_; }

  // Reads the header section (SipMessage::headers: the first header line up to the blank line) and
  // appends the values of every rule to `out` (cleared first), in header order. Never throws.
  void extract(std::string_view header_section, std::vector<ExtractedHeader>& out, ExtractStats& stats) const;

 private:
  HeaderExtractor(std::vector<HeaderRule> rules, const HeaderLimits& limits);
  void add(const HeaderRule& rule, std::string value, std::vector<ExtractedHeader>& out, ExtractStats& stats) const;
  void apply(size_t rule_index, const std::string& value, std::vector<ExtractedHeader>& out,
             ExtractStats& stats) const;

  std::vector<HeaderRule> rules_;
  std::vector<std::unique_ptr<Poco::RegularExpression>> patterns_;  // per rule; null = none
  // Rule indices by the length of their header name: most header lines of a message match no rule,
  // and a length lookup rejects them without comparing names (bench/decode_bench).
  std::vector<std::vector<size_t>> rules_by_length_;
  HeaderLimits limits_;
};

}  // namespace sipvault::parser
