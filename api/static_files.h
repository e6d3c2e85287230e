#pragma once
// The web UI's files (api.ui_dir) at "/" and "/ui/...":
//   "/", "/ui", "/ui/"  -> index.html
//   "/ui/<path>"        -> <ui_dir>/<path>
//   "/<path>"           -> <ui_dir>/<path>   (so that relative links from "/" work too)
// A path is refused (404) when any segment is empty, ".", "..", starts with '.', or holds a NUL,
// '\' or a control character; the file found must then still lie inside ui_dir once symlinks
// are resolved (realpath prefix check), and must be a regular file of at most 32 MiB.
// Content types come from the file extension. Thread-safe (no mutable state).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::api {

struct StaticFile {
  std::string path;          // resolved absolute path
  std::string content_type;
};

class StaticFiles {
 public:
  // `root` need not exist yet; every request resolves it again (the UI may be rebuilt while the
  // api runs).
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}

  // `segments` are the decoded path segments of the request.
  [[nodiscard]] std::optional<StaticFile> resolve(const std::vector<std::string>& segments) const;
  // Reads a resolved file; nullopt when it cannot be read.
  [[nodiscard]] static std::optional<std::string> read(const StaticFile& file);
  [[nodiscard]] static std::string contentType(std::string_view filename);
  [[nodiscard]] const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace sipvault::api
