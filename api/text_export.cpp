#include "api/text_export.h"

#include "api/search_filter.h"
#include "api/time_text.h"

namespace sipvault::api {

void appendTextTrace(const MessageRecord& m, std::string& out) {
  out += "===== ";
  out += formatTimeUs(m.capture_us);
  out += "  " + hostText(m.src_ip, m.src_port) + " -> " + hostText(m.dst_ip, m.dst_port);
  out += "  " + transportName(m.ip_proto);
  out += "  capture_id=" + std::to_string(m.capture_id);
  out += "  id=" + messageId(m.capture_us, m.id) + "\n";
  const std::optional<std::string> raw = m.raw();
  if (!raw) {
    out += "(stored message could not be decoded)\n\n";
    return;
  }
  const std::string text = jsonText(*raw);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  if (out.back() != '\n') out += '\n';
  out += '\n';
}

}  // namespace sipvault::api
