#include "store/stored_rows.h"

#include <iterator>

#include "store/search_key.h"

namespace sipvault::store {

void RowBatch::append(RowBatch&& other) {
  auto move_all = [](auto& dst, auto& src) {
    if (dst.empty()) {
      dst = std::move(src);
    } else {
      dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
    }
    src.clear();
  };
  move_all(messages, other.messages);
  move_all(rejects, other.rejects);
  move_all(others, other.others);
  move_all(summaries, other.summaries);
  move_all(qos, other.qos);
}

void appendHeaderRows(const std::vector<SipMessageRow>& messages, std::vector<HeaderRow>& out) {
  for (const SipMessageRow& m : messages) {
    for (size_t i = 0; i < m.headers.size() && i <= UINT8_MAX; ++i) {
      const HeaderValue& v = m.headers[i];
      HeaderRow& r = out.emplace_back();
      r.capture_us = m.packet.capture_us;
      r.message_id = m.packet.id;
      r.seq = static_cast<uint8_t>(i);
      r.kind = v.kind;
      r.name.assign(std::string_view(v.name).substr(0, kHeaderNameWidth));
      r.value.assign(std::string_view(v.value).substr(0, kHeaderValueWidth));
      r.name_hash = searchKey(r.name);
      r.value_hash = searchKey(r.value);
    }
  }
}

}  // namespace sipvault::store
