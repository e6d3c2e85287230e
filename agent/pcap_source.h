#pragma once
// PcapSource: one libpcap handle, live (an interface, "any" included) or offline (a pcap or
// pcapng file), with its BPF filter compiled and set. The only place the agent touches
// libpcap; frames go out through a callback that borrows the bytes.
//
// Threads: dispatch()/next() and stats() belong to the capture thread; breakLoop() may be
// called from any thread and makes a blocked dispatch() return.
// Failure: open() returns nullptr and a one-line error naming the problem (no such interface,
// permission denied, bad filter, unreadable file).
#include <pcap/pcap.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/media_tap.h"
#include "netdecode/link_layer.h"

namespace sipvault::agent {

struct PcapSourceOptions {
  int snaplen = 65535;
  int buffer_bytes = 2 << 20;     // kernel ring (live)
  int buffer_timeout_ms = 100;    // how long the kernel may batch frames (live)
  bool immediate = false;         // deliver every frame at once instead (live)
  bool promiscuous = false;
  // BPF filter; nullopt = the default for the link type (defaultFilter), "" = everything.
  std::optional<std::string> filter;
  // Widens the filter for the MediaTap (captureFilter() in agent_options.h).
  MediaTapOptions media = [] {
    MediaTapOptions off;
    off.rtcp = false;
    return off;
  }();
};

struct PcapStats {
  uint64_t received = 0;   // ps_recv
  uint64_t dropped = 0;    // ps_drop
  uint64_t ifdropped = 0;  // ps_ifdrop
};

class PcapSource {
 public:
  using FrameFn = std::function<void(const pcap_pkthdr& header, const uint8_t* bytes)>;

  [[nodiscard]] static std::unique_ptr<PcapSource> openLive(const std::string& interface,
                                                            const PcapSourceOptions& options, std::string& error);
  [[nodiscard]] static std::unique_ptr<PcapSource> openOffline(const std::string& path,
                                                               const PcapSourceOptions& options, std::string& error);
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] bool live() const { return live_; }
  [[nodiscard]] int datalink() const { return dlt_; }
  [[nodiscard]] netdecode::LinkType linkType() const { return link_; }
  [[nodiscard]] const std::string& filter() const { return filter_; }

  enum class Result : uint8_t { Frames, Timeout, End, Broken, Error };
  // Live: waits up to `timeout_ms` for the kernel's next batch of frames (or breakLoop()) and
  // calls `fn` per frame. Timeout = nothing arrived; Broken = breakLoop() was called.
  Result waitAndDispatch(int timeout_ms, const FrameFn& fn);
  // Live: reads what the kernel has ready without waiting (Frames or Timeout).
  Result dispatchReady(const FrameFn& fn);
  // Offline, one frame at a time: Frames with `header`/`bytes` set, or End/Error.
  Result next(const pcap_pkthdr*& header, const uint8_t*& bytes);
  // Wakes a waitAndDispatch() (and makes the next one return Broken at once). Any thread.
  void breakLoop();

  // Live: the kernel's counters since open (pcap_stats); offline: zeros.
  [[nodiscard]] PcapStats stats();
  [[nodiscard]] std::string lastError() const;

 private:
  PcapSource(pcap_t* handle, std::string name, bool live);
  bool setup(const PcapSourceOptions& options, std::string& error);

  pcap_t* handle_;
  std::string name_;
  bool live_;
  int dlt_ = -1;
  netdecode::LinkType link_ = netdecode::LinkType::Ethernet;
  std::string filter_;
  int pcap_fd_ = -1;  // live: the packet socket, nonblocking
  int wake_fd_ = -1;  // eventfd written by breakLoop()
};

}  // namespace sipvault::agent
