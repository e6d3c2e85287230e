#include "proto/hep_stream_framer.h"

#include <algorithm>
#include <cstring>

namespace sipvault {

namespace {
constexpr size_t kInitialCapacity = 16 * 1024;
}

HepStreamFramer::HepStreamFramer(size_t max_buffered) : max_buffered_(max_buffered) {}

void HepStreamFramer::reset() {
  begin_ = end_ = 0;
  failed_ = false;
  error_ = HepError::Malformed;
}

bool HepStreamFramer::feed(std::span<const uint8_t> bytes) {
  if (failed_) return false;
  const size_t pending = end_ - begin_;
  if (bytes.size() > max_buffered_ - pending) return false;
  if (bytes.empty()) return true;
  if (pending == 0) begin_ = end_ = 0;
  if (bytes.size() > buf_.size() - end_) {
    // Reclaim the consumed prefix first: moves only the unconsumed tail (at most one partial
    // packet for a reader that drains next()), and the buffer grows geometrically, so each
    // byte is moved a bounded number of times.
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, pending);
      begin_ = 0;
      end_ = pending;
    }
    if (bytes.size() > buf_.size() - end_) {
      const size_t grown = std::min(std::max(buf_.size() * 2, kInitialCapacity), max_buffered_);
      buf_.resize(std::max(end_ + bytes.size(), grown));
    }
  }
  std::memcpy(buf_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
  return true;
}

HepStreamFramer::Frame HepStreamFramer::failWith(HepError error) {
  failed_ = true;
  error_ = error;
  return {Status::Error, {}, error};
}

HepStreamFramer::Frame HepStreamFramer::next() {
  if (failed_) return {Status::Error, {}, error_};
  const size_t avail = end_ - begin_;
  if (avail == 0) return {};
  const uint8_t* p = buf_.data() + begin_;

  // Judge the magic on as many bytes as have arrived, so a non-HEP3 stream fails early.
  if (p[0] == 1 || p[0] == 2) return failWith(HepError::UnsupportedVersion);  // v1/v2: no length
  if (std::memcmp(p, "HEP", std::min<size_t>(avail, 3)) != 0) return failWith(HepError::BadMagic);
  if (avail >= 4 && p[3] != '3') return failWith(HepError::UnsupportedVersion);
  if (avail < kHep3HeaderSize) return {};

  const size_t total = size_t(p[4]) << 8 | p[5];
  if (total < kHep3HeaderSize) return failWith(HepError::BadLength);
  if (avail < total) return {};
  begin_ += total;
  return {Status::Packet, {p, total}, HepError::Malformed};
}

}  // namespace sipvault
