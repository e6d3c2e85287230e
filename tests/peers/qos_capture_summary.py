#!/usr/bin/env python3
"""What the two captures of tests/data/qos-captures hold, as tshark sees them (the SUMMARY.txt
next to them is this script's output):

    qos_capture_summary.py HEP_PCAP CALL_PCAP

HEP_PCAP: the HEP v3 packets rtpengine and Kamailio sent (tshark 4.0 has no HEP dissector, so the
chunks are read here from the UDP payload tshark prints). CALL_PCAP: SIP, RTP and RTCP on lo."""
import collections
import json
import subprocess
import sys


def tshark(pcap, *args):
    out = subprocess.run(["tshark", "-r", pcap, *args], check=True, capture_output=True, text=True)
    return out.stdout


def hep_chunks(data):
    """HEP v3 generic chunks of one packet: {type: bytes}; {} when it is not HEP3."""
    if len(data) < 6 or data[:4] != b"HEP3":
        return {}
    total = min(int.from_bytes(data[4:6], "big"), len(data))
    chunks, at = {}, 6
    while at + 6 <= total:
        vendor, kind, length = (int.from_bytes(data[at + i:at + i + 2], "big") for i in (0, 2, 4))
        if length < 6 or at + length > total:
            break
        if vendor == 0:
            chunks[kind] = data[at + 6:at + length]
        at += length
    return chunks


def summarize_hep(pcap):
    print("== %s: HEP v3 to the collector port" % pcap)
    kinds = collections.Counter()
    reports = []
    first = None
    for line in tshark(pcap, "-T", "fields", "-e", "frame.time_epoch", "-e", "data").splitlines():
        when, _, hexdata = line.partition("\t")
        c = hep_chunks(bytes.fromhex(hexdata))
        if not c:
            kinds["not HEP3"] += 1
            continue
        first = first if first is not None else float(when)
        ptype, capture_id = c.get(11, b"\0")[0], int.from_bytes(c.get(12, b"\0\0\0\0"), "big")
        kinds["payload type %d, capture id %d" % (ptype, capture_id)] += 1
        if ptype == 5:
            reports.append((float(when) - first, c.get(17, b"").decode(errors="replace"), json.loads(c[15])))
    for k, n in sorted(kinds.items()):
        print("  %4d  %s" % (n, k))
    print("  HEP 5 (rtpengine's RTCP JSON), correlation id = Call-ID:")
    for t, corr, r in reports:
        sender = r.get("sender_information")
        head = "type %s ssrc %s" % (r.get("type", "-"), r.get("ssrc", "-")) if "type" in r else "SDES only (RTCP BYE)"
        print("  %6.3f s  %s  %s%s" % (t, corr, head, ", sent %d packets" % sender["packets"] if sender else ""))
        for b in r.get("report_blocks", []):
            print("            block: source_ssrc %d highest_seq_no %d fraction_lost %d packets_lost %d ia_jitter %d"
                  % (b["source_ssrc"], b["highest_seq_no"], b["fraction_lost"], b["packets_lost"], b["ia_jitter"]))


def summarize_call(pcap):
    print("== %s: SIP, RTP and RTCP on lo" % pcap)
    frames = tshark(pcap, "-T", "fields", "-e", "frame.protocols").splitlines()
    top = collections.Counter(p.split(":")[-1] for p in frames)
    print("  frames %d: %s" % (len(frames), ", ".join("%s %d" % kv for kv in sorted(top.items()))))
    sip = collections.Counter()
    for line in tshark(pcap, "-Y", "sip", "-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code",
                       "-e", "sip.CSeq.method").splitlines():
        method, status, cseq = (line.split("\t") + ["", "", ""])[:3]
        sip[method or "%s (%s)" % (status, cseq)] += 1
    print("  SIP: " + ", ".join("%s %d" % kv for kv in sorted(sip.items())))
    rtcp = collections.Counter()
    for line in tshark(pcap, "-Y", "rtcp", "-T", "fields", "-e", "rtcp.pt", "-e", "rtcp.senderssrc").splitlines():
        pt, _, ssrc = line.partition("\t")
        rtcp["types %s from %s" % (pt, ssrc or "-")] += 1
    print("  RTCP packets (compound: packet types; SR sender SSRC):")
    for k, n in sorted(rtcp.items()):
        print("  %4d  %s" % (n, k))
    print("  RTP streams (tshark -z rtp,streams):")
    for line in tshark(pcap, "-q", "-z", "rtp,streams").splitlines():
        if line.strip() and not line.startswith("="):
            print("    " + line.strip())


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    summarize_hep(sys.argv[1])
    summarize_call(sys.argv[2])
