#!/usr/bin/env python3
"""Traffic for bench/agent_rtp_bench.sh, on loopback only.

  agent_rtp_gen.py sip --calls N        INVITE + 200 OK with SDP for N calls (the agent learns them)
  agent_rtp_gen.py rtp --calls N --pps P --seconds S
                                        then one PCMA RTP stream per call, P packets/s each

Call i: SIP 127.0.0.2:5060 -> 127.0.0.1:5060, offer media 127.0.0.2:(20000+2i), answer media
127.0.0.1:(40000+2i); RTP flows 127.0.0.2:(20000+2i) -> 127.0.0.1:(40000+2i). Nothing listens on
the media ports: the agent sees the packets on lo all the same (the kernel's port-unreachable
ICMP is rate-limited and unconnected sockets ignore it). Paced in 1/P s rounds of one packet
per stream; prints the packets sent and how far behind schedule it fell.
"""
import argparse
import socket
import struct
import time


def sdp(addr, port):
    return (f"v=0\r\no=- 1 1 IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n")


def sip(start, call_id, cseq, body):
    return (f"{start}\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-{call_id}\r\n"
            f"From: <sip:a@bench.invalid>;tag=a{call_id}\r\nTo: <sip:b@bench.invalid>;tag=b{call_id}\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["sip", "rtp"])
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--pps", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()

    if a.what == "sip":
        caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        caller.bind(("127.0.0.2", 0))
        for i in range(a.calls):
            cid = f"rtpbench-{i}"
            caller.sendto(sip("INVITE sip:b@127.0.0.1 SIP/2.0", cid, "1 INVITE", sdp("127.0.0.2", 20000 + 2 * i)),
                          ("127.0.0.1", 5060))
            caller.sendto(sip("SIP/2.0 200 OK", cid, "1 INVITE", sdp("127.0.0.1", 40000 + 2 * i)),
                          ("127.0.0.1", 5060))
            if i % 100 == 99:
                time.sleep(0.01)  # let the capture keep up with the burst
        print(f"sip_sent={2 * a.calls}")
        return

    socks = []
    for i in range(a.calls):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.2", 20000 + 2 * i))
        socks.append((s, ("127.0.0.1", 40000 + 2 * i), 0x10000000 + i))
    payload = b"\xd5" * 160
    period = 1.0 / a.pps
    rounds = int(a.seconds * a.pps)
    start = time.monotonic()
    sent = 0
    worst_lag = 0.0
    for r in range(rounds):
        seq, ts = r & 0xFFFF, (r * 160) & 0xFFFFFFFF
        for s, dst, ssrc in socks:
            s.sendto(struct.pack("!BBHII", 0x80, 8, seq, ts, ssrc) + payload, dst)
        sent += len(socks)
        due = start + (r + 1) * period
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        else:
            worst_lag = max(worst_lag, now - due)
    elapsed = time.monotonic() - start
    print(f"rtp_sent={sent} seconds={elapsed:.2f} pps={sent / elapsed:.0f} worst_lag_ms={worst_lag * 1000:.1f}")


if __name__ == "__main__":
    main()
