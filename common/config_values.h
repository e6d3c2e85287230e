#pragma once
// Typed reads of config keys for the stages' Options::fromConfig. Errors throw
// Poco::InvalidArgumentException naming the key and the allowed range, which StageApp turns into
// one clear start-up line.
#include <cstdint>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault {

// "a, b,,c" -> {"a", "b", "c"} (trimmed, empty items dropped).
[[nodiscard]] std::vector<std::string> splitList(const std::string& text);
[[nodiscard]] std::string joinList(const std::vector<std::string>& items);

// The integer at `key` (default `def`), which must lie in [lo, hi].
[[nodiscard]] int64_t intInRange(const Poco::Util::AbstractConfiguration& config, const std::string& key, int64_t def,
                                 int64_t lo, int64_t hi);

// The boolean at `key` (default `def`): true/false, yes/no, on/off, 1/0.
[[nodiscard]] bool boolValue(const Poco::Util::AbstractConfiguration& config, const std::string& key,
                             bool def);

}  // namespace sipvault
