#!/usr/bin/env python3
"""Test tool: send a fixed set of SIP transactions as HEP3 over UDP, for the SIP KPI test.

    kpi_calls.py HOST PORT

Exact scenarios (counts the test checks on the parsers' /metrics):
  Gateway 192.0.2.50:5060    2 calls INVITE -> 180 -> 200 (the INVITE and the 200 retransmitted once),
                             5 calls INVITE -> 486, 3 calls INVITE -> 503
  Registrar 192.0.2.60:5060  4 REGISTER -> 401, then REGISTER (CSeq 2) -> 200; 1 REGISTER -> 403
  203.0.113.7:5060 (no alias) 2 calls INVITE -> 200: the label "other"
Each message is its own datagram, in time order; the 180 comes 150 ms after its INVITE.
"""
import socket
import struct
import sys
import time

UAC = "198.51.100.9"


def chunk(kind, value):
    return struct.pack("!HHH", 0, kind, 6 + len(value)) + value


def hep3(src, dst, sport, dport, t_us, payload):
    body = b"".join([
        chunk(1, b"\x02"), chunk(2, b"\x11"),
        chunk(3, socket.inet_aton(src)), chunk(4, socket.inet_aton(dst)),
        chunk(7, struct.pack("!H", sport)), chunk(8, struct.pack("!H", dport)),
        chunk(9, struct.pack("!I", t_us // 1000000)), chunk(10, struct.pack("!I", t_us % 1000000)),
        chunk(11, b"\x01"), chunk(12, struct.pack("!I", 4242)), chunk(15, payload),
    ])
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def sip(start, call_id, cseq, to_tag=False):
    return ("\r\n".join([
        start,
        f"Via: SIP/2.0/UDP {UAC}:5060;branch=z9hG4bK-{abs(hash((call_id, cseq))) % 10**9}",
        f"From: <sip:alice@{UAC}>;tag=a1",
        "To: <sip:bob@example.net>" + (";tag=b1" if to_tag else ""),
        f"Call-ID: {call_id}",
        f"CSeq: {cseq}",
        "Content-Length: 0", "", ""])).encode()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = int(time.time() * 1e6) - 60_000_000
    packets = []

    def req(dst, method, call_id, cseq_no, at):
        packets.append(hep3(UAC, dst, 5060, 5060, at, sip(f"{method} sip:bob@example.net SIP/2.0", call_id, f"{cseq_no} {method}")))

    def resp(src, status, reason, method, call_id, cseq_no, at):
        packets.append(hep3(src, UAC, 5060, 5060, at, sip(f"SIP/2.0 {status} {reason}", call_id, f"{cseq_no} {method}", True)))

    gw, reg, unknown = "192.0.2.50", "192.0.2.60", "203.0.113.7"
    for i in range(2):
        c = f"kpi-ok-{i}@{UAC}"
        req(gw, "INVITE", c, 1, t)
        req(gw, "INVITE", c, 1, t + 500_000)  # retransmission
        resp(gw, 180, "Ringing", "INVITE", c, 1, t + 150_000)
        resp(gw, 200, "OK", "INVITE", c, 1, t + 2_000_000)
        resp(gw, 200, "OK", "INVITE", c, 1, t + 2_500_000)  # retransmission
        t += 3_000_000
    for status, reason, n in ((486, "Busy Here", 5), (503, "Service Unavailable", 3)):
        for i in range(n):
            c = f"kpi-{status}-{i}@{UAC}"
            req(gw, "INVITE", c, 1, t)
            resp(gw, status, reason, "INVITE", c, 1, t + 40_000)
            t += 100_000
    for i in range(5):
        c = f"kpi-reg-{i}@{UAC}"
        req(reg, "REGISTER", c, 1, t)
        if i == 4:
            resp(reg, 403, "Forbidden", "REGISTER", c, 1, t + 10_000)
        else:
            resp(reg, 401, "Unauthorized", "REGISTER", c, 1, t + 10_000)
            req(reg, "REGISTER", c, 2, t + 20_000)
            resp(reg, 200, "OK", "REGISTER", c, 2, t + 30_000)
        t += 100_000
    for i in range(2):
        c = f"kpi-other-{i}@{UAC}"
        req(unknown, "INVITE", c, 1, t)
        resp(unknown, 200, "OK", "INVITE", c, 1, t + 80_000)
        t += 100_000
    for p in packets:
        out.sendto(p, (host, port))
        time.sleep(0.002)
    print(len(packets))


if __name__ == "__main__":
    main()
