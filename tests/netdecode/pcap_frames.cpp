#include "pcap_frames.h"

#include <pcap/pcap.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

namespace sipvault::netdecode::test {

Capture readCorpusCapture(const std::string& relative_path) {
  const std::string path = std::string(SIPVAULT_CORPUS_DIR) + "/" + relative_path;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  INFO(path << ": " << errbuf);
  REQUIRE(pcap != nullptr);
  Capture capture;
  capture.dlt = pcap_datalink(pcap);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(pcap, &header, &data) == 1) {
    Frame frame;
    frame.bytes.assign(data, data + header->caplen);
    frame.ts = CaptureTime{uint32_t(header->ts.tv_sec), uint32_t(header->ts.tv_usec)};
    capture.frames.push_back(std::move(frame));
  }
  pcap_close(pcap);
  return capture;
}

std::string readCorpusFile(const std::string& relative_path) {
  const std::string path = std::string(SIPVAULT_CORPUS_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void CollectingSink::onPacket(const PacketView& view) {
  Emitted e;
  e.src = view.src;
  e.dst = view.dst;
  e.src_port = view.src_port;
  e.dst_port = view.dst_port;
  e.ip_proto = view.ip_proto;
  e.ts_sec = view.ts_sec;
  e.ts_usec = view.ts_usec;
  e.vlan = view.vlan;
  e.payload.assign(view.payload);
  packets.push_back(std::move(e));
}

bool startsWithSipStartLine(const std::string& payload) {
  const size_t eol = payload.find("\r\n");
  if (eol == std::string::npos) return false;
  const std::string line = payload.substr(0, eol);
  if (line.rfind("SIP/2.0 ", 0) == 0) {
    return line.size() > 12 && isdigit(uint8_t(line[8])) && isdigit(uint8_t(line[9])) &&
           isdigit(uint8_t(line[10])) && line[11] == ' ';
  }
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp1 == 0 || sp2 <= sp1 + 1) return false;
  for (size_t i = 0; i < sp1; ++i) {
    if (!isupper(uint8_t(line[i]))) return false;
  }
  return line.substr(sp2 + 1) == "SIP/2.0";
}

std::vector<Emitted> sipOnly(const std::vector<Emitted>& packets) {
  std::vector<Emitted> out;
  for (const Emitted& e : packets) {
    if (startsWithSipStartLine(e.payload)) out.push_back(e);
  }
  return out;
}

DecodeRun decodeCapture(const Capture& capture, const PacketDecoderOptions& options) {
  const auto link = linkTypeFromDlt(capture.dlt);
  INFO("dlt " << capture.dlt);
  REQUIRE(link.has_value());
  CollectingSink sink;
  PacketDecoder decoder(options, sink);
  for (const Frame& f : capture.frames) {
    (void)decoder.decode(*link, f.bytes, f.ts);
  }
  decoder.flush();
  return DecodeRun{std::move(sink.packets), decoder.counters()};
}

DecodeRun decodeCorpus(const std::string& relative_path, const PacketDecoderOptions& options) {
  return decodeCapture(readCorpusCapture(relative_path), options);
}

}  // namespace sipvault::netdecode::test
