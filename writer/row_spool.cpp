#include "writer/row_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

namespace sipvault::writer {

namespace {

constexpr std::string_view kLegacySegmentMagic = "SVSPOOL1";  // unkeyed records; still replayed
constexpr std::string_view kSegmentMagic = "SVSPOOL2";        // followed by the segment's 8-byte key
constexpr std::string_view kRecordMagic = "SVR1";
constexpr std::string_view kCursorMagic = "SVCURS01";
constexpr uint64_t kLegacySegmentHeaderBytes = 8;
constexpr uint64_t kSegmentHeaderBytes = 16;
constexpr uint64_t kRecordHeaderBytes = 12;
constexpr uint64_t kCursorBytes = 28;
// No single record is this large (a flush of 2000 rows is ~1 MB); a longer length is damage.
constexpr uint64_t kMaxRecordBytes = 1ull << 30;

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

void putLe(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t getLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

uint32_t crcOf(std::string_view a, std::string_view b = {}, std::string_view key = {}) {
  uLong c = crc32(0L, Z_NULL, 0);
  if (!key.empty()) c = crc32(c, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
  c = crc32(c, reinterpret_cast<const Bytef*>(a.data()), static_cast<uInt>(a.size()));
  // Payloads may pass 4 GiB in theory; crc32_z takes a size_t. (A null buffer would make zlib
  // return its initial value, 0, instead of the CRC so far.)
  if (!b.empty()) c = crc32_z(c, reinterpret_cast<const Bytef*>(b.data()), b.size());
  return static_cast<uint32_t>(c);
}

// Size of the valid record starting at `at` in `buf`, 0 when there is none. `key` is the segment's
// record key ("" in a legacy segment).
uint64_t validRecordAt(std::string_view buf, uint64_t at, std::string_view key) {
  if (at + kRecordHeaderBytes > buf.size() || buf.substr(at, 4) != kRecordMagic) return 0;
  const uint64_t len = getLe(buf.data() + at + 4, 4);
  if (len > kMaxRecordBytes || at + kRecordHeaderBytes + len > buf.size()) return 0;
  const uint32_t crc = static_cast<uint32_t>(getLe(buf.data() + at + 8, 4));
  if (crcOf(buf.substr(at + 4, 4), buf.substr(at + kRecordHeaderBytes, len), key) != crc) return 0;
  return kRecordHeaderBytes + len;
}

// Offset of the first valid record at or after `from`, or buf.size() when there is none.
uint64_t findValidRecord(std::string_view buf, uint64_t from, std::string_view key) {
  for (uint64_t at = from; at < buf.size();) {
    const size_t hit = buf.find(kRecordMagic, at);
    if (hit == std::string_view::npos) break;
    if (validRecordAt(buf, hit, key)) return hit;
    at = hit + 1;
  }
  return buf.size();
}

// Reads [offset, offset + n) of `fd` into `out`; false on an I/O error or a short file.
bool readAt(int fd, uint64_t offset, uint64_t n, std::string& out) {
  out.resize(n);
  uint64_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<uint64_t>(r);
  }
  return true;
}

bool writeAll(int fd, const iovec* iov_in, int count) {
  std::vector<iovec> iov(iov_in, iov_in + count);
  size_t first = 0;
  while (first < iov.size()) {
    const ssize_t w = ::writev(fd, iov.data() + first, static_cast<int>(iov.size() - first));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    size_t left = static_cast<size_t>(w);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

void syncDir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// "spool-00000000000000a1.seg" -> 0xa1
std::optional<uint64_t> segmentSeq(const std::string& name) {
  if (name.size() != 6 + 16 + 4 || name.rfind("spool-", 0) != 0 || name.substr(22) != ".seg") return std::nullopt;
  uint64_t v = 0;
  for (char c : name.substr(6, 16)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

RowSpool::RowSpool(RowSpoolOptions options) : options_(std::move(options)) {
  options_.segment_bytes = std::max<uint64_t>(options_.segment_bytes, kSegmentHeaderBytes + kRecordHeaderBytes + 1);
}

RowSpool::~RowSpool() {
  std::string ignored;
  (void)sync(ignored);
  closeFd(append_fd_);
  closeFd(read_fd_);
  closeFd(lock_fd_);  // releases the flock
}

std::filesystem::path RowSpool::segmentPath(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "spool-%016llx.seg", static_cast<unsigned long long>(seq));
  return options_.dir / name;
}

std::unique_ptr<RowSpool> RowSpool::open(const RowSpoolOptions& options, std::string& error) {
  std::unique_ptr<RowSpool> spool(new RowSpool(options));
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    error = "cannot create spool directory " + options.dir.string() + ": " + ec.message();
    return nullptr;
  }
  const std::string lock = (options.dir / "LOCK").string();
  spool->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (spool->lock_fd_ < 0) {
    error = errnoText("cannot open " + lock);
    return nullptr;
  }
  if (::flock(spool->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    error = errno == EWOULDBLOCK ? "spool directory " + options.dir.string() + " is in use by another process"
                                 : errnoText("cannot lock " + lock);
    return nullptr;
  }
  if (!spool->recover(error)) return nullptr;
  return spool;
}

bool RowSpool::recover(std::string& error) {
  std::vector<uint64_t> seqs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec))
    if (auto seq = segmentSeq(entry.path().filename().string())) seqs.push_back(*seq);
  if (ec) {
    error = "cannot list spool directory " + options_.dir.string() + ": " + ec.message();
    return false;
  }
  std::sort(seqs.begin(), seqs.end());
  std::filesystem::remove(options_.dir / "cursor.tmp", ec);

  // Where reading resumes. Without a readable cursor: the oldest segment (replaying twice beats losing).
  uint64_t cursor_seq = 0, cursor_offset = kSegmentHeaderBytes;
  std::string cursor;
  const int cfd = ::open((options_.dir / "cursor").c_str(), O_RDONLY | O_CLOEXEC);
  if (cfd >= 0) {
    if (readAt(cfd, 0, kCursorBytes, cursor) && std::string_view(cursor).substr(0, 8) == kCursorMagic &&
        getLe(cursor.data() + 24, 4) == crcOf(std::string_view(cursor).substr(0, 24))) {
      cursor_seq = getLe(cursor.data() + 8, 8);
      cursor_offset = getLe(cursor.data() + 16, 8);
    } else {
      recovery_.cursor_reset = true;
    }
    ::close(cfd);
  }

  std::string buf;
  for (size_t i = 0; i < seqs.size(); ++i) {
    const uint64_t seq = seqs[i];
    const auto path = segmentPath(seq);
    if (seq < cursor_seq) {  // read completely before the last stop
      std::filesystem::remove(path, ec);
      continue;
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !readAt(fd, 0, static_cast<uint64_t>(st.st_size), buf)) {
      error = errnoText("cannot read spool segment " + path.string());
      if (fd >= 0) ::close(fd);
      return false;
    }
    const std::string_view magic = std::string_view(buf).substr(0, 8);
    const bool keyed = magic == kSegmentMagic && buf.size() >= kSegmentHeaderBytes;
    if (!keyed && magic != kLegacySegmentMagic) {
      ++recovery_.bad_segments;
      ++corrupt_records_;
      corrupt_bytes_ += buf.size();
      ::close(fd);
      std::filesystem::remove(path, ec);
      continue;
    }
    Segment segment{seq, 0, keyed ? kSegmentHeaderBytes : kLegacySegmentHeaderBytes,
                    keyed ? buf.substr(8, 8) : std::string()};
    uint64_t start = segment.header_bytes;
    if (segments_.empty() && seq == cursor_seq)
      start = std::clamp<uint64_t>(cursor_offset, start, buf.size());
    uint64_t valid_end = start;  // end of the last valid record
    for (uint64_t at = start; at < buf.size();) {
      if (const uint64_t n = validRecordAt(buf, at, segment.key)) {
        ++records_;
        at += n;
        valid_end = at;
      } else {
        at = findValidRecord(buf, at + 1,
                             segment.key);  // damage in between is counted when reading reaches it
      }
    }
    uint64_t size = buf.size();
    const bool last = i + 1 == seqs.size();
    if (last && valid_end < size) {  // a torn append: cut it off so new appends follow valid data
      if (::ftruncate(fd, static_cast<off_t>(valid_end)) != 0) {
        error = errnoText("cannot truncate torn spool segment " + path.string());
        ::close(fd);
        return false;
      }
      recovery_.torn_tail_bytes = size - valid_end;
      ++corrupt_records_;
      corrupt_bytes_ += size - valid_end;
      size = valid_end;
    }
    ::close(fd);
    if (segments_.empty()) read_offset_ = start;
    segment.size = size;
    segments_.push_back(std::move(segment));
    bytes_ += size;
  }
  next_seq_ = std::max(cursor_seq, seqs.empty() ? uint64_t{1} : seqs.back() + 1);
  if (next_seq_ == 0) next_seq_ = 1;
  if (records_ == 0 && !segments_.empty()) removeAllSegments();  // all read before; nothing to keep
  recovery_.segments = segments_.size();
  recovery_.records = records_;
  recovery_.bytes = bytes_;
  last_sync_ = std::chrono::steady_clock::now();
  return true;
}

bool RowSpool::startSegment(std::string& error) {
  const uint64_t seq = next_seq_;
  const auto path = segmentPath(seq);
  // Records acked from the old segment must be on disk before it is left: sync() only ever
  // syncs the segment appended to last.
  if (append_fd_ >= 0 && dirty_) {
    if (::fdatasync(append_fd_) != 0) {
      error = errnoText("cannot sync spool segment " + segmentPath(segments_.back().seq).string());
      return false;
    }
    ++data_syncs_;
    dirty_ = false;
  }
  closeFd(append_fd_);
  append_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (append_fd_ < 0) {
    error = errnoText("cannot create spool segment " + path.string());
    return false;
  }
  // A random key per segment seeds every record's CRC: bytes that only look like a record (a
  // captured packet holding "SVR1" + length + CRC) fail the check when reading resyncs after damage.
  Segment segment{seq, kSegmentHeaderBytes, kSegmentHeaderBytes, std::string(8, '\0')};
  if (::getrandom(segment.key.data(), segment.key.size(), 0) != static_cast<ssize_t>(segment.key.size())) {
    error = errnoText("cannot draw a key for spool segment " + path.string());
    closeFd(append_fd_);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return false;
  }
  const std::string header_bytes = std::string(kSegmentMagic) + segment.key;
  const iovec header{const_cast<char*>(header_bytes.data()), header_bytes.size()};
  if (!writeAll(append_fd_, &header, 1) ||
      (options_.fsync_interval.count() == 0 && ::fdatasync(append_fd_) != 0)) {
    error = errnoText("cannot write spool segment " + path.string());
    closeFd(append_fd_);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return false;
  }
  if (options_.fsync_interval.count() == 0) syncDir(options_.dir);  // the new name must survive too
  ++next_seq_;
  if (segments_.empty()) {
    read_offset_ = kSegmentHeaderBytes;
    closeFd(read_fd_);
  }
  segments_.push_back(std::move(segment));
  bytes_ += kSegmentHeaderBytes;
  return true;
}

RowSpool::AppendResult RowSpool::append(std::string_view payload, std::string& error) {
  if (payload.size() > kMaxRecordBytes) {
    error = "spool record of " + std::to_string(payload.size()) + " bytes is larger than the 1 GiB limit";
    return AppendResult::IoError;
  }
  const uint64_t record = kRecordHeaderBytes + payload.size();
  // A legacy (unkeyed) segment left by an older writer takes no new records.
  const bool roll = segments_.empty() || segments_.back().key.empty() ||
                    (segments_.back().size + record > options_.segment_bytes &&
                     segments_.back().size > segments_.back().header_bytes);
  if (bytes_ + record + (roll ? kSegmentHeaderBytes : 0) > options_.max_bytes) return AppendResult::Full;
  if (roll) {
    if (!startSegment(error)) return AppendResult::IoError;
  } else if (append_fd_ < 0) {  // the last segment was left by an earlier process
    const auto path = segmentPath(segments_.back().seq);
    append_fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (append_fd_ < 0) {
      error = errnoText("cannot open spool segment " + path.string());
      return AppendResult::IoError;
    }
  }
  Segment& seg = segments_.back();
  char header[kRecordHeaderBytes];
  std::memcpy(header, kRecordMagic.data(), 4);
  putLe(header + 4, payload.size(), 4);
  putLe(header + 8, crcOf(std::string_view(header + 4, 4), payload, seg.key), 4);
  const iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(payload.data()), payload.size()}};
  const bool synced_now = options_.fsync_interval.count() == 0;
  if (!writeAll(append_fd_, iov, 2) || (synced_now && ::fdatasync(append_fd_) != 0)) {
    error = errnoText("cannot append to spool segment " + segmentPath(seg.seq).string());
    // Leave no partial or unsynced record behind: the caller keeps the batch and retries.
    if (::ftruncate(append_fd_, static_cast<off_t>(seg.size)) != 0) closeFd(append_fd_);
    return AppendResult::IoError;
  }
  seg.size += record;
  bytes_ += record;
  ++records_;
  if (!synced_now) {
    dirty_ = true;
    std::string sync_error;
    (void)syncIfDue(sync_error);  // a failure here shows at the next sync(); the data is in the page cache
  }
  return AppendResult::Appended;
}

RowSpool::ReadResult RowSpool::front(std::string& payload, std::string& error) {
  front_size_ = 0;
  std::string rest;
  while (records_ > 0) {
    if (segments_.empty()) {  // cannot happen while records_ > 0; be safe rather than loop
      records_ = 0;
      break;
    }
    const Segment& seg = segments_.front();
    if (read_offset_ >= seg.size) {
      if (segments_.size() == 1) {
        records_ = 0;
        break;
      }
      dropFrontSegment();
      continue;
    }
    if (read_fd_ < 0) {
      read_fd_ = ::open(segmentPath(seg.seq).c_str(), O_RDONLY | O_CLOEXEC);
      if (read_fd_ < 0) {
        error = errnoText("cannot open spool segment " + segmentPath(seg.seq).string());
        return ReadResult::IoError;
      }
    }
    const uint64_t left = seg.size - read_offset_;
    std::string header;
    if (left >= kRecordHeaderBytes) {
      if (!readAt(read_fd_, read_offset_, kRecordHeaderBytes, header)) {
        error = errnoText("cannot read spool segment " + segmentPath(seg.seq).string());
        return ReadResult::IoError;
      }
      const uint64_t len = getLe(header.data() + 4, 4);
      if (std::string_view(header).substr(0, 4) == kRecordMagic && len <= kMaxRecordBytes &&
          kRecordHeaderBytes + len <= left) {
        if (!readAt(read_fd_, read_offset_ + kRecordHeaderBytes, len, payload)) {
          error = errnoText("cannot read spool segment " + segmentPath(seg.seq).string());
          return ReadResult::IoError;
        }
        if (crcOf(std::string_view(header).substr(4, 4), payload, seg.key) == getLe(header.data() + 8, 4)) {
          front_size_ = kRecordHeaderBytes + len;
          return ReadResult::Record;
        }
      }
    }
    // Damage: skip to the next valid record of this segment (or its end), counting what is skipped.
    if (!readAt(read_fd_, read_offset_, left, rest)) {
      error = errnoText("cannot read spool segment " + segmentPath(seg.seq).string());
      return ReadResult::IoError;
    }
    const uint64_t skip = findValidRecord(rest, 1, seg.key);
    ++corrupt_records_;
    corrupt_bytes_ += skip;
    read_offset_ += skip;
  }
  return ReadResult::Empty;
}

bool RowSpool::pop(std::string& error) {
  if (front_size_ == 0 || records_ == 0) return true;
  read_offset_ += front_size_;
  front_size_ = 0;
  --records_;
  if (records_ == 0) {
    removeAllSegments();
    return writeCursor(next_seq_, kSegmentHeaderBytes, error);
  }
  if (read_offset_ >= segments_.front().size && segments_.size() > 1) dropFrontSegment();
  return writeCursor(segments_.front().seq, read_offset_, error);
}

void RowSpool::dropFrontSegment() {
  closeFd(read_fd_);
  if (segments_.size() == 1) closeFd(append_fd_);
  std::error_code ec;
  std::filesystem::remove(segmentPath(segments_.front().seq), ec);
  bytes_ -= segments_.front().size;
  segments_.pop_front();
  read_offset_ = segments_.empty() ? kSegmentHeaderBytes : segments_.front().header_bytes;
}

void RowSpool::removeAllSegments() {
  while (!segments_.empty()) dropFrontSegment();
  dirty_ = false;
}

bool RowSpool::writeCursor(uint64_t seq, uint64_t offset, std::string& error) {
  char c[kCursorBytes];
  std::memcpy(c, kCursorMagic.data(), 8);
  putLe(c + 8, seq, 8);
  putLe(c + 16, offset, 8);
  putLe(c + 24, crcOf(std::string_view(c, 24)), 4);
  const auto tmp = options_.dir / "cursor.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const iovec iov{c, sizeof c};
  const bool ok = fd >= 0 && writeAll(fd, &iov, 1);
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), (options_.dir / "cursor").c_str()) != 0) {
    error = errnoText("cannot write spool cursor " + tmp.string());
    return false;
  }
  return true;
}

bool RowSpool::sync(std::string& error) {
  if (!dirty_ || append_fd_ < 0) return true;
  last_sync_ = std::chrono::steady_clock::now();
  if (::fdatasync(append_fd_) != 0) {
    error = errnoText("cannot sync spool segment");
    return false;
  }
  ++data_syncs_;
  syncDir(options_.dir);
  dirty_ = false;
  return true;
}

bool RowSpool::syncIfDue(std::string& error) {
  if (!dirty_ || std::chrono::steady_clock::now() - last_sync_ < options_.fsync_interval) return true;
  return sync(error);
}

}  // namespace sipvault::writer
