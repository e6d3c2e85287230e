// sipvault-hepdump: print what is inside HEP traffic, one JSON object per packet, for operators
// and scripts. Reads a capture file (-r) or listens (-l); totals go to stderr at the end.
#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <csignal>
#include <iostream>

#include "tools/hepdump/hep_sources.h"

using namespace sipvault::hepdump;

namespace {

volatile bool g_stop = false;
void onSignal(int) { g_stop = true; }

class HepDumpApp : public Poco::Util::Application {
 protected:
  void defineOptions(Poco::Util::OptionSet& options) override {
    using Poco::Util::Option;
    Application::defineOptions(options);
    options.addOption(Option("help", "h", "print this help and exit"));
    options.addOption(Option("read", "r", "read a pcap or pcapng file").argument("FILE").binding("hepdump.read"));
    options.addOption(
        Option("listen", "l", "listen on udp:HOST:PORT or tcp:HOST:PORT").argument("ADDR").binding("hepdump.listen"));
    options.addOption(Option("filter", "f", "BPF filter for -r (default: port 9060; \"\" = every packet)")
                          .argument("BPF").binding("hepdump.filter"));
    options.addOption(Option("count", "n", "stop after N packets").argument("N").binding("hepdump.count"));
    options.addOption(Option("timeout", "t", "stop after S seconds (-l)").argument("S").binding("hepdump.timeout"));
    options.addOption(Option("config", "c", "load options from a config file").argument("FILE"));
  }

  void handleOption(const std::string& name, const std::string& value) override {
    Application::handleOption(name, value);
    if (name == "help") {
      help_ = true;
      stopOptionsProcessing();
    } else if (name == "config") {
      loadConfiguration(value);
    }
  }

  int main(const std::vector<std::string>&) override {
    if (help_) {
      Poco::Util::HelpFormatter help(options());
      help.setCommand("sipvault-hepdump");
      help.setUsage("(-r FILE | -l udp:HOST:PORT | -l tcp:HOST:PORT) [--count N] [--timeout S]");
      help.setHeader("Prints every HEP packet as one JSON object per line: version, chunks, and parsed SIP fields.");
      help.setFooter("Examples:\n  sipvault-hepdump -r capture.pcap\n  sipvault-hepdump -l udp:0.0.0.0:9060 -n 10 -t 30");
      help.setUnixStyle(true);
      help.format(std::cout);
      return EXIT_OK;
    }
    const std::string file = config().getString("hepdump.read", "");
    const std::string listen = config().getString("hepdump.listen", "");
    if (file.empty() == listen.empty()) {
      std::cerr << "sipvault-hepdump: give exactly one of -r FILE or -l ADDR (see --help)\n";
      return EXIT_USAGE;
    }
    sipvault::hepdump::HepDumper dumper(std::cout, config().getUInt64("hepdump.count", 0));
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const std::string problem =
        file.empty()
            ? sipvault::hepdump::dumpLive(listen, std::chrono::seconds(config().getInt("hepdump.timeout", 0)),
                                          dumper, g_stop)
            : sipvault::hepdump::dumpCaptureFile(file, config().getString("hepdump.filter", "port 9060"),
                                                 dumper);
    std::cout.flush();
    const auto& t = dumper.totals();
    std::cerr << "hep_packets=" << t.packets << " hep_errors=" << t.errors << " sip_parsed=" << t.sip
              << " sip_errors=" << t.sip_errors << '\n';
    if (!problem.empty()) {
      std::cerr << "sipvault-hepdump: " << problem << '\n';
      return EXIT_NOINPUT;
    }
    return EXIT_OK;
  }

 private:
  bool help_ = false;
};

}  // namespace

POCO_APP_MAIN(HepDumpApp)
