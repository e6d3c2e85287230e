#include "writer/row_batch_codec.h"

#include <bit>
#include <limits>
#include <optional>
#include <vector>

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

// Every row has at least this many fields, each at least one byte: a count that would need more
// bytes than are left is malformed (and must not drive a huge reserve()).
constexpr size_t kMinRowBytes = 15;
constexpr size_t kMinQosRowBytes = 22;  // 22 fields (visitRowFields of QosRow)

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

struct FieldEncoder {
  std::string& out;
  template <typename T>
  void operator()(const T& v) {
    if constexpr (IsOptional<T>::value) {
      out.push_back(v ? 1 : 0);
      if (v) (*this)(*v);
    } else if constexpr (std::is_same_v<T, double>) {
      putVarint(out, std::bit_cast<uint64_t>(v));
    } else if constexpr (std::is_signed_v<T>) {
      putVarint(out, zigzag(v));
    } else if constexpr (std::is_same_v<T, std::string>) {
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
  void operator()(std::optional<T>& v) {
    v.reset();
    uint8_t present = 0;
    if (!ok_ || !byte(present)) return;
    if (present > 1) {
      fail();
      return;
    }
    if (present) (*this)(v.emplace());
  }

  void operator()(double& v) {
    uint64_t bits = 0;
    if (ok_ && varint(bits)) v = std::bit_cast<double>(bits);
  }

  void operator()(int64_t& v) {
    uint64_t n = 0;
    if (ok_ && varint(n)) v = unzigzag(n);
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
  putVarint(out, batch.qos.size());
  encodeRows(batch.qos, e);
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
  batch.qos.clear();
  if (version < 3) return d.atEnd();  // the storage-class trailer came with version 3
  for (SipMessageRow& m : batch.messages) d(m.storage_class);
  uint64_t summaries = 0;
  if (!d.ok() || !d.varint(summaries) || summaries > d.left() / 7) return false;
  if (!decodeRows(batch.summaries, summaries, d)) return false;
  if (version < 4) return d.atEnd();  // sip_qos rows came with version 4
  uint64_t qos = 0;
  if (!d.varint(qos) || qos > d.left() / kMinQosRowBytes) return false;
  return decodeRows(batch.qos, qos, d) && d.atEnd();
}

}  // namespace sipvault::writer
