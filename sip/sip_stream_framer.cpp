#include "sip/sip_stream_framer.h"

#include "sip/sip_parser.h"
#include "sip/sip_start_line.h"
#include "sip/sip_text.h"

namespace sipvault::sip {

using namespace text;

void SipStreamFramer::append(std::string_view bytes) {
  if (head_ > 0) {
    buffer_.erase(0, head_);
    head_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

void SipStreamFramer::releaseSpare() {
  constexpr size_t kSpareBytes = 4096;
  if (buffered() == 0) {
    if (buffer_.capacity() > kSpareBytes)
      std::string().swap(buffer_);
    else
      buffer_.clear();
    head_ = 0;
  } else if (buffer_.capacity() > kSpareBytes && buffered() < buffer_.capacity() / 4) {
    buffer_.erase(0, head_);  // scan offsets are relative to head_, as in append()
    head_ = 0;
    buffer_.shrink_to_fit();
  }
}

void SipStreamFramer::reset() {
  std::string().swap(buffer_);
  head_ = 0;
  discard_remaining_ = 0;
  skip_to_eol_ = false;
  clearScan();
}

void SipStreamFramer::clearScan() {
  phase_ = Phase::StartLine;
  scan_pos_ = 0;
  search_from_ = 0;
  cl_value_ = SIZE_MAX;
  content_length_ = -1;
  cl_error_ = {};
  total_ = 0;
}

SipFrame SipStreamFramer::take(SipFrame::Kind kind, size_t len, std::string_view reason) {
  SipFrame f{kind, std::string_view(buffer_).substr(head_, len), reason};
  head_ += len;
  clearScan();
  return f;
}

// Parses the Content-Length value that started at cl_value_ and ends at value_end.
bool SipStreamFramer::finishContentLength(size_t value_end) {
  const std::string_view v =
      trimLws(std::string_view(buffer_).substr(head_ + cl_value_, value_end - cl_value_));
  cl_value_ = SIZE_MAX;
  uint64_t len = 0;
  if (!parseU64(v, len) || len > uint64_t(INT64_MAX)) {
    cl_error_ = "Content-Length is not a non-negative number";
    return false;
  }
  if (content_length_ >= 0 && uint64_t(content_length_) != len) {
    cl_error_ = "two different Content-Length values";
    return false;
  }
  content_length_ = int64_t(len);
  return true;
}

SipFrame SipStreamFramer::next() {
  const std::string_view data = std::string_view(buffer_).substr(head_);
  if (discard_remaining_ > 0) {
    if (data.empty()) return {};
    const size_t n = data.size() < discard_remaining_ ? data.size() : discard_remaining_;
    discard_remaining_ -= n;
    return take(SipFrame::Kind::Skipped, n, "message larger than the limit");
  }
  if (data.empty()) return {};

  if (phase_ == Phase::StartLine) {
    const char* nl = findByte(data.substr(search_from_), '\n');
    if (skip_to_eol_) {  // the rest of a line whose start was already skipped
      skip_to_eol_ = nl == nullptr;
      return take(SipFrame::Kind::Skipped, nl ? size_t(nl - data.data()) + 1 : data.size(),
                  "not a SIP start line");
    }
    if (data[0] == '\r' || data[0] == '\n') {
      size_t n = 0;
      while (n < data.size() && (data[n] == '\r' || data[n] == '\n')) ++n;
      return take(SipFrame::Kind::KeepAlive, n, {});
    }
    if (nl == nullptr) {
      // A start line begins with a token character; anything else is junk up to the line end.
      // The verdicts must not depend on how the stream was cut into segments, so a partial line is
      // dropped only when its whole line would be, and the rest of that line follows it.
      const bool junk = !isTokenChar(data[0]);
      if (junk || data.size() > max_message_bytes_) {
        skip_to_eol_ = true;
        return take(SipFrame::Kind::Skipped, data.size(),
                    junk ? "not a SIP start line" : "start line too long");
      }
      search_from_ = data.size();
      return {};
    }
    const size_t line_end = size_t(nl - data.data());
    if (line_end + 1 > max_message_bytes_)
      return take(SipFrame::Kind::Skipped, line_end + 1, "start line too long");
    if (!looksLikeSipStartLine(data.substr(0, line_end)))
      return take(SipFrame::Kind::Skipped, line_end + 1, "not a SIP start line");
    phase_ = Phase::Headers;
    scan_pos_ = search_from_ = line_end + 1;
  }

  if (phase_ == Phase::Headers) {
    while (scan_pos_ < data.size()) {
      const size_t from = search_from_ > scan_pos_ ? search_from_ : scan_pos_;
      const char* nl = findByte(data.substr(from), '\n');
      if (nl == nullptr) {
        if (data.size() > max_message_bytes_) {
          skip_to_eol_ = true;
          return take(SipFrame::Kind::Skipped, data.size(), "header section too long");
        }
        search_from_ = data.size();
        return {};
      }
      const size_t line_end = size_t(nl - data.data());
      const size_t next_line = line_end + 1;
      if (isWsp(data[scan_pos_])) {  // continuation line
        if (next_line > max_message_bytes_)
          return take(SipFrame::Kind::Skipped, next_line, "header section too long");
        scan_pos_ = search_from_ = next_line;
        continue;
      }
      // A new field starts here, so a pending Content-Length value is complete.
      if (cl_value_ != SIZE_MAX) finishContentLength(scan_pos_);
      std::string_view line = data.substr(scan_pos_, line_end - scan_pos_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {  // end of the header section
        if (!cl_error_.empty()) return take(SipFrame::Kind::Skipped, next_line, cl_error_);
        const uint64_t body = content_length_ < 0 ? 0 : uint64_t(content_length_);
        if (body > max_message_bytes_ || next_line + body > max_message_bytes_) {
          discard_remaining_ = size_t(body);
          return take(SipFrame::Kind::Skipped, next_line, "message larger than the limit");
        }
        phase_ = Phase::Body;
        total_ = next_line + size_t(body);
        break;
      }
      if (next_line > max_message_bytes_)
        return take(SipFrame::Kind::Skipped, next_line, "header section too long");
      if (const char* colon = findByte(line, ':')) {
        const std::string_view name = trimWsp(line.substr(0, size_t(colon - line.data())));
        if (iequals(name, "content-length") || iequals(name, "l"))
          cl_value_ = size_t(colon - data.data()) + 1;
      }
      scan_pos_ = search_from_ = next_line;
    }
    if (phase_ == Phase::Headers) return {};
  }

  // Phase::Body
  if (data.size() < total_) return {};
  return take(SipFrame::Kind::Message, total_, {});
}

}  // namespace sipvault::sip
