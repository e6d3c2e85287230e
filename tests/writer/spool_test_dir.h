#pragma once
// A fresh, empty directory under the build tree for one spool test, removed afterwards.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>

namespace sipvault::test {

class SpoolTestDir {
 public:
  explicit SpoolTestDir(std::string_view tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(SIPVAULT_BINARY_DIR) / "test-spool" /
            (std::string(tag) + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  ~SpoolTestDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  SpoolTestDir(const SpoolTestDir&) = delete;
  SpoolTestDir& operator=(const SpoolTestDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sipvault::test
