#!/usr/bin/env python3
"""Hostile SIP through the pipeline: the checking half of hostile_pipeline_test.sh (which starts
the daemons). Python 3 stdlib only.

    hostile_pipeline_test.py --corpus DIR --hep-port N --api URL --admin-password-file F
                             --db-socket S --db NAME --collector-metrics URL --parser-metrics URL

Truth is tests/hostile/make_hostile.py's manifest (what each message is and what the parser must
find in it). Every check prints one line; any failure ends with exit status 1 after all checks ran.
"""
import argparse
import base64
import codecs
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import zlib

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return ok


# --- HEP3 (layout: proto/hep_codec.h) ---------------------------------------------------------

def chunk(kind, value):
    return struct.pack("!HHH", 0, kind, 6 + len(value)) + value


def hep3(payload, *, time_us, capture_id, ip_proto, compress, node=None, correlation_id=None):
    body = b"".join([
        chunk(1, b"\x02"), chunk(2, bytes([ip_proto])),
        chunk(3, socket.inet_aton("203.0.113.66")), chunk(4, socket.inet_aton("198.51.100.7")),
        chunk(7, struct.pack("!H", 5060)), chunk(8, struct.pack("!H", 5060)),
        chunk(9, struct.pack("!I", time_us // 1000000)), chunk(10, struct.pack("!I", time_us % 1000000)),
        chunk(11, b"\x01"), chunk(12, struct.pack("!I", capture_id)),
    ])
    if correlation_id:
        body += chunk(17, correlation_id)
    if node:
        body += chunk(19, node)
    body += chunk(16, zlib.compress(payload, 9)) if compress else chunk(15, payload)
    packet = b"HEP3" + struct.pack("!H", 6 + len(body)) + body
    if len(packet) > 65535:
        raise SystemExit("a HEP3 packet cannot hold %d bytes: make_hostile.py must keep it smaller" % len(packet))
    return packet


# --- stored raw (store/raw_codec.h) ------------------------------------------------------------

def lz4_block(src, size):
    out = bytearray()
    i = 0
    while i < len(src):
        token = src[i]
        i += 1
        n = token >> 4
        if n == 15:
            while True:
                b = src[i]
                i += 1
                n += b
                if b != 255:
                    break
        out += src[i:i + n]
        i += n
        if i >= len(src):
            break
        offset = src[i] | src[i + 1] << 8
        i += 2
        n = token & 15
        if n == 15:
            while True:
                b = src[i]
                i += 1
                n += b
                if b != 255:
                    break
        n += 4
        start = len(out) - offset
        for k in range(n):
            out.append(out[start + k])
    if len(out) != size:
        raise ValueError("lz4 block inflates to %d bytes, not %d" % (len(out), size))
    return bytes(out)


def decode_raw(stored, raw_len, flags):
    if flags & 1:  # COMPRESS() format
        return zlib.decompress(stored[4:])
    if flags & 4:  # length-prefixed LZ4 block
        return lz4_block(stored[4:], raw_len)
    return stored


# --- text as the api prints it (proto/packet_convert.h toValidUtf8: one U+FFFD per bad byte) ---

codecs.register_error("sipvault", lambda e: ("\ufffd" * (e.end - e.start), e.end))


def text(b):
    return b.decode("utf-8", "sipvault")


# --- HTTP --------------------------------------------------------------------------------------

class Api:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.token = None

    def request(self, method, target, body=None, headers=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        try:
            c.request(method, target, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, target):
        return self.request("GET", target)

    def json(self, target):
        status, _, data = self.get(target)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None


def enc(b):
    return urllib.parse.quote_from_bytes(b, safe="")


def sql(args, query):
    return subprocess.run(["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + args.db_socket,
                           "-usipvault", "-psipvault", args.db, "-N", "-B", "-e", query],
                          check=True, capture_output=True, text=True).stdout


def metric(url, name, labels=""):
    with urllib.request.urlopen(url, timeout=10) as r:
        body = r.read().decode()
    for line in body.splitlines():
        if line.startswith("sipvault_" + name + ("{" + labels + "}" if labels else "") + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


import urllib.request  # noqa: E402  (after the helpers that do not need it)


# --- search truth (api/API_CONTRACT.md, api/search_sql.cpp) --------------------------------------

CALL_ID_WIDTH, USER_WIDTH, TAG_WIDTH, LONG_WIDTH = 255, 128, 128, 255  # store/stored_rows.h
MAX_TEXT = {"call_id": 4096}  # every other text parameter: 1024 bytes


def glob(pattern, value):
    rx = b"".join(b".*" if c == b"*" else re.escape(c) for c in (pattern[i:i + 1] for i in range(len(pattern))))
    return re.fullmatch(rx, value, re.S) is not None


# MariaDB's LOWER() of latin1 (its latin1 is cp1252): A-Z, the accented capitals C0-DE but D7,
# and cp1252's S/OE/Z caron and Y diaeresis. The user_agent filter folds both sides with it.
_LATIN1_LOWER = bytes(
    c + 32 if 0x41 <= c <= 0x5A or (0xC0 <= c <= 0xDE and c != 0xD7)
    else {0x8A: 0x9A, 0x8C: 0x9C, 0x8E: 0x9E, 0x9F: 0xFF}.get(c, c) for c in range(256))


def matches(param, value, f):
    """Whether stored message fields `f` (bytes) match filter param=value; the api's semantics."""
    if param == "call_id":
        if b"*" in value:  # a pattern on the stored Call-ID (issue 12)
            return glob(value, f["call_id"][:CALL_ID_WIDTH])
        return f["call_id"] == value
    if param in ("from_user", "to_user"):
        cols = ["from_user"] if param == "from_user" else ["to_user", "ruri_user"]
        if b"*" in value:
            return any(glob(value, f[c][:USER_WIDTH]) for c in cols)
        return any(f[c] == value for c in cols)
    if param in ("from_tag", "to_tag"):
        return f[param][:TAG_WIDTH] == value[:TAG_WIDTH]
    if param == "user_agent":  # case-insensitive (issue 12)
        return value.translate(_LATIN1_LOWER) in f["user_agent"][:LONG_WIDTH].translate(_LATIN1_LOWER)
    raise AssertionError(param)


def bad_value(param, value):
    """True when the api must answer 400 for param=value (non-empty)."""
    if any(c < 0x20 or c == 0x7f for c in value):
        return True
    if len(value) > MAX_TEXT.get(param, 1024):
        return True
    if param == "method":
        return not all(re.fullmatch(rb"[A-Za-z]{1,32}", m.strip(b" ")) for m in value.split(b","))
    if param in ("call_id", "from_user", "to_user", "from_tag", "to_tag", "user_agent"):
        return False
    return None  # numbers, addresses, times, cursor: 400 unless it happens to be valid


def main():
    ap = argparse.ArgumentParser()
    for a in ("corpus", "api", "admin-password-file", "db-socket", "db", "collector-metrics", "parser-metrics"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--hep-port", type=int, required=True)
    args = ap.parse_args()
    started = time.time()

    manifest = json.load(open(os.path.join(args.corpus, "manifest.json")))
    msgs = manifest["messages"]
    for m in msgs:
        m["bytes"] = open(os.path.join(args.corpus, m["file"]), "rb").read()
        m["capture_id"] = 7700 + m["index"]
        if "fields" in m:
            m["f"] = {k: bytes.fromhex(v) if isinstance(v, str) and k not in ("method",) else v
                      for k, v in m["fields"].items()}
    stored = [m for m in msgs if m["expect"] == "message"]
    rejects = [m for m in msgs if m["expect"] == "reject"]
    dropped = [m for m in msgs if m["expect"] == "dropped"]
    tables_before = sorted(sql(args, "SHOW TABLES").split())

    # 1. Send: UDP one datagram each, TCP all on one connection (the over-limit packet first, so
    # the rest also proves the stream survives it).
    base_us = int(time.time() * 1e6) - 120 * 1000000
    packets = {}
    for m in msgs:
        m["time_us"] = base_us + m["index"] * 1000
        packets[m["index"]] = hep3(m["bytes"], time_us=m["time_us"], capture_id=m["capture_id"],
                                   ip_proto=m["ip_proto"], compress=m["compress"],
                                   node=bytes.fromhex(m["node"]) if m["node"] else None,
                                   correlation_id=bytes.fromhex(m["correlation_id"]) if m["correlation_id"] else None)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for m in msgs:
        if m["transport"] == "udp":
            udp.sendto(packets[m["index"]], ("127.0.0.1", args.hep_port))
            time.sleep(0.002)
    udp.close()
    tcp_msgs = sorted((m for m in msgs if m["transport"] == "tcp"), key=lambda m: (m["expect"] != "dropped", m["index"]))
    with socket.create_connection(("127.0.0.1", args.hep_port)) as s:
        s.sendall(b"".join(packets[m["index"]] for m in tcp_msgs))
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        s.recv(1)
    print("sent %d hostile messages: %d over UDP, %d over TCP (%d compressed)" % (
        len(msgs), len(msgs) - len(tcp_msgs), len(tcp_msgs), sum(m["compress"] for m in msgs)))

    deadline = time.time() + 30
    while time.time() < deadline:
        n_msg = int(sql(args, "SELECT COUNT(*) FROM sip_messages"))
        n_rej = int(sql(args, "SELECT COUNT(*) FROM sip_rejects"))
        if n_msg >= len(stored) and n_rej >= len(rejects):
            break
        time.sleep(0.2)
    time.sleep(0.5)  # anything extra (a smuggled message) would arrive with the rest
    n_msg = int(sql(args, "SELECT COUNT(*) FROM sip_messages"))
    n_rej = int(sql(args, "SELECT COUNT(*) FROM sip_rejects"))
    check(n_msg == len(stored), "sip_messages holds %d rows, want %d" % (n_msg, len(stored)))
    check(n_rej == len(rejects), "sip_rejects holds %d rows, want %d" % (n_rej, len(rejects)))

    # 2. Counters: the over-limit packet is counted by the collector, rejects by the parser.
    got = metric(args.collector_metrics, "collector_dropped_total", 'reason="hep_inflate_too_large"')
    check(got == len(dropped), "collector_dropped_total{reason=\"hep_inflate_too_large\"} = %g, want %d" % (got, len(dropped)))
    for reason in sorted({m["reject_reason"] for m in rejects}):
        want = sum(m["reject_reason"] == reason for m in rejects)
        got = metric(args.parser_metrics, "parser_sip_rejected_total", 'reason="%s"' % reason)
        check(got == want, "parser_sip_rejected_total{reason=%s} = %g, want %d" % (reason, got, want))

    # 3. Rejects: kept raw, byte-exact, with the parser's reason.
    rows = sql(args, "SELECT capture_id, reason, raw_len, flags, HEX(raw) FROM sip_rejects").splitlines()
    by_capture = {}
    for row in rows:
        cid, reason, raw_len, flags, raw = row.split("\t")
        by_capture[int(cid)] = (reason, decode_raw(bytes.fromhex(raw), int(raw_len), int(flags)))
    for m in rejects:
        got = by_capture.get(m["capture_id"])
        if check(got is not None, "%s: kept in sip_rejects" % m["name"]):
            check(got[0].startswith(m["reject_reason"] + ":"), "%s: reject reason %r" % (m["name"], got[0]))
            check(got[1] == m["bytes"], "%s: sip_rejects raw is byte-exact" % m["name"])

    # 4. Every stored message through the REST api.
    api = Api(args.api)
    password = open(args.admin_password_file).read().strip()
    status, _, body = api.request("POST", "/api/v1/login", json.dumps({"username": "admin", "password": password}),
                                  {"Content-Type": "application/json"})
    if not check(status == 200, "admin login: %d" % status):
        return finish(started)
    api.token = json.loads(body)["token"]
    window = "from=%dms&to=%dms" % (base_us // 1000 - 1000, base_us // 1000 + 60000)

    status, page = api.json("/api/v1/messages?%s&limit=10000" % window)
    check(status == 200 and len(page["items"]) == len(stored),
          "all %d stored messages are listed (%s)" % (len(stored), status))
    for m in stored:
        f = m["f"]
        status, page = api.json("/api/v1/messages?%s&capture_id=%d" % (window, m["capture_id"]))
        items = page["items"] if status == 200 else []
        if not check(len(items) == 1, "%s: found by its capture id (%d, %d items)" % (m["name"], status, len(items))):
            continue
        item = items[0]
        m["id"] = item["id"]
        m["call_ref"] = item.get("call_ref", "")
        check(item["call_id"] == text(f["call_id"][:CALL_ID_WIDTH]), "%s: call_id as text" % m["name"])
        check(item["from_user"] == text(f["from_user"][:USER_WIDTH]), "%s: from_user %r" % (m["name"], item["from_user"]))
        check(item["to_user"] == text(f["to_user"][:USER_WIDTH]), "%s: to_user %r" % (m["name"], item["to_user"]))
        check(item["user_agent"] == text(f["user_agent"][:LONG_WIDTH]), "%s: user_agent %r" % (m["name"], item["user_agent"]))
        check(item["method"] == f["method"] and item["status"] == f["status"], "%s: method/status" % m["name"])
        check(item["raw_len"] == m["size"], "%s: raw_len %d" % (m["name"], item["raw_len"]))
        if m["node"]:
            check(item["node"] == text(bytes.fromhex(m["node"])), "%s: node name %r" % (m["name"], item["node"]))
        status, d = api.json("/api/v1/messages/" + enc(item["id"].encode()))
        if check(status == 200, "%s: detail (%d)" % (m["name"], status)):
            check(base64.b64decode(d["raw_base64"]) == m["bytes"], "%s: raw_base64 is byte-exact" % m["name"])
            check(d["raw_ok"] is True and d["raw"] == text(m["bytes"]), "%s: raw as text" % m["name"])
        # By Call-ID, when it is a value a search may hold.
        if not bad_value("call_id", f["call_id"]):
            status, page = api.json("/api/v1/messages?%s&call_id=%s" % (window, enc(f["call_id"])))
            ids = [i["id"] for i in page["items"]] if status == 200 else None
            check(ids == [m["id"]], "%s: found by its Call-ID (%d)" % (m["name"], status))
            status, calls = api.json("/api/v1/calls?%s&call_id=%s" % (window, enc(f["call_id"])))
            check(status == 200 and len(calls["items"]) == 1 and calls["items"][0]["message_count"] == 1,
                  "%s: one call by its Call-ID (%d)" % (m["name"], status))
        else:
            status, _ = api.json("/api/v1/messages?%s&call_id=%s" % (window, enc(f["call_id"])))
            check(status == 400, "%s: a Call-ID search the api cannot hold is a 400 (%d)" % (m["name"], status))
        # The flow by the Call-ID's exact bytes in the path.
        status, flow = api.json("/api/v1/calls/%s/flow?%s" % (enc(f["call_id"]), window))
        if check(status == 200, "%s: flow by Call-ID (%d)" % (m["name"], status)):
            check(m["id"] in [x["id"] for x in flow["messages"]], "%s: the flow has the message" % m["name"])
        # What a client has (the printed Call-ID and call_ref) reaches the call too, also when the
        # Call-ID is not UTF-8 or longer than the column.
        ref = item.get("call_ref", "")
        status, page = api.json("/api/v1/messages?%s&call_ref=%s" % (window, enc(ref.encode())))
        check(status == 200 and [i["id"] for i in page["items"]] == [m["id"]],
              "%s: found by its call_ref (%d)" % (m["name"], status))
        status, flow = api.json("/api/v1/calls/%s/flow?%s&call_ref=%s" % (enc(item["call_id"].encode()), window,
                                                                           enc(ref.encode())))
        if check(status == 200, "%s: flow by printed Call-ID + call_ref (%d)" % (m["name"], status)):
            check(m["id"] in [x["id"] for x in flow["messages"]], "%s: that flow has the message" % m["name"])
            check(all(x["leg"] in [leg["call_id"] for leg in flow["legs"]] for x in flow["messages"]),
                  "%s: every flow message names one of the legs" % m["name"])
        status, flow = api.json("/api/v1/calls/%s/flow?%s&call_ref=%s" % (enc(f["call_id"]), window, enc(ref.encode())))
        check(status == 200 and m["id"] in [x["id"] for x in flow["messages"]],
              "%s: flow by the Call-ID's bytes + call_ref (%d)" % (m["name"], status))
        # The pcap export gives the same bytes back.
        status, headers, pcap = api.get("/api/v1/export.pcap?%s&capture_id=%d" % (window, m["capture_id"]))
        if check(status == 200, "%s: export.pcap (%d)" % (m["name"], status)):
            check(pcap_payload(pcap) == m["bytes"], "%s: export.pcap payload is byte-exact" % m["name"])
        status, _, _ = api.get("/api/v1/export.txt?%s&capture_id=%d" % (window, m["capture_id"]))
        check(status == 200, "%s: export.txt (%d)" % (m["name"], status))

    # The flow of message 1 has message 2's leg (HEP correlation id = 1's Call-ID).
    first = next(m for m in stored if m["index"] == 1)
    status, flow = api.json("/api/v1/calls/%s/flow?%s" % (enc(first["f"]["call_id"]), window))
    if status == 200:
        legs = {leg["call_id"]: leg["relation"] for leg in flow["legs"]}
        second = next(m for m in stored if m["index"] == 2)
        check(legs.get(text(second["f"]["call_id"])) == "correlation", "flow of 1 has 2 as a correlated leg: %r" % legs)
    # A call_ref must be one and must name the path's call.
    status, body = api.json("/api/v1/calls/x/flow?%s&call_ref=%s" % (window, enc(b"<script>")))
    check(status == 400 and body["error"].get("parameter") == "call_ref", "a bad call_ref is a 400 naming it")
    status, body = api.json("/api/v1/calls/x/flow?%s&call_ref=%s" % (window, enc(first["call_ref"].encode())))
    check(status == 400 and body["error"].get("parameter") == "call_ref", "a call_ref of another call is a 400")
    # Nothing smuggled after Content-Length became a message of its own.
    status, page = api.json("/api/v1/messages?%s&call_id=hostile-smuggled%%40evil.example" % window)
    check(status == 200 and page["items"] == [], "a message smuggled after Content-Length is not stored")

    search_checks(api, window, stored)
    http_limits(api)

    tables_after = sorted(sql(args, "SHOW TABLES").split())
    check(tables_after == tables_before and "sip_messages" in tables_after and "api_users" in tables_after,
          "the database still has all its tables: %s" % " ".join(tables_after))
    check(int(sql(args, "SELECT COUNT(*) FROM sip_messages")) == len(stored), "no row was added or lost")
    status, _, _ = api.get("/api/v1/health")
    check(status == 200, "the api still serves")
    return finish(started)


def pcap_payload(data):
    """The UDP payloads / TCP segments of a classic pcap (Ethernet, IPv4), concatenated."""
    out = b""
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        l4 = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
        out += l4[8:] if ip[9] == 17 else l4[(l4[12] >> 4) * 4:]
    return out


def search_checks(api, window, stored):
    """Hostile values in every search parameter: 200 with exactly the rows a literal reading
    selects, or a 400 naming the parameter; never a 500."""
    values = [b"' OR 1=1 --", b'"; DROP TABLE sip_messages; --', b"\\", b"\\'", b"%", b"_", b"*", b"**",
              b"*%*", b"*_*", b"a_c", b"a%c", b"%_%", b"*\\*", b"<script>", b"<script>alert(", b"\x00",
              b"a\x00b", b"\r\nX-Injected: 1", b"x" * 1024, b"x" * 1025, b"hostile-21-" + b"x" * 1989,
              b"\xc0\xaf", b"\xff", b"\xed\xa0\x80", b"*' OR '*", b"javascript:alert(3)", b"alice", b"*x*",
              b"1; DROP TABLE api_users", b"%00", b"%25", b"\xe2\x80\xae", b"ft1", b"INVITE", b"invite,bye"]
    for m in stored:
        for k in ("call_id", "from_user", "to_user", "user_agent", "from_tag", "to_tag"):
            if m["f"][k] and m["f"][k] not in values:
                values.append(m["f"][k])
    text_params = ["call_id", "from_user", "to_user", "from_tag", "to_tag", "user_agent"]
    other_params = ["method", "status", "src_ip", "dst_ip", "ip", "port", "src_port", "dst_port", "transport",
                    "capture_id", "limit", "cursor", "from", "to", "call_ref"]
    by_id = {}
    status, page = api.json("/api/v1/messages?%s&limit=10000" % window)
    for item in page["items"]:
        by_id[item["id"]] = item
    count = 0
    bad = 0
    for param in text_params + other_params:
        for v in values:
            count += 1
            q = ("" if param in ("from", "to") else window + "&") + param + "=" + enc(v) + "&limit=10000"
            status, body = api.json("/api/v1/messages?" + q)
            expect_400 = bad_value(param, v)
            what = "messages?%s=%r" % (param, v[:60])
            if not check(status in (200, 400), "%s: status %d" % (what, status)):
                bad += 1
                continue
            if status == 400:
                check(expect_400 is not False, "%s: 400 for a value the api must take" % what)
                err = (body or {}).get("error", {})
                check(err.get("code") == "bad_parameter" and err.get("parameter") == param,
                      "%s: the 400 names the parameter: %r" % (what, err))
            else:
                check(expect_400 is not True, "%s: 200 for a value that must be a 400" % what)
                if param in text_params:
                    want = sorted(m["id"] for m in stored if matches(param, v, m["f"]))
                    got = sorted(i["id"] for i in body["items"])
                    check(got == want, "%s: exactly the matching rows (%d, want %d)" % (what, len(got), len(want)))
                elif param in ("from", "to"):
                    pass  # a valid time by accident (digits)
                else:
                    check(all(i["id"] in by_id for i in body["items"]), "%s: only stored rows" % what)
            if param in ("cursor", "limit"):
                continue  # their meaning differs per endpoint
            for endpoint in ("calls", "export.txt", "stats"):
                s, _, _ = api.get("/api/v1/%s?%s" % (endpoint, q.replace("&limit=10000", "")))
                check(s == status, "%s?%s=%r: status %d, messages gave %d" % (endpoint, param, v[:40], s, status))
    # Hostile parameter names.
    for name in [b"<script>", b"' OR 1=1 --", b"\xff", b"\x00", b"call_id\x00", b"x" * 1000, b"%"]:
        for endpoint in ("messages", "calls", "export.pcap", "stats"):
            status, body = api.json("/api/v1/%s?%s&%s=1" % (endpoint, window, enc(name)))
            err = (body or {}).get("error", {})
            check(status == 400 and err.get("code") == "bad_parameter" and err.get("parameter") == text(name),
                  "%s with parameter name %r: 400 naming it (%d, %r)" % (endpoint, name[:40], status, err.get("parameter")))
    # Broken escapes in names and values, and hostile path segments.
    for q in ("call_id=%zz", "call_id=%", "call_id=%0", "%zz=1", "from_user=%E0%80"):
        status, body = api.json("/api/v1/messages?%s&%s" % (window, q))
        check(status in (200, 400), "messages?%s: %d" % (q, status))
    for seg in [b"' OR 1=1 --", b"<script>", b"\x00", b"\xff", b"..", b"%2e%2e", b"1-1", b"99999999999999999999-1",
                b"1-99999999999999999999", b"-", b"x" * 2000]:
        status, _ = api.json("/api/v1/messages/" + enc(seg))
        check(status == 404, "messages/%r: 404 (%d)" % (seg[:40], status))
        status, _ = api.json("/api/v1/calls/%s/flow?%s" % (enc(seg), window))
        check(status == 404, "calls/%r/flow: 404 (%d)" % (seg[:40], status))
    print("hostile search parameters: %d values x %d parameters" % (len(values), len(text_params + other_params)))


def raw_http(port, data, read_timeout=10):
    """Sends raw bytes, returns the status line's code (0 when the server closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        buf = b""
        try:
            while b"\r\n" not in buf:
                chunk_ = s.recv(4096)
                if not chunk_:
                    break
                buf += chunk_
        except OSError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
    return int(m.group(1)) if m else 0


def http_limits(api):
    """What tests/api does not already cover (it has: 414 for a long target, 413 for a 70 KB body,
    400 for a 10 KB header line, 429 after 10 failed logins for one user and address)."""
    port = api.port
    auth = "Authorization: Bearer %s\r\n" % api.token
    many = "".join("X-H%d: v\r\n" % i for i in range(500))
    s = raw_http(port, ("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n%s\r\n" % many).encode())
    check(400 <= s < 500, "500 header fields: a 4xx (%d)" % s)
    s = raw_http(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    check(400 <= s < 500 or s == 0, "a 70 KB header line: a 4xx or a closed connection (%d)" % s)
    s = raw_http(port, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(400 <= s < 500, "a 20 KB request line: a 4xx (%d)" % s)
    s = raw_http(port, ("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n"
                        "Content-Type: application/json\r\n\r\n{").encode())
    check(s == 413, "a declared 10 GB body: 413 without reading it (%d)" % s)
    chunked = b"".join(b"%x\r\n%s\r\n" % (8192, b"a" * 8192) for _ in range(20)) + b"0\r\n\r\n"
    s = raw_http(port, ("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        "Content-Type: application/json\r\n\r\n").encode() + chunked)
    check(s == 413, "a 160 KB chunked body: 413 (%d)" % s)
    s = raw_http(port, ("GET /api/v1/messages?%s HTTP/1.1\r\nHost: x\r\n%s\r\n" %
                        ("&".join("a%d=1" % i for i in range(1500)), auth)).encode())
    check(s == 414, "a 10 KB query string of 1500 parameters: 414 (%d)" % s)
    s = raw_http(port, ("GET /api/v1/messages?%s HTTP/1.1\r\nHost: x\r\n%s\r\n" %
                        ("&".join("limit=%d" % i for i in range(700)), auth)).encode())
    check(s == 400, "700 repeated parameters under 8 KiB: 400 (%d)" % s)
    for body in (b"[" * 60000, b'{"a":' * 10000 + b"1" + b"}" * 10000, b'{"username": "\\u0000admin", "password": "x"}',
                 b'{"username": "admin\' OR 1=1 --", "password": "\' OR 1=1 --"}', b"\xff\xfe{}",
                 b'{"username": "' + b"\\ud800" * 100 + b'", "password": "x"}'):
        status, _, _ = api.request("POST", "/api/v1/login", body, {"Content-Type": "application/json"})
        check(status in (400, 401, 429), "login with a hostile body %r...: %d" % (body[:30], status))
    status, _, _ = api.get("/api/v1/health")
    check(status == 200, "the api still serves after the HTTP limit checks")


def finish(started):
    print("hostile pipeline: %d checks, %d failed, %.1f s" % (checks, len(failures), time.time() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
