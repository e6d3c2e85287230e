#include "common/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

namespace sipvault {
namespace {

// OpenSSL's error queue of this thread as "reason; reason" (and emptied).
std::string drainErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::string text = reason ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (out.find(text) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + text;
  }
  return out.empty() ? "unknown error" : out;
}

// Reasons that mean "a certificate was missing or refused", on whichever side noticed.
bool isCertificateReason(int reason) {
  switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
      return true;
    default:
      return false;
  }
}

SSL_CTX* newContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A peer that vanishes without close_notify is an ordinary close for a HEP stream.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  // Partial writes + a moving buffer: the agent's send queue is a growing string that is
  // retried from its current head.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

bool loadIdentity(SSL_CTX* ctx, const TlsFiles& f, const std::string& what, std::string& error) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, f.cert.c_str()) != 1) {
    error = "cannot load the " + what + " certificate " + f.cert + ": " + drainErrors();
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, f.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load the " + what + " private key " + f.key + ": " + drainErrors();
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    error = "the private key " + f.key + " does not belong to the certificate " + f.cert + ": " + drainErrors();
    return false;
  }
  return true;
}

bool loadCa(SSL_CTX* ctx, const std::string& ca, std::string& error) {
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
    error = "cannot load the CA bundle " + ca + ": " + drainErrors();
    return false;
  }
  return true;
}

}  // namespace

// Lets the OpenSSL callbacks below reach the session they belong to.
struct TlsSessionAccess {
  static TlsSession* of(SSL* ssl) { return static_cast<TlsSession*>(SSL_get_app_data(ssl)); }
  // Client: the server asked for a certificate (called whether or not we have one).
  static int onCertificateRequested(SSL* ssl, void*) {
    if (TlsSession* s = of(ssl)) s->client_cert_requested_ = true;
    return 1;
  }
  // Client: asked for a certificate and none is set.
  static int onCertificateMissing(SSL* ssl, X509**, EVP_PKEY**) {
    if (TlsSession* s = of(ssl)) s->client_cert_missing_ = true;
    return 0;  // none: the handshake goes on without one, the server decides
  }
  // Client: a session ticket arrived (we keep none: return 0 leaves it to OpenSSL to free).
  static int onTicket(SSL* ssl, SSL_SESSION*) {
    if (TlsSession* s = of(ssl)) s->ticket_received_ = true;
    return 0;
  }
};

std::shared_ptr<TlsContext> TlsContext::server(const TlsFiles& files, std::string& error) {
  if (files.cert.empty() || files.key.empty()) {
    error = "a TLS server needs both a certificate and a private key";
    return nullptr;
  }
  SSL_CTX* ctx = newContext(TLS_server_method());
  if (!ctx) {
    error = "SSL_CTX_new: " + drainErrors();
    return nullptr;
  }
  std::shared_ptr<TlsContext> out(new TlsContext(ctx, !files.ca.empty()));
  if (!loadIdentity(ctx, files, "server", error)) return nullptr;
  // Clients never resume (each connection is long-lived). With client certificates, one ticket
  // is sent anyway: under TLS 1.3 it is the client's only sign that its certificate was accepted.
  SSL_CTX_set_num_tickets(ctx, files.ca.empty() ? 0 : 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (!files.ca.empty()) {
    if (!loadCa(ctx, files.ca, error)) return nullptr;
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str())) SSL_CTX_set_client_CA_list(ctx, names);
    ERR_clear_error();
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return out;
}

std::shared_ptr<TlsContext> TlsContext::client(const TlsFiles& files, bool verify_peer, std::string& error) {
  if (files.cert.empty() != files.key.empty()) {
    error = "a TLS client certificate needs its private key (and the other way round)";
    return nullptr;
  }
  SSL_CTX* ctx = newContext(TLS_client_method());
  if (!ctx) {
    error = "SSL_CTX_new: " + drainErrors();
    return nullptr;
  }
  std::shared_ptr<TlsContext> out(new TlsContext(ctx, verify_peer));
  if (!files.cert.empty() && !loadIdentity(ctx, files, "client", error)) return nullptr;
  SSL_CTX_set_cert_cb(ctx, &TlsSessionAccess::onCertificateRequested, nullptr);
  SSL_CTX_set_client_cert_cb(ctx, &TlsSessionAccess::onCertificateMissing);
  // Tickets are only noticed (as the server's verdict), never stored or reused.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &TlsSessionAccess::onTicket);
  if (verify_peer) {
    if (!files.ca.empty()) {
      if (!loadCa(ctx, files.ca, error)) return nullptr;
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      error = "cannot load the system CA store: " + drainErrors();
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsSession> TlsSession::accept(const TlsContext& ctx, int fd) {
  SSL* ssl = SSL_new(ctx.native());
  if (!ssl) return nullptr;
  std::unique_ptr<TlsSession> s(new TlsSession(ssl));
  if (SSL_set_fd(ssl, fd) != 1) return nullptr;
  SSL_set_accept_state(ssl);
  return s;
}

std::unique_ptr<TlsSession> TlsSession::connect(const TlsContext& ctx, int fd, const std::string& server_name) {
  SSL* ssl = SSL_new(ctx.native());
  if (!ssl) return nullptr;
  std::unique_ptr<TlsSession> s(new TlsSession(ssl));
  if (SSL_set_fd(ssl, fd) != 1) return nullptr;
  SSL_set_app_data(ssl, s.get());
  unsigned char ip[16];
  const bool is_ip = inet_pton(AF_INET, server_name.c_str(), ip) == 1 || inet_pton(AF_INET6, server_name.c_str(), ip) == 1;
  if (!is_ip && !server_name.empty()) SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (ctx.verifiesPeer()) {
    // The certificate must name what the operator wrote in hep_server: an IP in its IP SANs,
    // a host name in its DNS SANs (or CN).
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str())
                         : SSL_set1_host(ssl, server_name.c_str());
    if (ok != 1) return nullptr;
  }
  SSL_set_connect_state(ssl);
  return s;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsIo TlsSession::classify(int ret, const char* op) {
  const int saved_errno = errno;
  const int e = SSL_get_error(ssl_, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      poll_events_ = POLLIN;
      return TlsIo::WantRead;
    case SSL_ERROR_WANT_WRITE:
      poll_events_ = POLLOUT;
      return TlsIo::WantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return TlsIo::Closed;
    default:
      break;
  }
  const bool handshaking = !SSL_is_init_finished(ssl_);
  failure_kind_ = TlsFailure::Protocol;
  if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    if (saved_errno == 0) {  // EOF (the *_ex calls return 0 for every failure, so ret says nothing)
      if (!handshaking) return TlsIo::Closed;
      failure_ = std::string(op) + ": connection closed during the handshake";
    } else {
      failure_ = std::string(op) + ": " + std::strerror(saved_errno);
    }
    return TlsIo::Failed;
  }
  const long verify = SSL_get_verify_result(ssl_);
  const unsigned long first = ERR_peek_error();
  if (verify != X509_V_OK) {
    failure_kind_ = TlsFailure::Certificate;
    failure_ = std::string(op) + ": certificate verify failed: " + X509_verify_cert_error_string(verify);
    ERR_clear_error();
    return TlsIo::Failed;
  }
  if (first != 0 && isCertificateReason(ERR_GET_REASON(first))) failure_kind_ = TlsFailure::Certificate;
  failure_ = std::string(op) + ": " + drainErrors();
  return TlsIo::Failed;
}

TlsIo TlsSession::handshake() {
  if (!handshake_done_) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) return classify(r, "handshake");
    handshake_done_ = true;
    awaiting_verdict_ = !SSL_is_server(ssl_) && isTls13() && client_cert_requested_ && !client_cert_missing_;
  }
  if (!awaiting_verdict_) return TlsIo::Done;
  // Peek: processes the server's records (ticket, alert) without taking application data.
  uint8_t byte;
  size_t got = 0;
  ERR_clear_error();
  errno = 0;
  const int r = SSL_peek_ex(ssl_, &byte, 1, &got);
  if (r == 1 || ticket_received_) {
    awaiting_verdict_ = false;
    return TlsIo::Done;
  }
  const TlsIo io = classify(r, "handshake");
  if (io == TlsIo::Closed || io == TlsIo::Failed) {
    // Refused after its own handshake was done: the server's verdict on our certificate.
    if (failure_kind_ != TlsFailure::Certificate) {
      failure_kind_ = TlsFailure::Certificate;
      failure_ = "the server closed the session instead of accepting our certificate (" +
                 (io == TlsIo::Closed ? std::string("closed") : failure_) + ")";
    }
    return TlsIo::Failed;
  }
  return io;
}

TlsIo TlsSession::read(std::span<uint8_t> buf, size_t& got) {
  got = 0;
  ERR_clear_error();
  errno = 0;
  const int r = SSL_read_ex(ssl_, buf.data(), buf.size(), &got);
  if (r == 1) {
    poll_events_ = POLLIN;
    return TlsIo::Done;
  }
  return classify(r, "read");
}

TlsIo TlsSession::write(std::span<const uint8_t> bytes, size_t& written) {
  written = 0;
  ERR_clear_error();
  errno = 0;
  const int r = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  if (r == 1) return TlsIo::Done;
  return classify(r, "write");
}

bool TlsSession::hasBufferedInput() const { return SSL_pending(ssl_) > 0; }

bool TlsSession::isTls13() const { return SSL_version(ssl_) == TLS1_3_VERSION; }

std::string TlsSession::describe() const {
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

}  // namespace sipvault
