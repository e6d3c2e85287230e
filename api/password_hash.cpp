#include "api/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>

#include "api/base64.h"

namespace sipvault::api {

namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr std::string_view kScheme = "pbkdf2-sha256";

std::optional<std::string> derive(std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1)
    return std::nullopt;
  return key;
}

}  // namespace

std::optional<std::string> randomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) return std::nullopt;
  return out;
}

std::optional<std::string> hashPassword(std::string_view password, uint32_t iterations) {
  auto salt = randomBytes(kSaltBytes);
  if (!salt) return std::nullopt;
  auto key = derive(password, *salt, iterations);
  if (!key) return std::nullopt;
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64UrlEncode(*salt) + "$" +
         base64UrlEncode(*key);
}

bool verifyPassword(std::string_view password, std::string_view stored) {
  // scheme$iterations$salt$hash
  std::string_view parts[4];
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t end = i == 3 ? stored.size() : stored.find('$', pos);
    if (end == std::string_view::npos) return false;
    parts[i] = stored.substr(pos, end - pos);
    pos = end + 1;
  }
  if (parts[0] != kScheme) return false;
  uint32_t iterations = 0;
  auto [ptr, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc() || ptr != parts[1].data() + parts[1].size() || iterations == 0 || iterations > 10000000)
    return false;
  auto salt = base64UrlDecode(parts[2]);
  auto expected = base64UrlDecode(parts[3]);
  if (!salt || !expected || expected->size() != kKeyBytes) return false;
  auto key = derive(password, *salt, iterations);
  return key && CRYPTO_memcmp(key->data(), expected->data(), kKeyBytes) == 0;
}

std::string sha256(std::string_view bytes) {
  std::string out(32, '\0');
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(), nullptr);
  return out;
}

std::optional<std::string> randomPassword() {
  auto bytes = randomBytes(18);
  if (!bytes) return std::nullopt;
  return base64UrlEncode(*bytes);
}

}  // namespace sipvault::api
