#pragma once
// Aliases (issue 14): operator-given names for a CIDR prefix, an IP:port or a HEP capture id,
// stored in api_aliases (store/sql/010_aliases.sql). The api shows them instead of addresses and
// searches by them; the parser uses them as the bounded label set of its SIP KPIs. Both read the
// same rows, so this value type and its rules live here, below both daemons. Pure: no I/O.
//
// Target syntax (canonical text is what formatAliasTarget() prints and the table stores):
//   192.0.2.0/24, 2001:db8::/32   a prefix; host bits must be zero
//   192.0.2.10, 2001:db8::1       one address (= /32 or /128)
//   192.0.2.10:5060, [2001:db8::1]:5060   one address and port
//   capture:2001                  a HEP capture id (0..4294967295)
// Names: 1..64 bytes of UTF-8 without control characters and without leading/trailing spaces.
// Any other character is allowed (an admin may write "<b>"): every reader escapes for its output
// (the UI through textContent, Prometheus label escaping in the parser).
//
// Lookup (which alias an ip/port/capture id shows as), most specific first: an IP:port target,
// then the longest prefix holding the address, then the capture id; none -> nullptr.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sipvault::store {

inline constexpr size_t kMaxAliasNameBytes = 64;
// Upper bound on the rows anyone reads: an alias table is an operator's list, not data.
inline constexpr size_t kMaxAliasRows = 10000;

struct AliasTarget {
  enum class Kind { Prefix, Endpoint, Capture };
  Kind kind = Kind::Prefix;
  std::string address;      // raw network/host address, 4 or 16 bytes (Prefix, Endpoint)
  uint8_t prefix_bits = 0;  // Prefix: 0..32 / 0..128
  uint16_t port = 0;        // Endpoint
  uint32_t capture_id = 0;  // Capture

  // First and last raw address of a Prefix (equal for a /32 or /128).
  [[nodiscard]] std::string firstAddress() const;
  [[nodiscard]] std::string lastAddress() const;
  [[nodiscard]] bool contains(std::string_view raw_ip) const;  // Prefix only
  bool operator==(const AliasTarget&) const = default;
};

struct Alias {
  uint64_t id = 0;
  std::string name;
  AliasTarget target;
};

// nullopt with `why` (a sentence for an HTTP 400) when `text` is no valid target.
[[nodiscard]] std::optional<AliasTarget> parseAliasTarget(std::string_view text, std::string& why);
[[nodiscard]] std::string formatAliasTarget(const AliasTarget& target);
[[nodiscard]] std::string_view aliasKindName(AliasTarget::Kind kind);  // "prefix" / "endpoint" / "capture"
// False with `why` when `name` breaks the rules above.
[[nodiscard]] bool validAliasName(std::string_view name, std::string& why);

// The aliases as one immutable lookup structure; build once, share read-only between threads.
class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(std::vector<Alias> aliases);

  // The alias an address shows as (rules above); nullptr when none. `raw_ip` is 4 or 16 bytes.
  [[nodiscard]] const std::string* nameOf(std::string_view raw_ip, uint16_t port, uint32_t capture_id) const;
  // The alias of the address alone (IP:port targets of that port, then prefixes); nullptr when none.
  [[nodiscard]] const std::string* nameOfAddress(std::string_view raw_ip, uint16_t port) const;
  // Every target of `name` (exact, case-sensitive); empty when there is no such alias.
  [[nodiscard]] std::vector<AliasTarget> targetsOf(std::string_view name) const;
  // Distinct names, sorted.
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] const std::vector<Alias>& all() const { return aliases_; }
  [[nodiscard]] bool empty() const { return aliases_.empty(); }

 private:
  std::vector<Alias> aliases_;                          // sorted by name, then target
  std::unordered_map<std::string, size_t> endpoints_;   // raw ip + 2 port bytes -> index
  std::unordered_map<uint32_t, size_t> captures_;       // capture id -> index
  std::vector<size_t> prefixes_;                        // indexes, longest prefix first
};

}  // namespace sipvault::store
