#!/usr/bin/env python3
"""Checks one real call of rtpengine_qos_test.sh against what its peers sent.

    qos_call_check.py [--call-id ID] --hep-jsonl FILE --db-socket S --db NAME --api URL --admin-password-file F

(default call: the Call-ID of the first INVITE in the HEP.)

Expected values come from the HEP that rtpengine and Kamailio really sent (tcpdump on lo, decoded by
sipvault-hepdump into --hep-jsonl): every report block of rtpengine's RTCP JSON with correlation id
= the Call-ID must be a sip_qos row of the call with the same reporter, SSRC, sequence number and
loss; the call's SIP must be stored; baresip's X-RTP-Stat on the BYE must be a report too. On top,
loopback plausibility: no loss, jitter of a few ms, a MOS estimate above 4."""
import argparse
import collections
import datetime
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pipeline"))
from hostile_pipeline_test import Api  # noqa: E402  (the pipeline tests' HTTP client)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def expected_from_hep(path, call_id):
    """(report blocks, sender infos, SIP packet count) of the call in the decoded HEP capture."""
    blocks, senders, sip, times = [], [], 0, []
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if "sip" in o and o["sip"].get("call_id") == call_id:
                sip += 1
                times.append(datetime.datetime.strptime(o["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
                             .replace(tzinfo=datetime.timezone.utc).timestamp())
            if o.get("payload_type") != "rtcp_json" or o.get("correlation_id") != call_id:
                continue
            r = json.loads(o["payload"])
            for b in r.get("report_blocks", []):
                blocks.append({"reporter_ssrc": r["ssrc"], "ssrc": b["source_ssrc"], "highest_seq": b["highest_seq_no"],
                               "lost": b["packets_lost"], "fraction_lost": b["fraction_lost"] / 256.0,
                               "ia_jitter": b["ia_jitter"], "src_port": o["src_port"], "capture_id": o["capture_id"]})
            if "sender_information" in r:
                senders.append({"ssrc": r["ssrc"], "packets": r["sender_information"]["packets"]})
    return blocks, senders, sip, (min(times), max(times)) if times else (0, 0)


class Db:
    COLUMNS = ("source", "direction", "reporter_ssrc", "ssrc", "packets", "lost", "highest_seq", "fraction_lost",
               "jitter_ms", "rtt_ms", "mos", "codec", "capture_id", "src_port", "dst_port")

    def __init__(self, socket, name):
        self.base = ["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + socket, "-usipvault",
                     "-psipvault", name, "-N", "-B", "-e"]

    def query(self, sql):
        out = subprocess.run(self.base + [sql], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines()]

    def qos_rows(self, call_id):
        sql = "SELECT %s FROM sip_qos WHERE call_id = X'%s' ORDER BY capture_us, id" % (
            ", ".join(self.COLUMNS), call_id.encode().hex())
        rows = []
        for values in self.query(sql):
            row = {}
            for k, v in zip(self.COLUMNS, values):
                row[k] = None if v == "NULL" else (v if k == "codec" else float(v) if "." in v or "e" in v else int(v))
            rows.append(row)
        return rows


def wait_for(fetch, done, seconds=20):
    value = fetch()
    deadline = time.time() + seconds
    while not done(value) and time.time() < deadline:
        time.sleep(0.25)
        value = fetch()
    return value


def check_api(args, blocks, span):
    """GET /api/v1/calls/{call_id}/qos and the calls list (api/API_CONTRACT.md "Call quality")."""
    api = Api(args.api)
    password = open(args.admin_password_file).read().strip()
    status, _, body = api.request("POST", "/api/v1/login", json.dumps({"username": "admin", "password": password}),
                                  {"Content-Type": "application/json"})
    if not check(status == 200, "admin login: %d" % status):
        return
    api.token = json.loads(body)["token"]
    cid = urllib.parse.quote(args.call_id, safe="")
    window = "from=%dms&to=%dms" % (span[0] * 1000 - 60000, span[1] * 1000 + 60000)
    status, qos = api.json("/api/v1/calls/%s/qos?%s" % (cid, window))
    if not check(status == 200 and isinstance(qos, dict), "GET /calls/{call_id}/qos: %d" % status):
        return
    check(qos.get("reason") is None and not qos.get("truncated"), "the call has reports (reason %s)" % qos.get("reason"))
    legs = [leg for leg in qos.get("legs", []) if leg.get("call_id") == args.call_id]
    if not check(len(legs) == 1, "the call is a leg of its own answer (%d)" % len(legs)):
        return
    leg = legs[0]
    check(len(leg.get("media", [])) >= 2, "the leg's media addresses were learned from its SDP: %s"
          % [m.get("address") for m in leg.get("media", [])])
    want = collections.Counter((b["reporter_ssrc"], b["ssrc"]) for b in blocks)
    streams = [st for st in leg.get("streams", []) if st.get("source") == "rtcp_json" and st.get("direction") == "received"]
    got = collections.Counter({(st["reporter_ssrc"], st["ssrc"]): len(st.get("points", [])) for st in streams})
    check(got == want, "one rtcp_json stream per reporter and SSRC with a point per report block: %s, want %s"
          % (dict(got), dict(want)))
    ports = {("127.0.0.1:%d" % b["src_port"], b["reporter_ssrc"]) for b in blocks}
    for st in streams:
        what = "stream %08x on %08x" % (st["reporter_ssrc"], st["ssrc"])
        points = st.get("points", [])
        check((st.get("reporter"), st["reporter_ssrc"]) in ports and st.get("correlated") is True,
              what + ": reported from %s, correlated by Call-ID" % st.get("reporter"))
        check([p["time_us"] for p in points] == sorted(p["time_us"] for p in points), what + ": points in time order")
        losses = [p.get("interval_loss") for p in points]
        check(all(x in (None, 0) for x in losses) and any(x == 0 for x in losses),
              what + ": interval loss between consecutive reports is 0 (%s)" % losses)
        check(all(p.get("fraction_lost") == 0 and p.get("jitter_ms") is not None and p["jitter_ms"] < 20
                  and p.get("mos") is not None and p["mos"] > 4 for p in points),
              what + ": fraction lost 0, jitter < 20 ms, MOS > 4 at every point")
    summary = qos.get("summary") or {}
    check(summary.get("worst_mos") is not None and summary["worst_mos"] > 4
          and summary.get("worst_interval_loss") == 0 and summary.get("max_jitter_ms") is not None
          and summary["max_jitter_ms"] < 20 and summary.get("report_count", 0) >= len(blocks),
          "call summary: worst MOS > 4, no loss, jitter < 20 ms, every report counted (%s)" % summary)

    status, page = api.json("/api/v1/calls?call_id=%s&%s" % (cid, window))
    items = page.get("items", []) if status == 200 and isinstance(page, dict) else []
    check(len(items) == 1 and items[0].get("worst_mos") is not None and items[0]["worst_mos"] > 4
          and items[0].get("max_loss") == 0, "calls list: worst_mos > 4 and max_loss 0 (%d, %s)"
          % (status, [(i.get("worst_mos"), i.get("max_loss")) for i in items]))
    for below, n in (("4", 0), ("5", 1)):
        status, page = api.json("/api/v1/calls?call_id=%s&%s&mos_below=%s" % (cid, window, below))
        count = len(page.get("items", [])) if status == 200 and isinstance(page, dict) else -1
        check(count == n, "calls list with mos_below=%s: %d call(s), want %d (%d)" % (below, count, n, status))


def main():
    ap = argparse.ArgumentParser()
    for a in ("hep-jsonl", "db-socket", "db", "api", "admin-password-file"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--call-id")
    args = ap.parse_args()
    if not args.call_id:
        with open(args.hep_jsonl) as f:
            invites = [o["sip"]["call_id"] for o in map(json.loads, f) if o.get("sip", {}).get("method") == "INVITE"]
        if not check(len(invites) > 0, "the HEP holds an INVITE"):
            return 1
        args.call_id = invites[0]
    blocks, senders, sip_count, span = expected_from_hep(args.hep_jsonl, args.call_id)
    print("call %s: rtpengine sent %d report blocks, %d sender infos; Kamailio %d SIP messages"
          % (args.call_id, len(blocks), len(senders), sip_count))
    # An 11 s call: each endpoint's SR at 5 s and 10 s, each with one block on the other's stream.
    check(len(blocks) >= 2 and len({b["ssrc"] for b in blocks}) == 2,
          "rtpengine reported on both streams of the call (%d blocks)" % len(blocks))
    check(sip_count >= 12, "Kamailio's siptrace sent the call's SIP (%d messages)" % sip_count)
    check(all(b["lost"] == 0 and b["fraction_lost"] == 0 for b in blocks), "rtpengine saw no loss on loopback")

    db = Db(args.db_socket, args.db)
    stored_sip = wait_for(lambda: int(db.query("SELECT COUNT(*) FROM sip_messages WHERE call_id = X'%s'"
                                               % args.call_id.encode().hex())[0][0]), lambda n: n >= sip_count)
    check(stored_sip == sip_count, "the call's SIP is stored (%d of %d)" % (stored_sip, sip_count))

    def received(rows):
        return [r for r in rows if r["source"] == 2 and r["direction"] == 0]

    rows = wait_for(lambda: db.qos_rows(args.call_id), lambda rs: len(received(rs)) >= len(blocks))
    got = received(rows)
    key = lambda r: (r["reporter_ssrc"], r["ssrc"], r["highest_seq"], r["lost"])
    check(sorted(map(key, got)) == sorted(map(key, blocks)),
          "every report block rtpengine sent is a sip_qos row of the call (source rtcp_json, received): "
          "%d rows, %d blocks" % (len(got), len(blocks)))
    by_key = {key(b): b for b in blocks}
    for r in got:
        b = by_key.get(key(r))
        if b is None:
            continue
        what = "report %08x on %08x seq %d" % (r["reporter_ssrc"], r["ssrc"], r["highest_seq"])
        check(r["fraction_lost"] == 0, what + ": fraction lost 0")
        # ia_jitter is in RTP timestamp units; the stream is PCMA, 8000 per second.
        check(r["jitter_ms"] is not None and abs(r["jitter_ms"] - b["ia_jitter"] / 8.0) < 0.01 and r["jitter_ms"] < 20,
              what + ": jitter %s ms = ia_jitter %d / 8" % (r["jitter_ms"], b["ia_jitter"]))
        check(r["mos"] is not None and 4.0 < r["mos"] <= 5.0, what + ": MOS estimate %s above 4" % r["mos"])
        check(r["capture_id"] == 2002 and r["src_port"] == b["src_port"],
              what + ": capture id %d and reporter port %d as in the HEP" % (r["capture_id"], r["src_port"]))
    sent = sorted((r["ssrc"], r["packets"]) for r in rows if r["source"] == 2 and r["direction"] == 1)
    check(sent == sorted((x["ssrc"], x["packets"]) for x in senders),
          "every sender_information is a 'sent' row with the sender's packet count (%d rows, %d SRs)"
          % (len(sent), len(senders)))
    headers = [r for r in rows if r["source"] == 3]
    check(len(headers) >= 1 and all(r["lost"] in (0, None) for r in headers),
          "baresip's X-RTP-Stat on the BYE is a report of the call (%d rows)" % len(headers))
    uncorrelated = int(db.query("SELECT COUNT(*) FROM sip_qos WHERE call_id_hash = 0")[0][0])
    check(uncorrelated == 0, "no report stored without the call (%d)" % uncorrelated)

    check_api(args, blocks, span)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
