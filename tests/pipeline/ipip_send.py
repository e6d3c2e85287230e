#!/usr/bin/env python3
"""Test tool: mirror SIP the way an SBC does, as IP-in-IP to 127.0.0.1.

    ipip_send.py COUNT

Sends COUNT IPv4/UDP SIP packets inside IP protocol 4 and COUNT IPv6/UDP SIP packets inside IP
protocol 41 (the kernel adds the outer IPv4 header for a raw socket of that protocol). Each SIP
message has Call-ID ipip-v4-N / ipip-v6-N. Needs CAP_NET_RAW.
"""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def sip(call_id):
    return ("OPTIONS sip:mirror@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK" + call_id +
            "\r\nFrom: <sip:4930123@192.0.2.10>;tag=1\r\nTo: <sip:4989456@192.0.2.20>\r\nCall-ID: " + call_id +
            "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def inner_v4(payload):
    udp = struct.pack("!HHHH", 5060, 5062, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                      socket.inet_aton("192.0.2.10"), socket.inet_aton("192.0.2.20"))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + udp


def inner_v6(payload):
    udp = struct.pack("!HHHH", 5060, 5062, 8 + len(payload), 0) + payload
    return (struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + socket.inet_pton(socket.AF_INET6, "2001:db8::10") +
            socket.inet_pton(socket.AF_INET6, "2001:db8::20") + udp)


def main():
    count = int(sys.argv[1])
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
    s6 = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41)
    for i in range(count):
        s4.sendto(inner_v4(sip("ipip-v4-%d" % i)), ("127.0.0.1", 0))
        s6.sendto(inner_v6(sip("ipip-v6-%d" % i)), ("127.0.0.1", 0))
    print(2 * count)


if __name__ == "__main__":
    main()
