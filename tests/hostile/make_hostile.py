#!/usr/bin/env python3
"""Writes a corpus of hostile SIP messages (issue 6) into a directory. Python 3 stdlib only,
deterministic (same bytes on every run), nothing of it is checked in.

    make_hostile.py OUT_DIR

OUT_DIR receives one file per message (NN-name.sip, the exact payload bytes) and manifest.json:

    {"version": 1, "payloads": {...}, "messages": [ {
        "index": 1, "name": "xss-every-header", "file": "01-xss-every-header.sip",
        "size": 1234, "sha256": "...",
        "expect": "message" | "reject" | "dropped",   where it must end up (see below)
        "reject_reason": "bad_header",                 expect == "reject": parser reason prefix
        "drop_reason": "hep_inflate_too_large",        expect == "dropped": collector counter
        "transport": "udp" | "tcp",                    how the test sends the HEP packet
        "compress": false,                             HEP3 chunk 16 (zlib) instead of 15
        "ip_proto": 17,                                HEP chunk 2 (original transport)
        "node": "<hex>" | null,                        HEP chunk 19 (hostile too)
        "correlation_id": "<hex>" | null,              HEP chunk 17
        "fields": {"call_id": "<hex>", "from_user": "<hex>", "to_user": "<hex>", "ruri_user": "<hex>",
                   "user_agent": "<hex>", "from_tag": "<hex>", "to_tag": "<hex>", "method": "INVITE",
                   "status": 0},                       what the parser must extract (expect == "message")
        "ui": true,                                    the browser test opens it
        "show": ["<script>alert(1)</script>", ...]     text the UI must show literally
    } ... ]}

expect: "message" = stored in sip_messages, found through the REST api by its Call-ID and its HEP
capture id (index-based, set by the sender), raw bytes equal to the file; "reject" = not a usable
SIP message (the parser's hard errors, sip/sip_parser.h), kept raw in sip_rejects; "dropped" =
beyond the collector's inflate bound (collector.max_inflated_kb, raised by the pipeline test to the
codec's ceiling proto/hep_codec.h kMaxInflatedPayload, 1 MiB; the default is 64 KiB): refused by the
collector and counted (collector_dropped_total{reason="hep_inflate_too_large"}).

What is hostile here: markup and script (<script>, <img onerror>, <svg onload>, javascript: URLs,
attribute-breaking quotes, entities, external URLs) in every header, the body, the Call-ID, From/To
display names and users and the User-Agent; SQL fragments (' OR 1=1 --, "; DROP TABLE ...",
backslashes, %, _); a 64 KiB header; 10,000 headers; NUL bytes; invalid UTF-8 (lone continuation
bytes, overlongs, surrogates, > U+10FFFF, FE/FF); CRLF injection (escaped CRLF in URIs, bare CR, folded
lines, a message smuggled after Content-Length); huge and negative Content-Length; a Call-ID longer
than its column and one longer than the api's parameter limit; a 60 KB plain UDP payload, a ~1 MB
compressed one, and a 2 MiB one beyond the bound.
"""
import hashlib
import json
import os
import sys
import urllib.parse

# Markup that must only ever be shown as text. Every one of them would run script, load something
# or change the page if a UI put it into the DOM as HTML.
XSS = [
    b'<script>alert("x1")</script>',
    b"<img src=x onerror=alert('x2')>",
    b"javascript:alert(3)",
    b'"><svg/onload=alert(4)>',
    b"'--></style></script><script>alert(5)</script>",
    b'<a href="javascript:alert(6)">click</a>',
    b'<iframe src="https://evil.example/frame"></iframe>',
    b"<link rel=stylesheet href=//evil.example/x.css>",
    b"{{constructor.constructor('alert(9)')()}}",
    b"&lt;b&gt;&amp;&#x3C;script&#x3E;",
    b"<style>body{background:url(//evil.example/bg.png)}</style>",
    b"<object data=javascript:alert(12)></object>",
]
SQL = [
    b"' OR 1=1 --",
    b'"; DROP TABLE sip_messages; --',
    b"'; DROP TABLE api_users; --",
    b"\\' OR \\'1\\'=\\'1",
    b"100%_sure\\",
    b"1' AND SLEEP(5) AND '1",
]
BAD_UTF8 = [
    b"\x80\xbf",                  # lone continuation bytes
    b"\xc0\xaf",                  # overlong '/'
    b"\xe0\x80\xaf",              # overlong '/' (3 bytes)
    b"\xf0\x80\x80\xaf",          # overlong '/' (4 bytes)
    b"\xed\xa0\x80",              # UTF-16 high surrogate U+D800
    b"\xed\xbf\xbf",              # low surrogate U+DFFF
    b"\xf4\x90\x80\x80",          # above U+10FFFF
    b"\xfe\xff",                  # never valid in UTF-8
    b"\xc3",                      # truncated sequence
]
ALL_XSS = b" ".join(XSS)

HOST = b"evil.example"


def esc(user: bytes) -> bytes:
    """A URI user part with every byte outside [A-Za-z0-9-_.] %-escaped (the parser decodes it)."""
    return urllib.parse.quote_from_bytes(user, safe="").encode("ascii")


def quoted(display: bytes) -> bytes:
    """A quoted-string display name (quotes and backslashes escaped as quoted-pairs)."""
    return b'"' + display.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def name_addr(display: bytes, user: bytes, tag: bytes = b"") -> bytes:
    value = (quoted(display) + b" " if display is not None else b"") + b"<sip:" + esc(user) + b"@" + HOST + b">"
    return value + (b";tag=" + tag if tag else b"")


class Message:
    """One SIP message built from parts, with the fields the parser must find in it."""

    def __init__(self, name, *, start=None, call_id=None, from_user=b"alice", to_user=b"bob",
                 ruri_user=None, from_display=b"Alice", to_display=None, from_tag=b"ft1", to_tag=b"",
                 user_agent=b"hostile-generator", method=b"INVITE", status=0, extra=(), body=b"",
                 content_length=None, trailer=b"", raw=None, expect="message", reason=None,
                 transport=None, compress=False, ip_proto=17, node=None, correlation_id=None,
                 ui=True, show=()):
        self.name = name
        self.call_id = call_id
        self.expect = expect
        self.reason = reason
        self.transport = transport
        self.compress = compress
        self.ip_proto = ip_proto
        self.node = node
        self.correlation_id = correlation_id
        self.ui = ui
        self.show = list(show)
        ruri_user = to_user if ruri_user is None else ruri_user
        self.fields = {
            "call_id": call_id, "from_user": from_user, "to_user": to_user,
            "ruri_user": ruri_user if status == 0 else b"", "user_agent": user_agent,
            "from_tag": from_tag, "to_tag": to_tag, "method": method.decode("latin1"), "status": status,
        }
        if raw is not None:
            self.bytes = raw
            return
        if start is None:
            start = (method + b" sip:" + esc(ruri_user) + b"@" + HOST + b" SIP/2.0") if status == 0 else \
                    b"SIP/2.0 " + str(status).encode() + b" OK"
        headers = [
            (b"Via", b"SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-" + name.encode()),
            (b"Max-Forwards", b"70"),
            (b"From", name_addr(from_display, from_user, from_tag)),
            (b"To", name_addr(to_display, to_user, to_tag)),
            (b"Call-ID", call_id),
            (b"CSeq", b"1 " + method),
            (b"Contact", b"<sip:" + esc(from_user) + b"@203.0.113.66:5060>"),
        ]
        if user_agent:
            headers.append((b"User-Agent" if status == 0 else b"Server", user_agent))
        headers.extend(extra)
        cl = str(len(body)).encode() if content_length is None else content_length
        headers.append((b"Content-Length", cl))
        self.bytes = start + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + body + trailer


def corpus():
    """The hostile messages, in a fixed order (the index is part of every Call-ID)."""
    out = []

    def add(m):
        out.append(m)
        return m

    # 1-2: markup everywhere. 2's HEP correlation id is 1's Call-ID (as Kamailio links B2BUA legs),
    # so the flow of 1 shows both legs, with their hostile Call-IDs, in one ladder.
    cid1 = b"hostile-01-<script>alert(1)</script>\"'><img src=x onerror=alert(1)>@evil.example"
    every = [(b"Subject", XSS[0]), (b"Organization", XSS[1]), (b"X-Url", XSS[2]), (b"X-Attr", XSS[3]),
             (b"X-Style", XSS[4]), (b"X-Link", XSS[5]), (b"X-Frame", XSS[6]), (b"X-Css", XSS[7]),
             (b"X-Template", XSS[8]), (b"X-Entity", XSS[9]), (b"X-Bg", XSS[10]), (b"X-Object", XSS[11]),
             (b"Reason", b'Q.850;cause=16;text="' + XSS[1].replace(b'"', b"'") + b'"'),
             (b"Warning", b'399 evil.example "' + XSS[0].replace(b'"', b"'") + b'"'),
             (b"Call-Info", b"<javascript:alert(13)>;purpose=icon"),
             (b"Alert-Info", b"<https://evil.example/ring.wav>"),
             (b"P-Asserted-Identity", b'"<img src=x onerror=alert(14)>" <sip:' + esc(b"<b>pai</b>") + b"@" + HOST + b">"),
             (b"Content-Type", b"text/html")]
    add(Message("xss-every-header",
                call_id=cid1,
                from_display=b"<script>alert('from')</script>", from_user=b"<img src=x onerror=alert(2)>",
                to_display=b'"><svg/onload=alert(4)>', to_user=b"javascript:alert(3)",
                from_tag=b"ft-<b>bold</b>", user_agent=XSS[0] + b" " + XSS[1],
                extra=every, body=b"<html><body onload=alert(10)>" + ALL_XSS + b"</body></html>\r\n",
                correlation_id=b"<script>alert('corr')</script>", node=b"<img src=x onerror=alert('node')>",
                show=[XSS[0], XSS[1], XSS[2], XSS[3], XSS[6]]))
    add(Message("xss-response", call_id=b"hostile-02-<svg onload=alert(2)>@evil.example", status=486,
                start=b"SIP/2.0 486 <script>alert(\"reason\")</script>",
                from_user=b"\"><img src=x onerror=alert(21)>", to_user=b"<script>alert(22)</script>",
                to_tag=b"tt-<i>x</i>", user_agent=b"<iframe src=javascript:alert(23)></iframe>",
                extra=[(b"Content-Type", b"application/sdp")],
                body=b"v=0\r\no=- 1 1 IN IP4 <script>alert(24)</script>\r\ns=<img src=x onerror=alert(25)>\r\n"
                     b"c=IN IP4 198.51.100.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 <b>PCMU</b>/8000\r\n",
                correlation_id=cid1, transport="tcp",
                show=[b"<script>alert(\"reason\")</script>", b"<iframe src=javascript:alert(23)></iframe>"]))

    # 3-6: SQL fragments, LIKE metacharacters, backslashes.
    add(Message("sql-fragments", call_id=b"hostile-03-'; DROP TABLE sip_messages; --@evil.example",
                from_user=SQL[0], to_user=SQL[1], from_display=SQL[2], user_agent=SQL[3] + b" " + SQL[5],
                extra=[(b"Subject", SQL[1]), (b"X-Sql", b" ".join(SQL))], body=b" ".join(SQL) + b"\r\n",
                show=[SQL[0], SQL[1]]))
    add(Message("sql-like-percent", call_id=b"hostile-04-%_%@evil.example", from_user=b"%", to_user=b"_",
                user_agent=b"100%_sure", show=[b"100%_sure"]))
    add(Message("sql-like-underscore", call_id=b"hostile-05-_@evil.example", from_user=b"a_c", to_user=b"a%c",
                user_agent=b"50_percent", transport="tcp"))
    add(Message("sql-backslash", call_id=b"hostile-06-\\'\\\\@evil.example", from_user=b"a\\b",
                to_user=b"\\", user_agent=b"\\'\\\"\\\\ \\x00 \\n", show=[b"\\'\\\"\\\\"]))

    # 7-9: NUL and invalid UTF-8 in header values and the body.
    add(Message("nul-in-values", call_id=b"hostile-07-nul@evil.example", from_user=b"nul\x00user",
                user_agent=b"UA\x00<script>alert(7)</script>", from_display=b"a\x00b",
                extra=[(b"Subject", b"before\x00after"), (b"Content-Type", b"application/octet-stream")],
                body=b"\x00\x01\x02<script>\x00alert(7)</script>\x00\xff\r\n", transport="tcp"))
    add(Message("nul-in-call-id", call_id=b"hostile-08-\x00-nul@evil.example", user_agent=b"nul-call-id"))
    bad = b"|".join(BAD_UTF8)
    add(Message("invalid-utf8", call_id=b"hostile-09-\xc0\xaf\xed\xa0\x80\xfe@evil.example",
                from_user=b"utf8" + BAD_UTF8[1], to_user=b"\xed\xa0\x80\x80\xbf", from_display=bad,
                user_agent=b"bad " + bad + b" <script>alert(9)</script>",
                extra=[(b"Subject", bad), (b"X-Bad-" + b"Utf8", bad)], body=bad + b"\r\n", transport="tcp"))

    # 10-12: CRLF injection.
    add(Message("crlf-in-uri-user", call_id=b"hostile-10-crlf@evil.example",
                from_user=b"a\r\nVia: SIP/2.0/UDP injected", to_user=b"b\r\n\r\nINVITE sip:x SIP/2.0",
                user_agent=b"ua %0d%0aX-Injected: 1", extra=[(b"Subject", b"bare\rCR\rX-Injected: 2")]))
    add(Message("crlf-folded", call_id=b"hostile-11-folded@evil.example", user_agent=b"folded-ua",
                extra=[(b"Subject", b"line one\r\n <script>alert(11)</script>\r\n\tX-Injected: 3")]))
    smuggled = (b"\r\n\r\nINVITE sip:smuggled@evil.example SIP/2.0\r\nCall-ID: hostile-smuggled@evil.example\r\n"
                b"From: <sip:smuggled@evil.example>;tag=s\r\nTo: <sip:smuggled@evil.example>\r\nCSeq: 1 INVITE\r\n"
                b"Content-Length: 0\r\n\r\n")
    add(Message("crlf-smuggled-after-body", call_id=b"hostile-12-smuggle@evil.example", body=b"ok\r\n",
                trailer=smuggled, user_agent=b"smuggler"))

    # 13-15: Content-Length.
    add(Message("content-length-u64-overflow", call_id=b"hostile-13-cl@evil.example",
                content_length=b"18446744073709551616", body=b"x", expect="reject", reason="bad_content_length"))
    add(Message("content-length-huge", call_id=b"hostile-14-cl@evil.example", content_length=b"4294967296",
                body=b"<script>alert(14)</script>", user_agent=b"cl-huge"))
    add(Message("content-length-negative", call_id=b"hostile-15-cl@evil.example", content_length=b"-1",
                expect="reject", reason="bad_content_length"))

    # 16-19: not SIP at all / unusable: rejected, kept raw.
    add(Message("html-not-sip", raw=b"<html><script>alert(16)</script>\r\nCall-ID: hostile-16@evil.example\r\n\r\n",
                expect="reject", reason="not_sip"))
    add(Message("markup-header-name", call_id=b"hostile-17@evil.example",
                extra=[(b"X-<img src=x onerror=alert(17)>", b"y")], expect="reject", reason="bad_header"))
    add(Message("markup-method", call_id=b"hostile-18@evil.example",
                start=b"<svg/onload=alert(18)> sip:x@evil.example SIP/2.0", expect="reject", reason="not_sip"))
    add(Message("empty-call-id", call_id=b"", expect="reject", reason="missing_call_id"))

    # 20-21: Call-IDs longer than the column (255) and than the api's parameter limit (1024).
    add(Message("call-id-1000", call_id=b"hostile-20-" + b"<script>alert(20)</script>" * 37 + b"@evil.example",
                user_agent=b"long-call-id"))
    add(Message("call-id-2000", call_id=b"hostile-21-" + b"x" * 1989, user_agent=b"longer-call-id", transport="tcp"))

    # 22-23: exotic but valid UTF-8, and many Via hops.
    add(Message("unicode-tricks", call_id=b"hostile-22-\xe2\x80\xae\xe2\x80\x8b@evil.example",
                from_display="\u202eevil\u2028\u2029\ufeff\U0001f4a3</script>".encode(),
                from_user="\u0430dmin".encode(), user_agent="\u2028<script>alert('\u2029')</script>".encode(),
                show=[b"alert("]))
    add(Message("many-vias", call_id=b"hostile-23-vias@evil.example", user_agent=b"vias",
                extra=[(b"Via", b"SIP/2.0/UDP 192.0.2.%d:5060;branch=z9hG4bK-<b>%d</b>" % (i % 250, i))
                       for i in range(100)], transport="tcp"))

    # 24-28: sizes. 24: a 64 KiB header (over HEP's 16-bit length: sent compressed over TCP).
    # 25: 10,000 headers. 26: 60 KB as one plain UDP datagram. 27: ~1 MB, just under the inflate
    # bound. 28: 2 MiB, over it: the collector refuses and counts it.
    big = (b"<script>alert(24)</script>" * 2600)[:65536]
    add(Message("header-64k", call_id=b"hostile-24-big-header@evil.example", user_agent=b"big-header",
                extra=[(b"X-Big", big)], transport="tcp", compress=True, ip_proto=6, show=[b"X-Big"]))
    add(Message("headers-10000", call_id=b"hostile-25-10000-headers@evil.example", user_agent=b"many-headers",
                extra=[(b"X-Hostile-%05d" % i, b"<img src=x onerror=alert(%d)>" % i) for i in range(10000)],
                transport="tcp", compress=True, ip_proto=6, ui=False))
    add(Message("udp-60k", call_id=b"hostile-26-udp-60k@evil.example", user_agent=b"udp-60k",
                extra=[(b"Content-Type", b"text/html")],
                body=(b"<p onmouseover=alert(26)>" + ALL_XSS + b"</p>\r\n") * 120 + b"\x00" * 10,
                transport="udp", ui=False))
    line = b"<script>alert(27)</script><img src=x onerror=alert(27)>\r\n"
    add(Message("near-1mib", call_id=b"hostile-27-near-1mib@evil.example", user_agent=b"near-1mib",
                extra=[(b"Content-Type", b"text/plain")], body=line * (1_000_000 // len(line)),
                transport="tcp", compress=True, ip_proto=6, ui=False))
    add(Message("over-1mib", call_id=b"hostile-28-over-limit@evil.example", user_agent=b"over-1mib",
                body=b"A" * (2 << 20), transport="tcp", compress=True, ip_proto=6,
                expect="dropped", ui=False))
    # 29: a small hostile message compressed over UDP.
    add(Message("compressed-udp", call_id=b"hostile-29-<b>compressed</b>@evil.example",
                user_agent=b"<img src=x onerror=alert(29)>", transport="udp", compress=True,
                node=b"\"><script>alert('node2')</script>", show=[b"<img src=x onerror=alert(29)>"]))

    for i, m in enumerate(out, 1):
        m.index = i
        if m.transport is None:
            m.transport = "udp" if i % 2 else "tcp"
        if m.expect == "message":
            assert m.call_id.startswith(b"hostile-%02d-" % i), m.name
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    manifest = {"version": 1,
                "payloads": {"xss": [x.hex() for x in XSS], "sql": [x.hex() for x in SQL],
                             "bad_utf8": [x.hex() for x in BAD_UTF8]},
                "messages": []}
    for m in corpus():
        file = "%02d-%s.sip" % (m.index, m.name)
        with open(os.path.join(out_dir, file), "wb") as f:
            f.write(m.bytes)
        entry = {"index": m.index, "name": m.name, "file": file, "size": len(m.bytes),
                 "sha256": hashlib.sha256(m.bytes).hexdigest(), "expect": m.expect,
                 "transport": m.transport, "compress": m.compress, "ip_proto": m.ip_proto,
                 "node": m.node.hex() if m.node else None,
                 "correlation_id": m.correlation_id.hex() if m.correlation_id else None,
                 "ui": m.ui and m.expect == "message", "show": [s.decode("utf-8") for s in m.show]}
        if m.expect == "reject":
            entry["reject_reason"] = m.reason
        if m.expect == "dropped":
            entry["drop_reason"] = "hep_inflate_too_large"
        if m.expect == "message":
            entry["fields"] = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in m.fields.items()}
        manifest["messages"].append(entry)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(len(manifest["messages"]))


if __name__ == "__main__":
    main()
