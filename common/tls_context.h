#pragma once
// TLS for the HEP stream (the collector's TLS listener, the agent's tls: output): an OpenSSL
// context built from PEM files, and a non-blocking session over a connected socket.
//
// Policy (both sides): TLS 1.2 or newer, OpenSSL's default cipher suites. A peer that closes
// without close_notify is treated as a clean close (HEP has its own framing, so a truncation
// attack can only cut a stream at a packet the framer then never completes).
//
// Thread-safety: a TlsContext is immutable once built and may be shared by any number of
// sessions and threads. A TlsSession belongs to one thread. Neither owns the socket.
// Failure is a value: factories return nullptr with an error naming the file and OpenSSL's
// reason; session calls return TlsIo::Failed with failure() / failureKind() set.
#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

// OpenSSL's types, declared here so that users of this header need not include OpenSSL.
struct ssl_ctx_st;
struct ssl_st;

namespace sipvault {

// PEM files of one side. Relative paths are taken from the working directory.
struct TlsFiles {
  std::string cert;  // certificate chain, leaf first ("" = none)
  std::string key;   // private key of `cert` (unencrypted)
  std::string ca;    // CA bundle that signs the peer's certificate ("" = none / system store)
};

class TlsContext {
 public:
  // Server: cert + key required. With files.ca set, every client must present a certificate
  // signed by that CA (mutual TLS); without, clients are not asked for one.
  [[nodiscard]] static std::shared_ptr<TlsContext> server(const TlsFiles& files, std::string& error);
  // Client: verify_peer = the server's certificate must chain to files.ca (the system store
  // when files.ca is "") and name the host given to TlsSession::connect; false = accept any
  // certificate (encryption without authentication). cert + key: optional, for mutual TLS.
  [[nodiscard]] static std::shared_ptr<TlsContext> client(const TlsFiles& files, bool verify_peer,
                                                          std::string& error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  [[nodiscard]] bool verifiesPeer() const { return verify_peer_; }
  [[nodiscard]] ssl_ctx_st* native() const { return ctx_; }

 private:
  TlsContext(ssl_ctx_st* ctx, bool verify_peer) : ctx_(ctx), verify_peer_(verify_peer) {}
  ssl_ctx_st* ctx_;
  bool verify_peer_;
};

enum class TlsIo : uint8_t {
  Done,       // handshake complete / bytes moved
  WantRead,   // try again when the socket is readable
  WantWrite,  // try again when the socket is writable
  Closed,     // the peer closed the connection (close_notify or EOF)
  Failed,     // protocol error, certificate refused, socket error: see failure()
};

// Why a handshake or session failed, for counters.
enum class TlsFailure : uint8_t {
  None,
  Protocol,     // not TLS, version/cipher mismatch, connection cut during the handshake
  Certificate,  // a certificate missing, expired, untrusted or for another name (either side)
};

class TlsSession {
 public:
  // Server side of an accepted, non-blocking socket. nullptr only when OpenSSL is out of memory.
  [[nodiscard]] static std::unique_ptr<TlsSession> accept(const TlsContext& ctx, int fd);
  // Client side of a connected, non-blocking socket. `server_name` (a DNS name or an IP
  // literal) is sent as SNI (names only) and, when the context verifies, must be in the
  // server's certificate.
  [[nodiscard]] static std::unique_ptr<TlsSession> connect(const TlsContext& ctx, int fd,
                                                           const std::string& server_name);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // One step of the handshake; Done once it is complete. A client that sent its certificate
  // under TLS 1.3 finishes its side before the server has judged that certificate, so it also
  // waits here for the verdict: the server's session ticket (accepted; OpenSSL servers send one
  // right after checking) or its alert (Failed). A server that sends no tickets leaves the
  // verdict open: awaitingVerdict() says so, and the caller decides when to stop waiting.
  [[nodiscard]] TlsIo handshake();
  [[nodiscard]] bool awaitingVerdict() const { return awaiting_verdict_; }
  // Reads decrypted bytes into `buf`; Done with `got` > 0, else the state.
  [[nodiscard]] TlsIo read(std::span<uint8_t> buf, size_t& got);
  // Writes up to `bytes.size()` bytes (at least one whole record unless it would block); Done
  // with `written` > 0. After WantRead/WantWrite the retry must offer the same bytes again
  // (the buffer may move and may have grown at its end).
  [[nodiscard]] TlsIo write(std::span<const uint8_t> bytes, size_t& written);
  // Decrypted bytes OpenSSL holds that poll() on the socket will not announce.
  [[nodiscard]] bool hasBufferedInput() const;
  // TLS 1.3 negotiated: the client's handshake ends before the server has judged its certificate.
  [[nodiscard]] bool isTls13() const;
  // poll() events the last WantRead/WantWrite asked for (POLLIN by default).
  [[nodiscard]] short pollEvents() const { return poll_events_; }

  // Client: the server asked for a certificate and this side has none. Under TLS 1.3 the
  // handshake still completes here, and a server that requires one refuses only afterwards.
  [[nodiscard]] bool clientCertificateMissing() const { return client_cert_missing_; }

  [[nodiscard]] const std::string& failure() const { return failure_; }
  [[nodiscard]] TlsFailure failureKind() const { return failure_kind_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done.
  [[nodiscard]] std::string describe() const;

 private:
  explicit TlsSession(ssl_st* ssl) : ssl_(ssl) {}
  TlsIo classify(int ret, const char* op);

  friend struct TlsSessionAccess;
  ssl_st* ssl_;
  short poll_events_ = POLLIN;
  bool client_cert_missing_ = false;
  bool client_cert_requested_ = false;
  bool handshake_done_ = false;
  bool awaiting_verdict_ = false;
  bool ticket_received_ = false;
  std::string failure_;
  TlsFailure failure_kind_ = TlsFailure::None;
};

}  // namespace sipvault
