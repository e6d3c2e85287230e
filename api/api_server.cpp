#include "api/api_server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/alias_handler.h"
#include "api/auth_handler.h"
#include "api/export_handler.h"
#include "api/partial_answer.h"
#include "api/qos_handler.h"
#include "api/reject_handler.h"
#include "api/search_handler.h"
#include "api/share_handler.h"
#include "api/stats_handler.h"
#include "api/summary_handler.h"
#include "api/system_handler.h"
#include "api/time_text.h"
#include "common/endpoint.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

enum class Access { Public, Viewer, Admin };

using RouteFn = std::function<ApiResponse(const ApiRequest&, const std::vector<std::string>& args)>;

struct Route {
  std::string method;
  std::vector<std::string> pattern;  // literal segments; "*" captures one segment
  std::string name;                  // metrics label
  Access access;
  RouteFn fn;
};

constexpr std::array<double, 11> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Request counters per route, responses per status class, latency histogram.
class HttpMetrics {
 public:
  HttpMetrics(MetricsRegistry& r, const std::vector<std::string>& routes)
      : count_(r.counter("api_request_duration_seconds_count", "HTTP requests timed")),
        errors_(r.counter("api_request_errors_total", "HTTP requests answered with a 5xx status")) {
    for (const std::string& name : routes)
      if (!requests_.count(name))
        requests_.emplace(name, &r.counter("api_requests_total", "HTTP requests by route", "route=\"" + name + "\""));
    for (int c = 1; c <= 5; ++c)
      classes_[c] = &r.counter("api_responses_total", "HTTP responses by status class",
                               "code=\"" + std::to_string(c) + "xx\"");
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", kLatencyBuckets[i]);
      buckets_[i] = &r.counter("api_request_duration_seconds_bucket", "HTTP request latency (cumulative buckets)",
                               std::string("le=\"") + le + "\"");
    }
    buckets_[kLatencyBuckets.size()] =
        &r.counter("api_request_duration_seconds_bucket", "HTTP request latency (cumulative buckets)", "le=\"+Inf\"");
    r.callbackGauge("api_request_duration_seconds_sum", "total time spent serving HTTP requests",
                    [this] { return static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6; });
  }

  void record(const std::string& route, int status, std::chrono::microseconds elapsed) {
    auto it = requests_.find(route);
    if (it == requests_.end()) it = requests_.find("other");
    it->second->inc();
    const int cls = status / 100;
    if (cls >= 1 && cls <= 5) classes_[cls]->inc();
    if (status >= 500) errors_.inc();
    const double s = static_cast<double>(elapsed.count()) / 1e6;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i)
      if (s <= kLatencyBuckets[i]) buckets_[i]->inc();
    buckets_[kLatencyBuckets.size()]->inc();
    count_.inc();
    sum_us_.fetch_add(static_cast<uint64_t>(elapsed.count()), std::memory_order_relaxed);
  }

 private:
  std::map<std::string, Counter*> requests_;  // filled in the constructor, read-only afterwards
  std::array<Counter*, 6> classes_{};
  std::array<Counter*, kLatencyBuckets.size() + 1> buckets_{};
  Counter& count_;
  Counter& errors_;
  std::atomic<uint64_t> sum_us_{0};
};

// The HTTPS listener's context: our certificate, no client certificates, TLS 1.2+, OpenSSL's
// default cipher list. Throws Poco::Exception (naming OpenSSL's reason) when a file does not load.
Poco::Net::Context::Ptr makeTlsContext(const ApiOptions& o) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params p;
  p.certificateFile = o.tls_cert;
  p.privateKeyFile = o.tls_key;
  p.verificationMode = Poco::Net::Context::VERIFY_NONE;
  p.loadDefaultCAs = false;
  p.cipherList = "DEFAULT";
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
  ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return ctx;
}

void setCommonHeaders(Poco::Net::HTTPServerResponse& resp, bool ui, bool https) {
  resp.set("X-Content-Type-Options", "nosniff");
  resp.set("Referrer-Policy", "no-referrer");
  resp.set("X-Frame-Options", "DENY");
  // No framing (clickjacking) and no <base> re-pointing relative URLs, for UI and API alike.
  if (ui) {
    resp.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'");
    resp.set("Cache-Control", "no-cache");
  } else {
    resp.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    resp.set("Cache-Control", "no-store");
  }
  // Only over HTTPS (RFC 6797 section 7.2): browsers then never try plain HTTP for a year.
  if (https) resp.set("Strict-Transport-Security", "max-age=31536000");
}

// The request deadline of the connection this thread serves (0: none); set by GuardedConnection.
thread_local uint64_t t_watch_id = 0;

}  // namespace

// Decodes, limits, authenticates and dispatches requests. Shared by all handler threads;
// immutable after construction.
class Router {
 public:
  Router(ApiContext& ctx, StaticFiles files)
      : ctx_(ctx),
        files_(std::move(files)),
        auth_(ctx),
        admin_(ctx),
        search_(ctx),
        rejects_(ctx),
        exports_(ctx),
        stats_(ctx),
        summaries_(ctx),
        system_(ctx),
        shares_(ctx),
        aliases_(ctx),
        qos_(ctx) {
    addRoutes();
    std::vector<std::string> names{"static", "other"};
    for (const Route& r : routes_) names.push_back(r.name);
    metrics_ = std::make_unique<HttpMetrics>(ctx.registry, names);
  }

  void handle(Poco::Net::HTTPServerRequest& hreq, Poco::Net::HTTPServerResponse& hresp) {
    const auto started = std::chrono::steady_clock::now();
    std::string route = "other";
    bool ui = false;
    ApiResponse r;
    try {
      r = process(hreq, route, ui);
    } catch (const std::exception& e) {
      ctx_.log.error("request_failed", {{"route", route}, {"error", e.what()}});
      r = ApiResponse::error(500, "internal", "internal error");
    }
    try {
      send(hreq, hresp, r, ui, ctx_.options.https());
    } catch (const std::exception& e) {  // a streamed body failed half-way: the connection is dropped
      ctx_.log.error("response_failed", {{"route", route}, {"error", e.what()}});
      throw;
    }
    if (t_watch_id != 0 && guard_)
      guard_->renew(t_watch_id);  // the next request on this connection starts now
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    metrics_->record(route, r.status, elapsed);
    // An access log at debug level (--log-level debug); the target is not logged (it may hold numbers).
    ctx_.log.debug("request", {{"method", hreq.getMethod()}, {"route", route}, {"status", r.status},
                               {"us", elapsed.count()}, {"bytes", r.body.size()}});
  }

 private:
  void addRoutes() {
    auto R = [this](std::string method, std::string path, std::string name, Access access, RouteFn fn) {
      Route r{std::move(method), {}, std::move(name), access, std::move(fn)};
      size_t pos = 1;
      while (pos <= path.size()) {
        size_t slash = path.find('/', pos);
        if (slash == std::string::npos) slash = path.size();
        r.pattern.push_back(path.substr(pos, slash - pos));
        pos = slash + 1;
      }
      routes_.push_back(std::move(r));
    };
    using A = const std::vector<std::string>&;
    R("POST", "/api/v1/login", "login", Access::Public, [this](const ApiRequest& q, A) { return auth_.login(q); });
    R("POST", "/api/v1/logout", "logout", Access::Viewer, [this](const ApiRequest& q, A) { return auth_.logout(q); });
    R("GET", "/api/v1/me", "me", Access::Viewer, [this](const ApiRequest& q, A) { return auth_.me(q); });
    R("GET", "/api/v1/users", "users", Access::Admin, [this](const ApiRequest& q, A) { return admin_.listUsers(q); });
    R("POST", "/api/v1/users", "users", Access::Admin, [this](const ApiRequest& q, A) { return admin_.createUser(q); });
    R("DELETE", "/api/v1/users/*", "users", Access::Admin,
      [this](const ApiRequest& q, A a) { return admin_.deleteUser(q, a[0]); });
    R("GET", "/api/v1/tokens", "tokens", Access::Admin, [this](const ApiRequest& q, A) { return admin_.listTokens(q); });
    R("POST", "/api/v1/tokens", "tokens", Access::Admin,
      [this](const ApiRequest& q, A) { return admin_.createToken(q); });
    R("DELETE", "/api/v1/tokens/*", "tokens", Access::Admin,
      [this](const ApiRequest& q, A a) { return admin_.deleteToken(q, a[0]); });
    R("GET", "/api/v1/messages", "messages", Access::Viewer,
      [this](const ApiRequest& q, A) { return search_.messages(q); });
    R("GET", "/api/v1/messages/*", "message", Access::Viewer,
      [this](const ApiRequest& q, A a) { return search_.message(q, a[0]); });
    R("GET", "/api/v1/calls", "calls", Access::Viewer, [this](const ApiRequest& q, A) { return search_.calls(q); });
    R("GET", "/api/v1/calls/*/flow", "flow", Access::Viewer,
      [this](const ApiRequest& q, A a) { return search_.flow(q, a[0]); });
    R("GET", "/api/v1/calls/*/qos", "qos", Access::Viewer,
      [this](const ApiRequest& q, A a) { return qos_.call(q, a[0]); });
    R("GET", "/api/v1/rejects", "rejects", Access::Viewer,
      [this](const ApiRequest& q, A) { return rejects_.rejects(q); });
    R("GET", "/api/v1/rejects/*", "reject", Access::Viewer,
      [this](const ApiRequest& q, A a) { return rejects_.reject(q, a[0]); });
    R("GET", "/api/v1/export.pcap", "export_pcap", Access::Viewer,
      [this](const ApiRequest& q, A) { return exports_.pcap(q); });
    R("GET", "/api/v1/export.txt", "export_txt", Access::Viewer,
      [this](const ApiRequest& q, A) { return exports_.text(q); });
    R("GET", "/api/v1/stats", "stats", Access::Viewer, [this](const ApiRequest& q, A) { return stats_.stats(q); });
    R("GET", "/api/v1/summaries", "summaries", Access::Viewer,
      [this](const ApiRequest& q, A) { return summaries_.summaries(q); });
    R("GET", "/api/v1/health", "health", Access::Public, [this](const ApiRequest& q, A) { return system_.health(q); });
    // Documentation, not data: public so that generators and Swagger tools can read it.
    R("GET", "/api/v1/openapi.json", "openapi", Access::Public,
      [this](const ApiRequest& q, A) { return system_.openapi(q); });
    addShareRoutes(R);
    R("GET", "/api/v1/aliases", "aliases", Access::Viewer, [this](const ApiRequest& q, A) { return aliases_.list(q); });
    R("POST", "/api/v1/aliases", "aliases", Access::Admin,
      [this](const ApiRequest& q, A) { return aliases_.create(q); });
    R("PUT", "/api/v1/aliases/*", "aliases", Access::Admin,
      [this](const ApiRequest& q, A a) { return aliases_.update(q, a[0]); });
    R("DELETE", "/api/v1/aliases/*", "aliases", Access::Admin,
      [this](const ApiRequest& q, A a) { return aliases_.remove(q, a[0]); });
    R("GET", "/metrics", "metrics", Access::Viewer, [this](const ApiRequest& q, A) { return system_.metrics(q); });
  }

  // Share links (share_handler.h): managed with a login, opened with the link's token alone.
  template <typename AddRoute>
  void addShareRoutes(AddRoute& R) {
    using A = const std::vector<std::string>&;
    R("POST", "/api/v1/shares", "shares", Access::Viewer,
      [this](const ApiRequest& q, A) { return shares_.create(q); });
    R("GET", "/api/v1/shares", "shares", Access::Viewer,
      [this](const ApiRequest& q, A) { return shares_.list(q); });
    R("DELETE", "/api/v1/shares/*", "shares", Access::Viewer,
      [this](const ApiRequest& q, A a) { return shares_.revoke(q, a[0]); });
    R("GET", "/api/v1/shared/*", "shared", Access::Public,
      [this](const ApiRequest& q, A a) { return shares_.info(q, a[0]); });
    R("GET", "/api/v1/shared/*/flow", "shared", Access::Public,
      [this](const ApiRequest& q, A a) { return shares_.flow(q, a[0]); });
    R("GET", "/api/v1/shared/*/qos", "shared", Access::Public,
      [this](const ApiRequest& q, A a) { return shares_.qos(q, a[0]); });
    R("GET", "/api/v1/shared/*/messages/*", "shared", Access::Public,
      [this](const ApiRequest& q, A a) { return shares_.message(q, a[0], a[1]); });
    R("GET", "/api/v1/shared/*/export.pcap", "shared", Access::Public,
      [this](const ApiRequest& q, A a) { return shares_.exportPcap(q, a[0]); });
    R("GET", "/api/v1/shared/*/export.txt", "shared", Access::Public,
      [this](const ApiRequest& q, A a) { return shares_.exportText(q, a[0]); });
  }

  // Reads the body, at most `limit` bytes; false when there is more. An oversized body of up to
  // kDrainBytes is still read (and dropped), so that a client that sends it all before reading
  // gets the 413 instead of a reset connection; beyond that the connection is closed.
  static constexpr uint64_t kDrainBytes = 1 << 20;
  static bool readBody(Poco::Net::HTTPServerRequest& hreq, size_t limit, std::string& body) {
    const auto declared = hreq.getContentLength64();
    const bool known = declared != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH;
    std::istream& in = hreq.stream();
    char buf[8192];
    uint64_t total = 0;
    if (known && static_cast<uint64_t>(declared) > kDrainBytes) return false;
    while (in) {
      in.read(buf, sizeof buf);
      const auto n = static_cast<size_t>(in.gcount());
      total += n;
      if (total <= limit) body.append(buf, n);
      if (total > kDrainBytes) break;
    }
    if (total > limit) {
      body.clear();
      return false;
    }
    return true;
  }

  ApiResponse process(Poco::Net::HTTPServerRequest& hreq, std::string& route_name, bool& ui) {
    const std::string& target = hreq.getURI();
    if (target.size() > ctx_.options.max_query_bytes)
      return ApiResponse::error(414, "uri_too_long",
                                "request target longer than " + std::to_string(ctx_.options.max_query_bytes) + " bytes");
    const size_t qmark = target.find('?');
    const std::string_view raw_path = std::string_view(target).substr(0, qmark);
    const std::string_view raw_query =
        qmark == std::string::npos ? std::string_view() : std::string_view(target).substr(qmark + 1);
    if (raw_path.empty() || raw_path.front() != '/') return ApiResponse::error(400, "bad_request", "bad request target");

    ApiRequest req;
    req.method = hreq.getMethod();
    req.client =
        ctx_.options.trusted_proxies.clientOf(hreq.clientAddress().host().toString(), forwardedFor(hreq));
    req.now_us = nowUs();
    // Segments are split before decoding, so an encoded '/' (%2F) stays inside its segment.
    size_t pos = 1;
    while (pos <= raw_path.size()) {
      size_t slash = raw_path.find('/', pos);
      if (slash == std::string_view::npos) slash = raw_path.size();
      auto seg = percentDecode(raw_path.substr(pos, slash - pos), false);
      if (!seg) return ApiResponse::error(400, "bad_request", "malformed %-escape in the path");
      req.segments.push_back(std::move(*seg));
      pos = slash + 1;
    }
    if (!req.segments.empty() && req.segments.back().empty()) req.segments.pop_back();
    std::string bad_name;
    auto query = parseQueryString(raw_query, bad_name);
    if (!query) return ApiResponse::badParameter({bad_name, "malformed %-escape"});
    req.query = std::move(*query);

    const bool api = (!req.segments.empty() && req.segments[0] == "api") ||
                     (req.segments.size() == 1 && req.segments[0] == "metrics");
    if (!api) {
      ui = true;
      route_name = "static";
      return serveStatic(hreq, req);
    }

    // Read (bounded) before routing, so that even a refused request leaves the connection clean.
    if (!readBody(hreq, ctx_.options.max_body_bytes, req.body))
      return ApiResponse::error(413, "payload_too_large",
                                "body larger than " + std::to_string(ctx_.options.max_body_bytes) + " bytes");

    const Route* match = nullptr;
    std::vector<std::string> args;
    std::string allowed;
    for (const Route& r : routes_) {
      if (r.pattern.size() != req.segments.size()) continue;
      std::vector<std::string> captured;
      bool same = true;
      for (size_t i = 0; i < r.pattern.size() && same; ++i) {
        if (r.pattern[i] == "*") captured.push_back(req.segments[i]);
        else same = r.pattern[i] == req.segments[i];
      }
      if (!same) continue;
      allowed += (allowed.empty() ? "" : ", ") + r.method;
      if (r.method == req.method) {
        match = &r;
        args = std::move(captured);
        break;
      }
    }
    if (!match) {
      if (allowed.empty()) return ApiResponse::error(404, "not_found", "no such endpoint");
      ApiResponse r = ApiResponse::error(405, "method_not_allowed", "method not allowed here");
      r.headers.emplace_back("Allow", allowed);
      return r;
    }
    route_name = match->name;

    if (match->access != Access::Public) {
      const std::string auth = hreq.get("Authorization", "");
      std::optional<Principal> who;
      if (auto token = bearerToken(auth)) {
        DbError error;
        if (!ctx_.auth.authenticate(*token, req.now_us, who, error)) {
          ctx_.log.error("auth_db_error", {{"error", error.describe()}});
          return ApiResponse::databaseError(error);
        }
      }
      if (!who) {
        ApiResponse r = ApiResponse::error(401, "unauthorized", "a valid bearer token is required");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
      }
      if (match->access == Access::Admin && who->role != Role::Admin)
        return ApiResponse::error(403, "forbidden", "this needs the admin role");
      req.principal = std::move(who);
    }
    if (!ctx_.shards || !readsCaptureTables(match->name)) return match->fn(req, args);
    // A cluster head: say which shards this answer leaves out (partial_answer.h). A statement that
    // met a shard dying before the probe saw it fails; once the probe has left that shard out, the
    // request (a read) runs once more without it instead of failing.
    const ShardCoverage before = ctx_.shards->coverage();
    ApiResponse r = match->fn(req, args);
    ShardCoverage after = ctx_.shards->coverage();
    if (r.status >= 500 && after.missing.size() > before.missing.size()) {
      r = match->fn(req, args);
      after = ctx_.shards->coverage();
    }
    markCoverage(r, missingShards(before, after));
    return r;
  }

  // Routes whose answers come from the capture tables (on a head: from the shards).
  static bool readsCaptureTables(const std::string& route) {
    static const std::set<std::string> kRoutes = {"messages", "message", "calls", "flow", "qos", "rejects", "reject",
                                                  "export_pcap", "export_txt", "stats", "shared"};
    return kRoutes.count(route) != 0;
  }

  // Every X-Forwarded-For value, joined: a proxy may add a header line instead of extending one.
  static std::string forwardedFor(const Poco::Net::HTTPServerRequest& hreq) {
    std::string all;
    for (auto it = hreq.find("X-Forwarded-For");
         it != hreq.end() && Poco::icompare(it->first, "X-Forwarded-For") == 0; ++it)
      all += (all.empty() ? "" : ",") + it->second;
    return all;
  }

  ApiResponse serveStatic(Poco::Net::HTTPServerRequest& hreq, const ApiRequest& req) {
    if (req.method != "GET" && req.method != "HEAD") {
      ApiResponse r = ApiResponse::error(405, "method_not_allowed", "method not allowed here");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    std::string ignored;
    if (!readBody(hreq, ctx_.options.max_body_bytes, ignored))
      return ApiResponse::error(413, "payload_too_large", "body too large");
    ApiResponse r;
    auto file = files_.resolve(req.segments);
    std::optional<std::string> body;
    if (file) body = StaticFiles::read(*file);
    if (!body) {
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "not found\n";
      return r;
    }
    r.content_type = file->content_type;
    r.body = std::move(*body);
    return r;
  }

  static void send(Poco::Net::HTTPServerRequest& hreq, Poco::Net::HTTPServerResponse& hresp, const ApiResponse& r,
                   bool ui, bool https) {
    hresp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    hresp.setContentType(r.content_type);
    setCommonHeaders(hresp, ui, https);
    for (const auto& [name, value] : r.headers) {
      // Under HTTPS a cookie must never travel over plain HTTP (a downgraded or mistyped URL).
      if (https && Poco::icompare(name, "Set-Cookie") == 0) hresp.add(name, withSecureAttribute(value));
      else hresp.set(name, value);
    }
    if (r.stream) {
      hresp.setChunkedTransferEncoding(true);
      std::ostream& out = hresp.send();
      if (hreq.getMethod() != "HEAD") r.stream(out);
      return;
    }
    hresp.setContentLength64(static_cast<Poco::Int64>(r.body.size()));
    if (r.status == 413) hresp.setKeepAlive(false);  // the rest of the body may be unread
    std::ostream& out = hresp.send();
    if (hreq.getMethod() != "HEAD") out.write(r.body.data(), static_cast<std::streamsize>(r.body.size()));
  }

  ApiContext& ctx_;
  StaticFiles files_;
  AuthHandler auth_;
  AdminHandler admin_;
  SearchHandler search_;
  RejectHandler rejects_;
  ExportHandler exports_;
  StatsHandler stats_;
  SummaryHandler summaries_;
  SystemHandler system_;
  ShareHandler shares_;
  AliasHandler aliases_;
  QosHandler qos_;
  std::vector<Route> routes_;
  std::unique_ptr<HttpMetrics> metrics_;

 public:
  ConnectionGuard* guard_ = nullptr;  // set before the server starts
};

namespace {

class RequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(std::shared_ptr<Router> router) : router_(std::move(router)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    router_->handle(req, resp);
  }

 private:
  std::shared_ptr<Router> router_;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(std::shared_ptr<Router> router) : router_(std::move(router)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(router_);
  }
  // What HTTPServer::stopAll does: keep-alive connections end after their current request.
  void stopAll(bool abort) { serverStopped(this, abort); }

 private:
  std::shared_ptr<Router> router_;
};

// Poco's HTTPServerConnection inside the per-source cap and the request deadline.
class GuardedConnection : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, ConnectionGuard& guard, bool https,
                    Counter& refused)
      : TCPServerConnection(socket),
        params_(std::move(params)),
        factory_(std::move(factory)),
        guard_(guard),
        https_(https),
        refused_(refused) {}

  void run() override {
    std::string source;
    try {
      source = socket().peerAddress().host().toString();
    } catch (const Poco::Exception&) {
      return;  // already gone
    }
    if (!guard_.open(source)) {
      refused_.inc();
      refuse();
      return;
    }
    t_watch_id = guard_.watch(socket().impl()->sockfd());
    try {
      Poco::Net::HTTPServerConnection http(socket(), params_, factory_);
      http.run();
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    guard_.unwatch(t_watch_id);
    t_watch_id = 0;
    guard_.close(source);
  }

 private:
  // Plain HTTP gets a short answer; over TLS that would need a handshake the client may stall.
  void refuse() {
    if (https_) return;
    static constexpr std::string_view kAnswer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
        "Content-Length: 88\r\n\r\n"
        R"({"error":{"code":"unavailable","message":"too many connections from this address"}}    )";
    try {
      socket().setSendTimeout(Poco::Timespan(1, 0));
      socket().sendBytes(kAnswer.data(), static_cast<int>(kAnswer.size()));
    } catch (const Poco::Exception&) {
    }
  }

  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  ConnectionGuard& guard_;
  bool https_;
  Counter& refused_;
};

class GuardedConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  GuardedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr factory, ConnectionGuard& guard,
                           bool https, Counter& refused)
      : params_(std::move(params)),
        factory_(std::move(factory)),
        guard_(guard),
        https_(https),
        refused_(refused) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, params_, factory_, guard_, https_, refused_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  ConnectionGuard& guard_;
  bool https_;
  Counter& refused_;
};

}  // namespace

bool ApiServer::checkTls(const ApiOptions& options, std::string& error) {
  if (!options.https()) return true;
  try {
    (void)makeTlsContext(options);
    return true;
  } catch (const Poco::Exception& e) {
    error = "api.tls_cert " + options.tls_cert + " / api.tls_key " + options.tls_key + ": " + e.displayText();
    return false;
  }
}

std::optional<std::string_view> bearerToken(std::string_view authorization) {
  // credentials = auth-scheme 1*SP token68; the scheme is case-insensitive (RFC 7235 section 2.1).
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  std::string_view rest = authorization.substr(kScheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

std::string withSecureAttribute(std::string_view set_cookie) {
  // Attributes follow the first ';' (RFC 6265 section 4.1.1); names are case-insensitive.
  const size_t semi = set_cookie.find(';');
  if (semi != std::string_view::npos) {
    std::string_view rest = set_cookie.substr(semi);
    while (!rest.empty()) {
      rest.remove_prefix(1);  // ';'
      const size_t next = rest.find(';');
      std::string_view attr = rest.substr(0, next);
      while (!attr.empty() && attr.front() == ' ') attr.remove_prefix(1);
      while (!attr.empty() && attr.back() == ' ') attr.remove_suffix(1);
      if (Poco::icompare(std::string(attr), "Secure") == 0) return std::string(set_cookie);
      if (next == std::string_view::npos) break;
      rest = rest.substr(next);
    }
  }
  return std::string(set_cookie) + "; Secure";
}

ApiServer::ApiServer(ApiContext& ctx, StaticFiles files)
    : ctx_(ctx),
      router_(std::make_shared<Router>(ctx, std::move(files))),
      guard_(std::make_unique<ConnectionGuard>(
          ctx.options.max_connections_per_source, ctx.options.request_deadline,
          &ctx.registry.counter("api_request_deadline_exceeded_total",
                                "connections shut down because a request outlived api.request_deadline_s"))),
      refused_(ctx.registry.counter(
          "api_connections_refused_total",
          "connections closed at once: the source already held api.max_connections_per_source")) {
  router_->guard_ = guard_.get();
}

ApiServer::~ApiServer() { stop(); }

bool ApiServer::start(std::string& error) {
  auto ep = parseHostPort(ctx_.options.listen);
  if (!ep) {
    error = "api.listen '" + ctx_.options.listen + "' is not HOST:PORT";
    return false;
  }
  try {
    const Poco::Net::SocketAddress address(ep->host, ep->port);
    Poco::Net::ServerSocket socket = ctx_.options.https()
                                         ? Poco::Net::SecureServerSocket(address, 128, makeTlsContext(ctx_.options))
                                         : Poco::Net::ServerSocket(address, 128);
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(ctx_.options.http_threads);
    params->setMaxQueued(ctx_.options.http_queue);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(60, 0));
    params->setKeepAliveTimeout(Poco::Timespan(15, 0));
    params->setServerName("sipvault-api");
    // Its own pool: Poco's default pool holds at most 16 threads, whatever api.http_threads says.
    threads_ = std::make_unique<Poco::ThreadPool>(2, std::max(2, ctx_.options.http_threads));
    Poco::SharedPtr<HandlerFactory> handlers = new HandlerFactory(router_);
    stop_connections_ = [handlers]() mutable { handlers->stopAll(false); };
    guard_->start();
    server_ = std::make_unique<Poco::Net::TCPServer>(
        new GuardedConnectionFactory(params, handlers, *guard_, ctx_.options.https(), refused_), *threads_,
        socket, params);
    server_->start();
    bound_ = socket.address().toString();
  } catch (const Poco::Exception& e) {
    error = "cannot listen on " + ctx_.options.listen + ": " + e.displayText();
    return false;
  }
  return true;
}

void ApiServer::stop() {
  if (!server_) return;
  server_->stop();
  stop_connections_();
  // Let requests in flight finish before the handlers' context goes away.
  for (int i = 0; i < 500 && server_->currentConnections() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  guard_->shutdownAll();  // what is still open is idle or stalled: no answer to wait for
  server_.reset();
  threads_->joinAll();
  guard_->stop();
}

}  // namespace sipvault::api
