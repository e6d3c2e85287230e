#pragma once
// Reading test inputs: whole files, and paths into the read-only third-party corpus
// (../shared/corpus, SIPVAULT_CORPUS_DIR from sipvault_add_tests). Throws on a missing file: a test
// must not pass on nothing.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sipvault::test {

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

#ifdef SIPVAULT_CORPUS_DIR
inline std::filesystem::path corpusDir() { return SIPVAULT_CORPUS_DIR; }
inline std::string corpusPath(const std::string& relative) { return (corpusDir() / relative).string(); }
#endif

}  // namespace sipvault::test
