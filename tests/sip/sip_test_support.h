#pragma once
// Test helpers: read corpus files and keep the bytes alive next to the parsed message.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sip/sip_parser.h"
#include "tests/support/test_files.h"  // readFile, corpusPath

namespace sipvault::test {

// Sorted file names (not paths) in a corpus folder with the given extension.
inline std::vector<std::string> corpusFiles(const std::string& rel_dir, const std::string& ext) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(corpusPath(rel_dir)))
    if (e.path().extension() == ext) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The bytes and the message parsed from them, kept together (the message borrows the bytes).
struct Parsed {
  std::string bytes;
  sip::SipMessage msg;
  sip::ParseOutcome outcome;
};

inline std::unique_ptr<Parsed> parseBytes(std::string bytes) {
  auto p = std::make_unique<Parsed>();
  p->bytes = std::move(bytes);
  p->outcome = sip::parseSipMessage(p->bytes, p->msg);
  return p;
}

inline std::unique_ptr<Parsed> parseCorpusFile(const std::string& rel) {
  return parseBytes(readFile(corpusPath(rel)));
}

// "duplicate_header,bad_cseq" for failure messages.
inline std::string flagList(uint32_t flags) {
  std::string s;
  for (uint32_t bit = 1; bit != 0; bit <<= 1)
    if (flags & bit) {
      if (!s.empty()) s += ',';
      s += std::string(sip::sipFlagName(sip::SipFlag(bit)));
    }
  return s;
}

}  // namespace sipvault::test
