#include "common/metrics.h"

#include <map>
#include <sstream>

namespace sipvault {

Counter& MetricsRegistry::counter(std::string name, std::string help, std::string labels) {
  std::lock_guard lock(mu_);
  Counter& c = counters_.emplace_back();
  entries_.push_back({std::move(name), std::move(help), std::move(labels), "counter", &c, nullptr, {}});
  return c;
}

Gauge& MetricsRegistry::gauge(std::string name, std::string help, std::string labels) {
  std::lock_guard lock(mu_);
  Gauge& g = gauges_.emplace_back();
  entries_.push_back({std::move(name), std::move(help), std::move(labels), "gauge", nullptr, &g, {}});
  return g;
}

void MetricsRegistry::callbackGauge(std::string name, std::string help, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  entries_.push_back({std::move(name), std::move(help), "", "gauge", nullptr, nullptr, std::move(fn)});
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  // Group samples by name so HELP/TYPE are written once per family, as the format requires.
  std::map<std::string, std::vector<const Entry*>> families;
  for (const Entry& e : entries_) families[e.name].push_back(&e);
  std::ostringstream out;
  for (const auto& [name, list] : families) {
    out << "# HELP sipvault_" << name << ' ' << list.front()->help << '\n';
    out << "# TYPE sipvault_" << name << ' ' << list.front()->type << '\n';
    for (const Entry* e : list) {
      out << "sipvault_" << name;
      if (!e->labels.empty()) out << '{' << e->labels << '}';
      out << ' ';
      if (e->counter) out << e->counter->value();
      else if (e->gauge) out << e->gauge->value();
      else out << e->fn();
      out << '\n';
    }
  }
  return out.str();
}

}  // namespace sipvault
