#!/usr/bin/env python3
"""Call-quality reports through the real pipeline: the sending and checking half of
qos_pipeline_test.sh (which starts collector, parser and writer). Python 3 stdlib only.

    qos_pipeline_test.py --hep-port N --db-socket S --db NAME --parser-metrics URL --writer-metrics URL

Sends over HEP3/UDP one call (INVITE with SDP, 200 with SDP, ACK, BYE carrying an X-RTP-Stat
header, its 200), raw RTCP SR+RR compound packets as HEP 5 from the media addresses the SDP named
(correlation id = the Call-ID), an RTCP-JSON HEP 5 in rtpengine/captagent's form, the agent's RTP
statistics as HEP 34, a vq-rtcpxr PUBLISH, and garbage HEP 5 payloads between them. Then checks the
sip_qos rows field by field against the values built into the bytes here, the garbage kept raw in
hep_other, the parser's and writer's counters, and that every good row around the garbage arrived.
Every check prints one line; any failure ends with exit status 1 after all checks ran.
"""
import argparse
import socket
import struct
import subprocess
import sys
import time
import urllib.request

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def equal(actual, wanted, what):
    return check(actual == wanted, "%s: %r%s" % (what, actual, "" if actual == wanted else ", expected %r" % (wanted,)))


def near(actual, wanted, what, tol=1e-3):
    ok = actual is not None and abs(float(actual) - wanted) <= tol * max(1.0, abs(wanted))
    return check(ok, "%s: %r ~ %r" % (what, actual, wanted))


# --- HEP3 (proto/hep_codec.h) -----------------------------------------------------------------

def chunk(kind, value):
    return struct.pack("!HHH", 0, kind, 6 + len(value)) + value


def hep3(src, dst, sport, dport, t_us, payload, ptype, correlation=None):
    body = b"".join([
        chunk(1, b"\x02"), chunk(2, b"\x11"),
        chunk(3, socket.inet_aton(src)), chunk(4, socket.inet_aton(dst)),
        chunk(7, struct.pack("!H", sport)), chunk(8, struct.pack("!H", dport)),
        chunk(9, struct.pack("!I", t_us // 1000000)), chunk(10, struct.pack("!I", t_us % 1000000)),
        chunk(11, bytes([ptype])), chunk(12, struct.pack("!I", 2001)), chunk(19, b"qos-node"),
    ])
    if correlation:
        body += chunk(17, correlation.encode())
    body += chunk(15, payload)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


# --- RTCP (RFC 3550 6.4) ----------------------------------------------------------------------

def report_block(ssrc, fraction, lost, highest, jitter, lsr=0, dlsr=0):
    lost24 = lost & 0xFFFFFF
    return struct.pack("!IB", ssrc, fraction) + struct.pack("!I", lost24)[1:] + struct.pack("!IIII", highest, jitter, lsr, dlsr)


def sr(ssrc, packets, octets, blocks):
    body = struct.pack("!IIIIII", ssrc, 0xE0000000, 0, 160000, packets, octets) + b"".join(blocks)
    return struct.pack("!BBH", 0x80 | len(blocks), 200, (4 + len(body)) // 4 - 1) + body


def rr(ssrc, blocks):
    body = struct.pack("!I", ssrc) + b"".join(blocks)
    return struct.pack("!BBH", 0x80 | len(blocks), 201, (4 + len(body)) // 4 - 1) + body


def sdes(ssrc, cname):
    item = b"\x01" + bytes([len(cname)]) + cname + b"\x00"
    item += b"\x00" * ((4 - (4 + len(item)) % 4) % 4)
    body = struct.pack("!I", ssrc) + item
    return struct.pack("!BBH", 0x81, 202, (4 + len(body)) // 4 - 1) + body


# --- SIP ------------------------------------------------------------------------------------

A, B = "10.20.0.1", "10.20.0.2"          # signalling
A_MEDIA, B_MEDIA = "10.30.0.1", "10.30.0.2"
A_RTP, B_RTP = 40000, 50000


def sip(start, call_id, cseq, extra="", body="", ctype="application/sdp"):
    head = (start + "\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s%d\r\nFrom: <sip:alice@%s>;tag=fa\r\n"
            "To: <sip:bob@%s>;tag=tb\r\nCall-ID: %s\r\nCSeq: %s\r\nUser-Agent: qos-test\r\n%s" %
            (A, call_id[:6], len(start), A, B, call_id, cseq, extra))
    if body:
        head += "Content-Type: %s\r\n" % ctype
    return (head + "Content-Length: %d\r\n\r\n" % len(body.encode()) + body).encode()


def sdp(ip, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\n"
            "a=rtpmap:8 PCMA/8000\r\na=rtcp:%d\r\n" % (ip, ip, port, port + 1))


def vq_body(call_id):
    return ("VQSessionReport: CallTerm\r\nCallID: %s\r\nLocalID: <sip:alice@%s>\r\nRemoteID: <sip:bob@%s>\r\n"
            "OrigID: <sip:alice@%s>\r\nLocalAddr: IP=%s PORT=%d SSRC=0x0A0A0A0A\r\n"
            "RemoteAddr: IP=%s PORT=%d SSRC=0x0B0B0B0B\r\nLocalMetrics:\r\n"
            "Timestamps: START=2026-12-06T10:00:00Z STOP=2026-12-06T10:01:00Z\r\n"
            "SessionDesc: PT=8 PD=PCMA SR=8000 FD=20 FO=20 FPP=1 PPS=50 PLC=3 SSUP=on\r\n"
            "JitterBuffer: JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\nPacketLoss: NLR=5.0 JDR=2.0\r\n"
            "BurstGapLoss: BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\nDelay: RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n"
            "QualityEst: RLQ=88 RCQ=85 MOSLQ=4.2 MOSCQ=4.3\r\n" % (call_id, A, B, A, A_MEDIA, A_RTP, B_MEDIA, B_RTP))


# --- reading back -----------------------------------------------------------------------------

def sql(args, query):
    out = subprocess.run(["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + args.db_socket,
                          "-usipvault", "-psipvault", args.db, "-N", "-B", "-e", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def metrics(url):
    values = {}
    for line in urllib.request.urlopen(url, timeout=5).read().decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def null(v):
    return None if v == "NULL" else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hep-port", type=int, required=True)
    ap.add_argument("--db-socket", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--parser-metrics", required=True)
    ap.add_argument("--writer-metrics", required=True)
    args = ap.parse_args()

    call = "qos-pipeline-%d@test" % int(time.time())
    t0 = int(time.time() * 1e6)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = []  # the HEP packets, in order

    def send(packet):
        sent.append(packet)
        tx.sendto(packet, ("127.0.0.1", args.hep_port))
        time.sleep(0.002)

    def at(ms):
        return t0 + ms * 1000

    garbage = [
        (b"\x80\x08\x12\x34" + b"RTP, not RTCP" * 3, "garbage-rtp"),
        (b"\x81\xc8\x00\x0c" + b"\x00" * 8, "garbage-truncated-sr"),  # an SR whose length points past the end
        (b'{"type": 200, "report_blocks": [', "garbage-json"),
        (sdes(0x1234, b"only-sdes@host"), "garbage-sdes-alone"),  # well-formed, no report block
    ]

    send(hep3(A, B, 5060, 5060, at(0), sip("INVITE sip:bob@%s SIP/2.0" % B, call, "1 INVITE", body=sdp(A_MEDIA, A_RTP)), 1))
    send(hep3(B, A, 5060, 5060, at(40), sip("SIP/2.0 200 OK", call, "1 INVITE", body=sdp(B_MEDIA, B_RTP)), 1))
    send(hep3(A, B, 5060, 5060, at(60), sip("ACK sip:bob@%s SIP/2.0" % B, call, "1 ACK"), 1))
    send(hep3(A, B, 9, 9, at(100), garbage[0][0], 5, garbage[0][1]))
    # A's RTCP port to B's: A sent 1500 packets; A's view of B's stream: 64/256 lost, 17 in all.
    compound_a = sr(0xAAAA0001, 1500, 240000, [report_block(0xBBBB0002, 64, 17, 0x00010F00, 80)]) + \
        sdes(0xAAAA0001, b"alice@host")
    send(hep3(A_MEDIA, B_MEDIA, A_RTP + 1, B_RTP + 1, at(5000), compound_a, 5, call))
    send(hep3(A, B, 9, 9, at(5001), garbage[1][0], 5, garbage[1][1]))
    # B's: a receiver report only; lost below zero (duplicates), 70000 highest, jitter 16 = 2 ms.
    compound_b = rr(0xBBBB0002, [report_block(0xAAAA0001, 0, -2, 70000, 16)]) + sdes(0xBBBB0002, b"bob@host")
    send(hep3(B_MEDIA, A_MEDIA, B_RTP + 1, A_RTP + 1, at(5100), compound_b, 5, call))
    send(hep3(A, B, 9, 9, at(5101), garbage[2][0], 5, garbage[2][1]))
    # rtpengine / captagent JSON (the form of the corpus' hep-wireshark_hep.pcap).
    rtcp_json = ('{"sender_information":{"ntp_timestamp_sec":3650797214,"packets":306,"ntp_timestamp_usec":0,'
                 '"octets":48960,"rtp_timestamp":48960},"ssrc":3435973836,"type":200,"report_blocks":'
                 '[{"source_ssrc":3722304989,"highest_seq_no":20881,"fraction_lost":0,"ia_jitter":0,'
                 '"packets_lost":4,"lsr":0,"dlsr":0}],"report_count":1}')
    send(hep3(B_MEDIA, A_MEDIA, B_RTP + 1, A_RTP + 1, at(6000), rtcp_json.encode(), 5, call))
    send(hep3(A, B, 9, 9, at(6001), garbage[3][0], 5, garbage[3][1]))
    agent = ('{"type":"sipvault_rtp","version":1,"ssrc":305419896,"src_ip":"%s","src_port":%d,"dst_ip":"%s",'
             '"dst_port":%d,"codec":"PCMA","clock_rate":8000,"packets":250,"expected":252,"lost":2,'
             '"highest_seq":66000,"fraction_lost":0.0079,"jitter_ms":1.9,"seq_gaps":1,"mos":4.38,'
             '"interval_s":5.0,"final":true}' % (B_MEDIA, B_RTP, A_MEDIA, A_RTP))
    send(hep3("10.99.0.1", "10.99.0.2", 1, 2, at(7000), agent.encode(), 34, call))
    stat = "PS=812;OS=129920;PR=810;OR=129600;PL=3;JI=18;LA=0;DU=16;EN=PCMA;DE=PCMA"
    send(hep3(A, B, 5060, 5060, at(16000), sip("BYE sip:bob@%s SIP/2.0" % B, call, "2 BYE", "X-RTP-Stat: %s\r\n" % stat), 1))
    send(hep3(B, A, 5060, 5060, at(16030), sip("SIP/2.0 200 OK", call, "2 BYE"), 1))
    pub = sip("PUBLISH sip:collector@%s SIP/2.0" % B, "publish-" + call, "1 PUBLISH", "Event: vq-rtcpxr\r\n",
              vq_body(call), "application/vq-rtcpxr")
    send(hep3(A, B, 5060, 5060, at(16100), pub, 1))
    messages = 6  # INVITE, 200, ACK, BYE, 200, PUBLISH

    # Wait for everything: the messages, the raw garbage and the writer's count of sip_qos rows
    # settling (two equal readings 0.5 s apart).
    deadline = time.time() + 30
    last = -1
    while time.time() < deadline:
        n_msg = int(sql(args, "SELECT COUNT(*) FROM sip_messages")[0][0])
        n_other = int(sql(args, "SELECT COUNT(*) FROM hep_other")[0][0])
        n_qos = int(sql(args, "SELECT COUNT(*) FROM sip_qos")[0][0])
        if n_msg >= messages and n_other >= len(garbage) and n_qos == last and n_qos > 0:
            break
        last = n_qos
        time.sleep(0.5)

    equal(int(sql(args, "SELECT COUNT(*) FROM sip_messages")[0][0]), messages, "SIP messages stored (BYE, PUBLISH too)")
    # Addresses are checked by their own queries below.
    cols = ("source, report_type, direction, ssrc, reporter_ssrc, packets, lost, highest_seq, fraction_lost, "
            "jitter_ms, rtt_ms, mos, codec, src_port, dst_port, capture_us, call_id, capture_id, node")
    rows = [dict(zip([c.strip() for c in cols.split(",")], map(null, r)))
            for r in sql(args, "SELECT %s FROM sip_qos ORDER BY capture_us, source, report_type, direction DESC, ssrc" % cols)]
    by = {}
    for r in rows:
        by.setdefault(r["source"], []).append(r)
    for r in rows:
        if r["call_id"] != call:
            check(False, "a sip_qos row on another call: %r" % r)

    # 1: raw RTCP. A's SR: its sender info (sent) and its block about B; B's RR block about A.
    rtcp = by.get("1", [])
    equal(len(rtcp), 3, "raw RTCP rows (SR sender info, SR block, RR block; SDES adds none)")
    if len(rtcp) == 3:
        sent_row = [r for r in rtcp if r["direction"] == "1"]
        a_block = [r for r in rtcp if r["direction"] == "0" and r["report_type"] == "200"]
        b_block = [r for r in rtcp if r["report_type"] == "201"]
        if check(len(sent_row) == 1 and len(a_block) == 1 and len(b_block) == 1, "one row of each kind"):
            s, a, b = sent_row[0], a_block[0], b_block[0]
            equal((s["ssrc"], s["packets"], s["lost"]), (str(0xAAAA0001), "1500", None), "SR sender info: ssrc, packets, no loss")
            equal((a["ssrc"], a["reporter_ssrc"], a["lost"], a["highest_seq"]),
                  (str(0xBBBB0002), str(0xAAAA0001), "17", str(0x00010F00)), "SR block: ssrc, reporter, lost, highest seq")
            near(a["fraction_lost"], 64 / 256, "SR block fraction lost (interval, from the 8-bit field)")
            near(a["jitter_ms"], 80 / 8.0, "SR block jitter ms (80 units at 8 kHz)")
            equal(a["packets"], None, "SR block: packets unknown (NULL)")
            equal((b["ssrc"], b["reporter_ssrc"], b["lost"], b["highest_seq"]), (str(0xAAAA0001), str(0xBBBB0002), "-2", "70000"),
                  "RR block: ssrc, reporter, lost (negative kept), highest seq")
            near(b["jitter_ms"], 2.0, "RR block jitter ms")
            near(b["fraction_lost"], 0.0, "RR block fraction lost")
            equal(str(a["capture_us"]), str(at(5000)), "SR rows at the RTCP packet's capture time")
            equal(a["capture_id"], "2001", "capture id")
            equal(a["node"], "qos-node", "node")
    # Addresses: the RTCP packet's for raw RTCP and JSON, by column.
    for src, sport, dst, dport, where in [(A_MEDIA, A_RTP + 1, B_MEDIA, B_RTP + 1, "capture_us = %d" % at(5000)),
                                          (B_MEDIA, B_RTP + 1, A_MEDIA, A_RTP + 1, "capture_us = %d" % at(5100))]:
        got = sql(args, "SELECT DISTINCT INET_NTOA(CONV(HEX(src_ip),16,10)), src_port, INET_NTOA(CONV(HEX(dst_ip),16,10)), "
                        "dst_port FROM sip_qos WHERE " + where)
        equal(got, [[src, str(sport), dst, str(dport)]], "addresses of the RTCP rows at " + where)

    # 2: RTCP JSON.
    js = by.get("2", [])
    sender = [r for r in js if r["direction"] == "1"]
    blocks = [r for r in js if r["direction"] == "0"]
    equal((len(sender), len(blocks)), (1, 1), "RTCP-JSON rows: sender info and one block")
    if sender:
        equal((sender[0]["ssrc"], sender[0]["packets"]), ("3435973836", "306"), "RTCP-JSON sender: ssrc, packets")
    if blocks:
        equal((blocks[0]["ssrc"], blocks[0]["reporter_ssrc"], blocks[0]["lost"], blocks[0]["highest_seq"]),
              ("3722304989", "3435973836", "4", "20881"), "RTCP-JSON block: ssrc, reporter, lost, highest seq")

    # 3: X-RTP-Stat on the BYE: the call only, no media address; PS = packets sent.
    hdr = by.get("3", [])
    check(len(hdr) >= 1, "X-RTP-Stat rows: %d" % len(hdr))
    ps = [r for r in hdr if r["direction"] == "1" and r["packets"] == "812"]
    equal(len(ps), 1, "X-RTP-Stat: one sent row with PS=812")
    for r in hdr:
        equal((r["src_port"], r["dst_port"], str(r["capture_us"])), ("0", "0", str(at(16000))),
              "X-RTP-Stat row: no media address, the BYE's time")

    # 4: vq-rtcpxr PUBLISH: its own CallID (the call's, not the PUBLISH's), its own addresses.
    vq = by.get("4", [])
    equal(len(vq), 1, "vq-rtcpxr rows")
    if vq:
        v = vq[0]
        near(v["fraction_lost"], 0.05, "vq-rtcpxr NLR=5.0 -> fraction 0.05")
        near(v["mos"], 4.3, "vq-rtcpxr MOSCQ")
        near(v["rtt_ms"], 200, "vq-rtcpxr RTD")
    got = sql(args, "SELECT INET_NTOA(CONV(HEX(src_ip),16,10)), src_port, INET_NTOA(CONV(HEX(dst_ip),16,10)), dst_port "
                    "FROM sip_qos WHERE source = 4")
    equal(got, [[A_MEDIA, str(A_RTP), B_MEDIA, str(B_RTP)]], "vq-rtcpxr LocalAddr / RemoteAddr")

    # 5: the agent's statistics: the stream's addresses, not the HEP packet's.
    ag = sql(args, "SELECT ssrc, packets, lost, highest_seq, codec, INET_NTOA(CONV(HEX(src_ip),16,10)), src_port, "
                   "INET_NTOA(CONV(HEX(dst_ip),16,10)), dst_port, ROUND(mos, 2), ROUND(fraction_lost, 4) FROM sip_qos WHERE source = 5")
    equal(ag, [["305419896", "250", "2", "66000", "PCMA", B_MEDIA, str(B_RTP), A_MEDIA, str(A_RTP), "4.38", "0.0079"]],
          "agent RTP statistics row")

    # Garbage: kept raw in hep_other, byte length and correlation as sent; nothing in sip_qos.
    other = sql(args, "SELECT correlation_id, raw_len, payload_type FROM hep_other ORDER BY capture_us, correlation_id")
    equal(sorted(other), sorted([[c, str(len(p)), "5"] for p, c in garbage]), "garbage HEP 5 kept raw in hep_other")
    equal(int(sql(args, "SELECT COUNT(*) FROM sip_qos WHERE call_id LIKE 'garbage%'")[0][0]), 0, "no report from garbage")

    total = len(rows)
    equal(total, 3 + 2 + len(hdr) + 1 + 1, "every good report around the garbage arrived")
    pm = metrics(args.parser_metrics)
    wm = metrics(args.writer_metrics)
    for source, n in [("rtcp", 3), ("rtcp_json", 2), ("rtp_stat_header", len(hdr)), ("vq_rtcpxr", 1), ("agent_rtp", 1)]:
        equal(pm.get('sipvault_parser_qos_reports_total{source="%s"}' % source), float(n), "parser reports counter " + source)
    undecodable = sum(v for k, v in pm.items() if k.startswith("sipvault_parser_qos_undecodable_total"))
    equal(undecodable, float(len(garbage)), "parser undecodable counters, all reasons")
    equal(pm.get('sipvault_parser_qos_undecodable_total{reason="not_rtcp"}'), 1.0, "undecodable: not_rtcp (the RTP)")
    equal(pm.get('sipvault_parser_qos_undecodable_total{reason="truncated"}'), 1.0, "undecodable: truncated SR")
    equal(pm.get('sipvault_parser_qos_undecodable_total{reason="bad_json"}'), 1.0, "undecodable: bad_json")
    equal(pm.get('sipvault_parser_qos_undecodable_total{reason="empty"}'), 1.0, "undecodable: empty (SDES alone)")
    equal(pm.get("sipvault_parser_non_sip_total{action=\"kept\"}"), float(len(garbage)), "parser non-SIP kept raw")
    equal(wm.get('sipvault_writer_rows_written_total{table="sip_qos"}'), float(total), "writer sip_qos rows counter")

    print("%d packets sent, %d failures" % (len(sent), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
