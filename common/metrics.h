#pragma once
// Prometheus-style counters and gauges for one process.
//
// A MetricsRegistry owns its metrics; the references it hands out stay valid for the registry's
// lifetime. Counter/Gauge updates are lock-free atomics and safe from any thread; registration
// takes a mutex and is meant for start-up. render() produces the Prometheus text format 0.0.4.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sipvault {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  [[nodiscard]] int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class MetricsRegistry {
 public:
  // name: metric name without the process prefix, e.g. "hep_packets_total".
  // labels: already formatted label pairs, e.g. R"(reason="truncated")", or "".
  Counter& counter(std::string name, std::string help, std::string labels = "");
  Gauge& gauge(std::string name, std::string help, std::string labels = "");
  // counter() or gauge() by type, for the X-macro lists below.
  template <class Metric>
  Metric& make(std::string name, std::string help, std::string labels) {
    if constexpr (std::is_same_v<Metric, Counter>)
      return counter(std::move(name), std::move(help), std::move(labels));
    else
      return gauge(std::move(name), std::move(help), std::move(labels));
  }
  // A gauge computed when scraped (queue depth, RSS, ...).
  void callbackGauge(std::string name, std::string help, std::function<double()> fn);

  // Prometheus text exposition; every name gets the "sipvault_" prefix.
  [[nodiscard]] std::string render() const;

 private:
  struct Entry {
    std::string name, help, labels, type;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    std::function<double()> fn;
  };
  mutable std::mutex mu_;
  std::deque<Counter> counters_;  // deque: stable addresses
  std::deque<Gauge> gauges_;
  std::vector<Entry> entries_;
};

}  // namespace sipvault

// A component's metrics declared once, the way netdecode/decode_counters.h declares its counters:
//   #define MY_METRICS(X) X(field, Counter, "name_total", "labels", "help") ...
//   struct MyMetrics {
//     explicit MyMetrics(MetricsRegistry& registry);
//     MetricsRegistry& registry;
//     MY_METRICS(SIPVAULT_METRIC_FIELD)
//   };
//   MyMetrics::MyMetrics(MetricsRegistry& r) : registry(r) MY_METRICS(SIPVAULT_METRIC_INIT) {}
#define SIPVAULT_METRIC_FIELD(field, Metric, name, labels, help) Metric& field;
#define SIPVAULT_METRIC_INIT(field, Metric, name, labels, help) , field(r.make<Metric>(name, help, labels))
