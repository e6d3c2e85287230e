#pragma once
// Internal to sip/: the grammar pieces the URI, header-value and message parsers share. Views
// returned point into the input or into the message's SipArena. Pure; bounds-checked.
#include <cstdint>
#include <string_view>

#include "sip/sip_message.h"
#include "sip/sip_text.h"

namespace sipvault::sip {

// %HH decoded (invalid escapes kept literally); `s` itself when there is nothing to decode.
[[nodiscard]] std::string_view unescapePercent(std::string_view s, SipArena& arena);
// The inside of a quoted string with quoted-pairs resolved.
[[nodiscard]] std::string_view unescapeQuoted(std::string_view s, SipArena& arena);
// host [":" port] at the start of `s`; returns the offset after it, or npos when malformed.
// `bare_ipv6` is set when the host is an IPv6 address without brackets (parsed, but malformed).
[[nodiscard]] size_t parseHostPort(std::string_view s, std::string_view& host, uint16_t& port,
                                   bool& bare_ipv6);

// name-addr / addr-spec with parameters (From, To, Contact, P-Asserted-Identity values).
// Returns an empty string when well formed, else why it is not; fills what it could.
[[nodiscard]] std::string_view parseNameAddr(std::string_view v, std::string_view& display_name, SipUri& uri,
                                             std::string_view& tag, SipArena& arena);
[[nodiscard]] std::string_view parseNameAddr(std::string_view v, SipNameAddr& na, SipArena& arena);

enum class ViaResult { Ok, Malformed, Bad };
// One Via hop ("SIP/2.0/UDP host:port;branch=..."). Bad: not a Via value at all.
[[nodiscard]] ViaResult parseVia(std::string_view e, SipVia& via);

// Splits a comma list; yields one (possibly empty) element per comma-separated slot.
class ListSplitter {
 public:
  explicit ListSplitter(std::string_view s) : rest_(s) {}
  bool next(std::string_view& elem) {
    using namespace text;
    if (done_) return false;
    if (findByte(rest_, ',') == nullptr) {  // the common case: a single value
      elem = rest_;
      done_ = true;
      return true;
    }
    std::string_view before = rest_;
    elem = nextListElement(rest_);
    // nextListElement consumed a comma when it stopped before the end of the input.
    done_ = elem.size() == before.size();
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// ";name[=value]" parameters with LWS anywhere between the parts. Calls on(name, value) with
// quotes removed from quoted values. False when the text is not a parameter list (junk, an empty
// name or an empty value); parameters seen before the problem are still reported.
template <class F>
bool scanParams(std::string_view s, F&& on) {
  using namespace text;
  bool ok = true;
  size_t i = 0;
  const size_t n = s.size();
  auto skipLws = [&] {
    while (i < n && isLws(s[i])) ++i;
  };
  for (;;) {
    skipLws();
    if (i >= n) return ok;
    if (s[i] != ';') return false;
    ++i;
    skipLws();
    const size_t ns = i;
    while (i < n && isTokenChar(s[i])) ++i;
    const std::string_view name = s.substr(ns, i - ns);
    if (name.empty()) {
      ok = false;
      if (i < n && s[i] != ';') return false;
      continue;
    }
    skipLws();
    std::string_view value;
    if (i < n && s[i] == '=') {
      ++i;
      skipLws();
      if (i < n && s[i] == '"') {
        const size_t q = findQuoteEnd(s, i);
        if (q == std::string_view::npos) return false;
        value = s.substr(i + 1, q - i - 1);
        i = q + 1;
      } else {
        const size_t vs = i;
        while (i < n && !hasClass(s[i], kClassParamEnd)) ++i;
        value = s.substr(vs, i - vs);
        if (value.empty()) ok = false;
      }
    }
    on(name, value);
  }
}

}  // namespace sipvault::sip
