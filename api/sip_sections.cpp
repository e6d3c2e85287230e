#include "api/sip_sections.h"

namespace sipvault::api {

std::string_view trimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

// Next line without its terminator; `pos` moves past the terminator. False at the end.
bool nextLine(std::string_view raw, size_t& pos, std::string_view& line) {
  if (pos >= raw.size()) return false;
  size_t nl = raw.find('\n', pos);
  const size_t end = nl == std::string_view::npos ? raw.size() : nl;
  line = raw.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = nl == std::string_view::npos ? raw.size() : nl + 1;
  return true;
}

}  // namespace

SipSections splitSipMessage(std::string_view raw) {
  SipSections out;
  size_t pos = 0;
  std::string_view line;
  // Leading empty lines (keep-alive CRLFs) are not the start line.
  while (nextLine(raw, pos, line)) {
    if (!line.empty()) {
      out.start_line = std::string(line);
      break;
    }
  }
  while (nextLine(raw, pos, line)) {
    if (line.empty()) {
      out.body = std::string(raw.substr(pos));
      return out;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !out.headers.empty()) {
      std::string& value = out.headers.back().second;
      const std::string_view more = trimBlanks(line);
      if (!more.empty()) {
        if (!value.empty()) value += ' ';
        value += more;
      }
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      out.headers.emplace_back("", std::string(trimBlanks(line)));
    else
      out.headers.emplace_back(std::string(trimBlanks(line.substr(0, colon))),
                               std::string(trimBlanks(line.substr(colon + 1))));
  }
  return out;
}

}  // namespace sipvault::api
