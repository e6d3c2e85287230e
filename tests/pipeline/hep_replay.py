#!/usr/bin/env python3
"""Test tool: send the UDP payloads of a capture file (HEP datagrams) to a collector.

    hep_replay.py FILE.pcap udp|tcp HOST PORT [--dport N]

Reads classic pcap (Ethernet, Linux SLL, raw IP, null/loop), IPv4/IPv6, takes each UDP payload
(optionally only those to --dport) and sends it as one datagram, or over one TCP connection
back to back (HEP3 framing is the receiver's job). Prints the number sent.
"""
import socket
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def ip_payload(linktype, frame):
    if linktype == 1:  # Ethernet, skipping VLAN tags
        off, etype = 12, struct.unpack("!H", frame[12:14])[0]
        while etype in (0x8100, 0x88A8):
            off += 4
            etype = struct.unpack("!H", frame[off:off + 2])[0]
        return frame[off + 2:]
    if linktype == 113:
        return frame[16:]
    if linktype in (0, 108):
        return frame[4:]
    return frame  # raw IP


def udp_payloads(path, dport=None):
    for linktype, frame in frames(path):
        ip = ip_payload(linktype, frame)
        if not ip:
            continue
        if ip[0] >> 4 == 4:
            ihl = (ip[0] & 15) * 4
            if ip[9] != 17:
                continue
            udp = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
        elif ip[0] >> 4 == 6:
            if ip[6] != 17:
                continue
            udp = ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
        else:
            continue
        port = struct.unpack("!H", udp[2:4])[0]
        if dport is None or port == dport:
            yield udp[8:]


def main():
    path, transport, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    dport = int(sys.argv[sys.argv.index("--dport") + 1]) if "--dport" in sys.argv else None
    payloads = list(udp_payloads(path, dport))
    if transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for p in payloads:
            s.sendto(p, (host, port))
    else:
        s = socket.create_connection((host, port))
        s.sendall(b"".join(payloads))
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
    s.close()
    print(len(payloads))


if __name__ == "__main__":
    main()
