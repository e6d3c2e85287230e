#!/usr/bin/env python3
"""A sample for a cluster (docs/cluster.md): generated SIP calls as HEP3 over UDP into each capture node.

    cluster_sample.py [--calls N] [--minutes-ago M] HOST:PORT [HOST:PORT ...]

Sends N calls (INVITE, 180, 200, ACK, BYE, 200; Call-IDs distinct per node) to every collector, and one
call whose B leg (X-CID: the A leg's Call-ID) goes to the next node, so a cluster head shows one flow made
of legs captured on two shards. Calls start M minutes ago (default 10). Prints what it sent, as JSON.
Also imported by tests/cluster/cluster_test.py for its HEP and SIP builders.
"""
import argparse
import json
import socket
import struct
import time


def chunk(kind, value):
    return struct.pack("!HHH", 0, kind, 6 + len(value)) + value


def hep3(payload, time_us, src, dst):
    """One HEP3 packet (layout: proto/hep_codec.h): IPv4/UDP 5060 -> 5060, SIP, capture id 7."""
    body = b"".join([
        chunk(1, b"\x02"), chunk(2, b"\x11"),
        chunk(3, socket.inet_aton(src)), chunk(4, socket.inet_aton(dst)),
        chunk(7, struct.pack("!H", 5060)), chunk(8, struct.pack("!H", 5060)),
        chunk(9, struct.pack("!I", time_us // 1000000)), chunk(10, struct.pack("!I", time_us % 1000000)),
        chunk(11, b"\x01"), chunk(12, struct.pack("!I", 7)), chunk(15, payload),
    ])
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def sip(first_line, call_id, cseq, method, frm, to, x_cid=None, extra=()):
    lines = [first_line, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" + call_id.split("@")[0],
             "From: <sip:%s@example.com>;tag=f1" % frm, "To: <sip:%s@example.com>;tag=t1" % to,
             "Call-ID: " + call_id, "CSeq: %d %s" % (cseq, method), "User-Agent: sipvault-cluster-sample"]
    if x_cid:
        lines.append("X-CID: " + x_cid)
    return ("\r\n".join(lines + list(extra) + ["Content-Length: 0", "", ""])).encode()


def call_messages(call_id, frm, to, x_cid=None, invite_extra=()):
    """INVITE, 180, 200, ACK, BYE, 200 of one call; `invite_extra`: more header lines of the INVITE."""
    return [sip("INVITE sip:%s@example.com SIP/2.0" % to, call_id, 1, "INVITE", frm, to, x_cid, invite_extra),
            sip("SIP/2.0 180 Ringing", call_id, 1, "INVITE", frm, to),
            sip("SIP/2.0 200 OK", call_id, 1, "INVITE", frm, to),
            sip("ACK sip:%s@example.com SIP/2.0" % to, call_id, 1, "ACK", frm, to, x_cid),
            sip("BYE sip:%s@example.com SIP/2.0" % to, call_id, 2, "BYE", frm, to, x_cid),
            sip("SIP/2.0 200 OK", call_id, 2, "BYE", frm, to)]


class Sender:
    """Sends the messages of a call 1 ms apart, counting per destination."""

    def __init__(self):
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent = {}

    def send(self, dest, messages, t_us, src, dst):
        for i, m in enumerate(messages):
            self.out.sendto(hep3(m, t_us + i * 1000, src, dst), dest)
        self.sent[dest] = self.sent.get(dest, 0) + len(messages)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--minutes-ago", type=int, default=10)
    p.add_argument("collectors", nargs="+", help="HOST:PORT of each capture node's collector (HEP UDP)")
    args = p.parse_args()
    dests = [(h, int(port)) for h, port in (c.rsplit(":", 1) for c in args.collectors)]
    t0 = int(time.time() * 1e6) - args.minutes_ago * 60 * 1000000
    sender = Sender()
    for k in range(args.calls):
        for i, dest in enumerate(dests):
            sender.send(dest, call_messages("sample-%d-node%d@example.com" % (k, i + 1), "49301%04d" % k,
                                            "49302%04d" % k), t0 + k * 2000000 + i * 1000, "10.0.%d.1" % (i + 1),
                        "10.0.%d.2" % (i + 1))
            time.sleep(0.001)
    # One call, two sites: the A leg at the first node, its B leg (X-CID) at the next one.
    sender.send(dests[0], call_messages("linked-a@example.com", "4930555", "4930666"), t0, "10.0.1.5", "10.0.1.6")
    sender.send(dests[1 % len(dests)], call_messages("linked-b@example.com", "4930555", "4930666",
                                                     x_cid="linked-a@example.com"), t0 + 500, "10.0.2.5", "10.0.2.6")
    print(json.dumps({"sent": {"%s:%d" % d: n for d, n in sender.sent.items()},
                      "linked_call": "linked-a@example.com"}))


if __name__ == "__main__":
    main()
