#include "bench/loadgen/call_generator.h"

#include <cstdio>

namespace sipvault::bench {
namespace {

std::string hex(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

uint64_t mix(uint64_t x) {  // splitmix64: cheap, well-spread ids
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string sdp(const std::string& ip, int port, uint64_t session) {
  std::string body = "v=0\r\no=- " + std::to_string(session) + " " + std::to_string(session) + " IN IP4 " + ip +
                     "\r\ns=sipvault\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
                     " RTP/AVP 8 0 18 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
                     "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\n"
                     "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
  return body;
}

}  // namespace

std::string CallGenerator::callId(uint64_t seed, uint64_t index) {
  return hex(mix(seed * 1000003u + index)) + "-" + std::to_string(index) + "@sipvault.test";
}

IpAddress CallGenerator::callerAddress(uint64_t index) const {
  IpAddress a;
  a.family = 4;
  a.bytes = {10, 10, uint8_t((index >> 8) & 0xff), uint8_t(index & 0xff)};
  return a;
}

IpAddress CallGenerator::proxyAddress() {
  IpAddress a;
  a.family = 4;
  a.bytes = {10, 0, 0, 1};
  return a;
}

CallGenerator::MediaPorts CallGenerator::mediaPorts(uint64_t index) const {
  const uint64_t r = mix(seed_ ^ (index * 0x100000001b3ull));
  return {static_cast<uint16_t>(20000 + (r % 10000) * 2), static_cast<uint16_t>(30000 + ((r >> 16) % 10000) * 2)};
}

std::vector<GeneratedMessage> CallGenerator::call(uint64_t index) const {
  const uint64_t r = mix(seed_ ^ (index * 0x100000001b3ull));
  const MediaPorts ports = mediaPorts(index);
  const std::string cid = callId(seed_, index);
  const std::string a = "49301" + std::to_string(1000000 + r % 9000000);         // A-number
  const std::string b = "49891" + std::to_string(1000000 + (r >> 24) % 9000000);  // B-number
  const std::string caller = callerAddress(index).toString(), proxy = "10.0.0.1";
  const std::string ftag = hex(mix(r + 1)).substr(0, 10), ttag = hex(mix(r + 2)).substr(0, 10);
  const std::string br1 = "z9hG4bK" + hex(mix(r + 3)), br2 = "z9hG4bK" + hex(mix(r + 4)),
                    br3 = "z9hG4bK" + hex(mix(r + 5));
  const std::string via1 = "Via: SIP/2.0/UDP " + caller + ":5060;branch=" + br1 + ";rport\r\n";
  const std::string from = "From: \"Caller " + a.substr(a.size() - 4) + "\" <sip:" + a + "@" + caller + ">;tag=" + ftag + "\r\n";
  const std::string to = "To: <sip:" + b + "@" + proxy + ">";
  const std::string common_tail = "Call-ID: " + cid + "\r\n";
  const std::string ua = "User-Agent: sipvault-loadgen/1.0\r\n";
  const std::string offer = sdp(caller, ports.caller, r % 1000000);
  const std::string answer = sdp(proxy, ports.proxy, (r >> 8) % 1000000);
  const std::string contact_a = "Contact: <sip:" + a + "@" + caller + ":5060>\r\n";
  const std::string contact_b = "Contact: <sip:" + b + "@" + proxy + ":5060>\r\n";

  auto request = [&](const std::string& method, const std::string& via, int cseq, bool with_to_tag,
                     const std::string& body) {
    std::string m = method + " sip:" + b + "@" + proxy + ":5060 SIP/2.0\r\n" + via + "Max-Forwards: 70\r\n" + from +
                    to + (with_to_tag ? ";tag=" + ttag : "") + "\r\n" + common_tail + "CSeq: " + std::to_string(cseq) +
                    " " + method + "\r\n" + contact_a + ua;
    if (carrier_ && method == "INVITE")
      m += "P-Asserted-Identity: <sip:+" + a + "@" + caller + ";user=phone>\r\nP-Charging-Vector: icid-value=" +
           hex(mix(r + 6)) + ";icid-generated-at=" + caller + "\r\n";
    if (carrier_ && method == "BYE") m += "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n";
    if (!body.empty()) m += "Content-Type: application/sdp\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n";
    m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return m;
  };
  auto response = [&](int code, const std::string& reason, bool with_to_tag, int cseq, const std::string& method,
                      const std::string& via, const std::string& body) {
    std::string m = "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n" + via + from + to +
                    (with_to_tag ? ";tag=" + ttag : "") + "\r\n" + common_tail + "CSeq: " + std::to_string(cseq) +
                    " " + method + "\r\n" + (code >= 180 ? contact_b : "") + "Server: sipvault-proxy/1.0\r\n";
    if (!body.empty()) m += "Content-Type: application/sdp\r\n";
    m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return m;
  };
  const std::string via1r = "Via: SIP/2.0/UDP " + caller + ":5060;branch=" + br1 + ";rport=5060;received=" + caller + "\r\n";
  const std::string via2 = "Via: SIP/2.0/UDP " + caller + ":5060;branch=" + br2 + ";rport\r\n";
  const std::string via3 = "Via: SIP/2.0/UDP " + caller + ":5060;branch=" + br3 + ";rport\r\n";
  const std::string via3r = "Via: SIP/2.0/UDP " + caller + ":5060;branch=" + br3 + ";rport=5060;received=" + caller + "\r\n";
  return {
      {request("INVITE", via1, 1, false, offer), true, 0},
      {response(100, "Trying", false, 1, "INVITE", via1r, ""), false, 12000},
      {response(180, "Ringing", true, 1, "INVITE", via1r, ""), false, 310000},
      {response(200, "OK", true, 1, "INVITE", via1r, answer), false, 4200000},
      {request("ACK", via2, 1, true, ""), true, 4215000},
      {request("BYE", via3, 2, true, ""), true, 64215000},
      {response(200, "OK", true, 2, "BYE", via3r, ""), false, 64231000},
  };
}

}  // namespace sipvault::bench
