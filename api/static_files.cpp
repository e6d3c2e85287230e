#include "api/static_files.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sipvault::api {

namespace {

constexpr off_t kMaxFileBytes = 32 << 20;

bool safeSegment(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;  // also "." and ".."
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '/') return false;
  return true;
}

std::optional<std::string> realPath(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

}  // namespace

std::string StaticFiles::contentType(std::string_view name) {
  const size_t dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "wasm") return "application/wasm";
  return "application/octet-stream";
}

std::optional<StaticFile> StaticFiles::resolve(const std::vector<std::string>& segments) const {
  std::vector<std::string> rel = segments;
  if (!rel.empty() && rel.front() == "ui") rel.erase(rel.begin());
  if (rel.empty()) rel.push_back("index.html");
  std::string candidate = root_;
  for (const std::string& s : rel) {
    if (!safeSegment(s)) return std::nullopt;
    candidate += '/';
    candidate += s;
  }
  auto root = realPath(root_);
  auto file = realPath(candidate);
  if (!root || !file || file->rfind(*root + "/", 0) != 0) return std::nullopt;
  struct stat st {};
  if (::stat(file->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxFileBytes) return std::nullopt;
  return StaticFile{*file, contentType(*file)};
}

std::optional<std::string> StaticFiles::read(const StaticFile& file) {
  std::ifstream in(file.path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (!in.good() && !in.eof()) return std::nullopt;
  return out.str();
}

}  // namespace sipvault::api
