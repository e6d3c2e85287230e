#pragma once
// Password hashing and token secrets (OpenSSL libcrypto). Thread-safe.
//
// Stored password format: "pbkdf2-sha256$<iterations>$<salt, base64url>$<hash, base64url>"
// with a random 16-byte salt and a 32-byte PBKDF2-HMAC-SHA256 output. The iteration count is
// stored with the hash, so raising kPasswordIterations later keeps old hashes valid.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault::api {

inline constexpr uint32_t kPasswordIterations = 120000;

// nullopt when the system random source fails (then nothing must be stored).
[[nodiscard]] std::optional<std::string> hashPassword(std::string_view password,
                                                      uint32_t iterations = kPasswordIterations);
// Constant-time comparison of the derived key; false for a malformed stored value.
[[nodiscard]] bool verifyPassword(std::string_view password, std::string_view stored);

// `n` bytes from the OS CSPRNG (OpenSSL RAND_bytes); nullopt on failure.
[[nodiscard]] std::optional<std::string> randomBytes(size_t n);
// SHA-256 of `bytes` (32 raw bytes): what the database stores of a bearer token.
[[nodiscard]] std::string sha256(std::string_view bytes);
// A new printable password (base64url of 18 random bytes: 24 characters).
[[nodiscard]] std::optional<std::string> randomPassword();

}  // namespace sipvault::api
