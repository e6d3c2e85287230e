#include "common/stage_app.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Formatter.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/SyslogChannel.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <iostream>

#include "common/endpoint.h"

namespace sipvault {
namespace {

const char* levelName(int prio) {
  switch (prio) {
    case Poco::Message::PRIO_FATAL: return "fatal";
    case Poco::Message::PRIO_CRITICAL: return "critical";
    case Poco::Message::PRIO_ERROR: return "error";
    case Poco::Message::PRIO_WARNING: return "warn";
    case Poco::Message::PRIO_NOTICE: return "notice";
    case Poco::Message::PRIO_INFORMATION: return "info";
    case Poco::Message::PRIO_DEBUG: return "debug";
    default: return "trace";
  }
}

// `ts=2026-11-26T14:05:00.123Z level=info stage=collector event=...`
class LogfmtFormatter : public Poco::Formatter {
 public:
  explicit LogfmtFormatter(std::string stage) : stage_(std::move(stage)) {}
  void format(const Poco::Message& msg, std::string& text) override {
    text = "ts=" + Poco::DateTimeFormatter::format(msg.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ") +
           " level=" + levelName(msg.getPriority()) + " stage=" + stage_ + ' ';
    // Poco's own messages (e.g. option errors) are plain text: keep them as one logfmt value.
    if (msg.getText().rfind("event=", 0) == 0) text += msg.getText();
    else text += formatLogfmt("message", {{"text", msg.getText()}});
  }

 private:
  std::string stage_;
};

class MetricsHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit MetricsHandler(const MetricsRegistry& m) : metrics_(m) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    if (req.getURI() == "/healthz") {
      resp.setContentType("text/plain");
      resp.send() << "ok\n";
      return;
    }
    if (req.getURI() != "/metrics") {
      resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      resp.send() << "not found\n";
      return;
    }
    resp.setContentType("text/plain; version=0.0.4");
    resp.send() << metrics_.render();
  }

 private:
  const MetricsRegistry& metrics_;
};

class MetricsHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit MetricsHandlerFactory(const MetricsRegistry& m) : metrics_(m) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new MetricsHandler(metrics_);
  }

 private:
  const MetricsRegistry& metrics_;
};

}  // namespace

StageApp::StageApp(std::string stage, std::string summary, std::vector<StageOption> options)
    : stage_(std::move(stage)),
      summary_(std::move(summary)),
      stage_options_(std::move(options)),
      log_(Poco::Logger::get(stage_)) {
  setUnixOptions(true);
}

StageApp::~StageApp() {
  if (metrics_server_) metrics_server_->stopAll(true);
}

void StageApp::initialize(Poco::Util::Application& self) {
  ServerApplication::initialize(self);
  setupLogging();
}

void StageApp::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  using Poco::Util::Option;
  options.addOption(Option("help", "h", "print this help and exit").required(false).repeatable(false));
  options.addOption(Option("config", "c", "load a configuration file (.ini, .properties, .xml, .json)")
                        .required(false).repeatable(true).argument("FILE"));
  options.addOption(Option("log-level", "", "log level: trace, debug, information, warning, error")
                        .required(false).argument("LEVEL").binding("log.level"));
  options.addOption(Option("syslog", "", "log to syslog instead of stdout").required(false).noArgument());
  options.addOption(Option("metrics-listen", "", "HOST:PORT serving /metrics and /healthz (\"\" = off)")
                        .required(false).argument("ADDR").binding("metrics.listen"));
  for (const StageOption& o : stage_options_) {
    Option opt(o.name, o.short_name, o.help);
    opt.required(false).repeatable(o.repeatable);
    if (o.arg_name.empty()) opt.noArgument();
    else opt.argument(o.arg_name).binding(o.key);
    options.addOption(opt);
  }
}

void StageApp::handleOption(const std::string& name, const std::string& value) {
  // A repeatable option given several times on the command line collects its values as a comma
  // list (-H a -H b -> "a,b"); its first occurrence replaces what a config file said.
  std::string previous;
  for (const StageOption& o : stage_options_)
    if (o.name == name && o.repeatable && !o.arg_name.empty() && repeated_keys_.count(o.key))
      previous = config().getString(o.key, "");
  ServerApplication::handleOption(name, value);
  for (const StageOption& o : stage_options_) {
    if (o.name != name || !o.repeatable || o.arg_name.empty()) continue;
    if (!previous.empty()) config().setString(o.key, previous + "," + value);
    repeated_keys_.insert(o.key);
  }
  if (name == "help") {
    help_requested_ = true;
    stopOptionsProcessing();
  } else if (name == "config") {
    loadConfiguration(value, PRIO_DEFAULT);
  } else if (name == "syslog") {
    config().setBool("log.syslog", true);
  } else {
    for (const StageOption& o : stage_options_)
      if (o.name == name && o.arg_name.empty()) config().setBool(o.key, true);
  }
}

void StageApp::setupLogging() {
  Poco::AutoPtr<Poco::Channel> sink;
  if (config().getBool("log.syslog", false)) sink = new Poco::SyslogChannel("sipvault-" + stage_);
  else sink = new Poco::ConsoleChannel(std::cout);
  Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(new LogfmtFormatter(stage_), sink));
  // Every logger that exists already (the stage's own was made in the constructor) and every
  // later one: setChannel("") applies to all loggers by name prefix "".
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::setChannel("", channel);
  const std::string level = config().getString("log.level", "information");
  try {
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
  } catch (const Poco::Exception&) {
    Poco::Logger::setLevel("", Poco::Message::PRIO_INFORMATION);
    log_.warn("bad_log_level", {{"value", level}, {"using", "information"}});
  }
}

bool StageApp::startMetricsServer() {
  const std::string listen = config().getString("metrics.listen", "");
  if (listen.empty()) return true;
  auto ep = parseHostPort(listen);
  if (!ep) {
    fail(kExitConfig, "metrics.listen '" + listen + "' is not HOST:PORT", "use e.g. 127.0.0.1:9101");
    return false;
  }
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(ep->host, ep->port), 64);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    metrics_server_ = std::make_unique<Poco::Net::HTTPServer>(new MetricsHandlerFactory(metrics_), socket, params);
    metrics_server_->start();
    log_.info("metrics_listening", {{"addr", socket.address().toString()}});
  } catch (const Poco::Exception& e) {
    fail(kExitUnavailable, "cannot serve metrics on " + listen + ": " + e.displayText(),
         "free the port or set metrics.listen / --metrics-listen");
    return false;
  }
  return true;
}

int StageApp::fail(int exit_code, std::string_view problem, std::string_view fix) {
  log_.error("startup_failed", {{"problem", problem}, {"fix", fix}});
  return exit_code;
}

int StageApp::main(const std::vector<std::string>& args) {
  if (help_requested_) {
    Poco::Util::HelpFormatter help(options());
    help.setCommand("sipvault-" + stage_);
    help.setUsage("[OPTIONS]");
    help.setHeader(summary_);
    help.setFooter(helpFooter());
    help.setUnixStyle(true);
    help.setWidth(100);
    help.format(std::cout);
    return kExitOk;
  }
  if (!startMetricsServer()) return kExitUnavailable;
  try {
    return runStage(args);
  } catch (const Poco::Exception& e) {
    return fail(kExitSoftware, e.displayText(), "see the log above; this is a bug if it persists");
  } catch (const std::exception& e) {
    return fail(kExitSoftware, e.what(), "see the log above; this is a bug if it persists");
  }
}

}  // namespace sipvault
