#include "writer/row_batch_codec.h"

#include <limits>
#include <vector>

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

// Every row has at least this many fields, each at least one byte: a count that would need more
// bytes than are left is malformed (and must not drive a huge reserve()).
constexpr size_t kMinRowBytes = 15;

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

struct FieldEncoder {
  std::string& out;
  template <typename T>
  void operator()(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      putVarint(out, v.size());
      out.append(v);
    } else if constexpr (std::is_same_v<T, std::vector<HeaderValue>>) {
      putVarint(out, v.size());
      for (const HeaderValue& h : v) {
        (*this)(h.kind);
        (*this)(h.name);
        (*this)(h.value);
      }
    } else {
      putVarint(out, static_cast<uint64_t>(v));
    }
  }
};

class FieldDecoder {
 public:
  explicit FieldDecoder(std::string_view in) : in_(in) {}
  void setVersion(uint8_t version) { version_ = version; }

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool atEnd() const { return pos_ == in_.size(); }
  [[nodiscard]] size_t left() const { return in_.size() - pos_; }

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail();
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && b > 1) return fail();  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return fail();
  }

  void operator()(std::vector<HeaderValue>& v) {
    v.clear();
    if (!ok_ || version_ < 2) return;  // version 1 had no header values
    uint64_t n = 0;
    if (!varint(n)) return;
    if (n > left() / 3) {  // each value takes at least 3 bytes
      fail();
      return;
    }
    v.resize(n);
    for (HeaderValue& h : v) {
      (*this)(h.kind);
      (*this)(h.name);
      (*this)(h.value);
    }
  }

  template <typename T>
  void operator()(T& v) {
    if (!ok_) return;
    uint64_t n = 0;
    if (!varint(n)) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (n > left()) {
        fail();
        return;
      }
      v.assign(in_.data() + pos_, n);
      pos_ += n;
    } else {
      if (n > std::numeric_limits<T>::max()) {
        fail();
        return;
      }
      v = static_cast<T>(n);
    }
  }

  bool byte(uint8_t& b) {
    if (pos_ >= in_.size()) return fail();
    b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
  uint8_t version_ = kRowBatchCodecVersion;
};

template <typename Row>
void encodeRows(const std::vector<Row>& rows, FieldEncoder& e) {
  for (const Row& r : rows) visitRowFields(r, e);
}

template <typename Row>
bool decodeRows(std::vector<Row>& rows, uint64_t count, FieldDecoder& d) {
  rows.clear();
  rows.resize(count);
  for (Row& r : rows) {
    visitRowFields(r, d);
    if (!d.ok()) return false;
  }
  return true;
}

}  // namespace

void encodeRowBatch(const RowBatch& batch, std::string& out) {
  out.push_back(static_cast<char>(kRowBatchCodecVersion));
  putVarint(out, batch.messages.size());
  putVarint(out, batch.rejects.size());
  putVarint(out, batch.others.size());
  FieldEncoder e{out};
  encodeRows(batch.messages, e);
  encodeRows(batch.rejects, e);
  encodeRows(batch.others, e);
  for (const SipMessageRow& m : batch.messages) e(m.storage_class);
  putVarint(out, batch.summaries.size());
  encodeRows(batch.summaries, e);
}

bool decodeRowBatch(std::string_view bytes, RowBatch& batch) {
  FieldDecoder d(bytes);
  uint8_t version = 0;
  uint64_t messages = 0, rejects = 0, others = 0;
  if (!d.byte(version) || version < 1 || version > kRowBatchCodecVersion) return false;
  d.setVersion(version);
  if (!d.varint(messages) || !d.varint(rejects) || !d.varint(others)) return false;
  const uint64_t max_rows = d.left() / kMinRowBytes;
  if (messages > max_rows || rejects > max_rows || others > max_rows || messages + rejects + others > max_rows)
    return false;
  if (!decodeRows(batch.messages, messages, d) || !decodeRows(batch.rejects, rejects, d) ||
      !decodeRows(batch.others, others, d))
    return false;
  batch.summaries.clear();
  if (version < 3) return d.atEnd();  // the storage-class trailer came with version 3
  for (SipMessageRow& m : batch.messages) d(m.storage_class);
  uint64_t summaries = 0;
  if (!d.ok() || !d.varint(summaries) || summaries > d.left() / 7) return false;
  return decodeRows(batch.summaries, summaries, d) && d.atEnd();
}

}  // namespace sipvault::writer
