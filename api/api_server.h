#pragma once
// The HTTP front of sipvault-api: a Poco::Net::HTTPServer whose one request handler applies the
// limits, decodes the request, authenticates it, routes it to a handler object (auth, admin,
// search, export, stats, system, static files), records metrics, and writes the response with
// the security headers.
//
// Limits (answered before any handler runs):
//   request target longer than api.max_query_bytes -> 414 (Poco itself refuses targets over 16 KiB
//   with 400); body over api.max_body_bytes -> 413 (a body of up to 1 MiB is read and dropped
//   first, so that clients that send it all see the answer; larger ones get the connection
//   closed); header lines and counts are bounded by Poco (field name 256, value 8192 bytes, 100
//   fields), beyond which Poco answers 400.
// Every response carries X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
// X-Frame-Options: DENY; UI files get Content-Security-Policy: default-src 'self', API responses
// Content-Security-Policy: default-src 'none' and Cache-Control: no-store; both CSPs add
// frame-ancestors 'none'; base-uri 'none'. Over HTTPS: Strict-Transport-Security (one year).
//
// Connections (connection_guard.h): at most api.max_connections_per_source per client address at
// once, and each request must be done within api.request_deadline_s, else the socket is shut down.
// The client address of a request is the TCP peer, or X-Forwarded-For from api.trusted_proxies.
//
// HTTPS (api.tls_cert + api.tls_key): the listener is a Poco::Net::SecureServerSocket and speaks
// TLS 1.2+ only; a client that does not (plain HTTP) fails its handshake on the server thread
// that took it, and gets the connection closed. Every Set-Cookie then carries Secure.
//
// start() and stop() from one thread; requests are served on the server's threads.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/api_context.h"
#include "api/connection_guard.h"
#include "api/static_files.h"

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class TCPServer;
}

namespace sipvault::api {

class Router;

class ApiServer {
 public:
  ApiServer(ApiContext& ctx, StaticFiles files);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds api.listen and starts serving. False with `error` (naming the address) when it cannot.
  [[nodiscard]] bool start(std::string& error);
  // Whether api.tls_cert / api.tls_key load (true when HTTPS is off); `error` names the file.
  [[nodiscard]] static bool checkTls(const ApiOptions& options, std::string& error);
  // Stops accepting and waits for running requests.
  void stop();
  // "HOST:PORT" actually bound (after start).
  [[nodiscard]] const std::string& boundAddress() const { return bound_; }

 private:
  ApiContext& ctx_;
  std::shared_ptr<Router> router_;
  std::unique_ptr<ConnectionGuard> guard_;
  Counter& refused_;
  std::unique_ptr<Poco::ThreadPool> threads_;  // outlives server_ (declared first, destroyed last)
  std::unique_ptr<Poco::Net::TCPServer> server_;
  std::function<void()> stop_connections_;  // ends keep-alive connections after their request
  std::string bound_;
};

// The token of an `Authorization: Bearer <token>` header value; the scheme in any case
// ("bearer", "BEARER"), one or more spaces before the token. nullopt for any other scheme.
[[nodiscard]] std::optional<std::string_view> bearerToken(std::string_view authorization);

// `set_cookie` (a Set-Cookie value) with the Secure attribute, added unless already there.
[[nodiscard]] std::string withSecureAttribute(std::string_view set_cookie);

}  // namespace sipvault::api
