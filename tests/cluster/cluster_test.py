#!/usr/bin/env python3
"""End-to-end: a three-shard cluster read through a Spider head (issue 13, docs/cluster.md).

    cluster_test.py BUILD_DIR SOURCE_DIR

Real processes only, all on loopback, under BUILD_DIR/tests/cluster/work: three shard MariaDB
servers and one head (deploy/mariadb.sh, the head with ha_spider.so), a capture node per shard
(collector -> parser -> writer, writer.shard_id = 1, 2, 3), the head's api (api.cluster = true),
and one single-node api per shard for the shards' own answers. tools/sipvault-cluster grants the
head its SELECT-only user on every shard and makes the head's Spider tables.

Checks: a call whose X-CID-linked leg was captured on another shard is one flow; messages (paged),
calls, rejects, pcap export and stats through the head equal the union of the shards' own answers;
the head cannot write a shard; a shard stopped -> partial answers naming it within the timeout,
health and metrics show it down; a shard hung (SIGSTOP) likewise; started again -> complete
answers, nothing else restarted; hourly partitions created and dropped on a shard while the head
reads; a shard removed from and added to the node list (sipvault-cluster remove/add) is followed by the
head without a restart. Stops only the processes it started. Exit 0 = pass.
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BUILD, SOURCE = sys.argv[1], sys.argv[2]
WORK = os.path.join(BUILD, "tests", "cluster", "work")
MARIADB_SH = os.path.join(SOURCE, "deploy", "mariadb.sh")
TOOL = os.path.join(SOURCE, "tools", "sipvault-cluster")
QUERY_TIMEOUT_S = 5
SHARDS = {"s1": 1, "s2": 2, "s3": 3}

procs = []  # (name, Popen) started here, stopped at the end
failures = []


def check(ok, what):
    try:
        print(("ok   " if ok else "FAIL ") + what, flush=True)
    except OSError:  # whoever read our output went away (ctest killed): finish, so that the servers get stopped
        pass
    if not ok:
        failures.append(what)
    return ok


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from free_port import free_port  # noqa: E402  (random, below the ephemeral range)


def start(name, args):
    log = open(os.path.join(WORK, name + ".log"), "w")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    procs.append((name, p))
    return p


def db_env(plugins=""):
    env = dict(os.environ, SIPVAULT_MARIADB_BUFFER_POOL="32M", SIPVAULT_MARIADB_LOG_FILE_SIZE="16M")
    if plugins:
        env["SIPVAULT_MARIADB_PLUGINS"] = plugins
        env["SIPVAULT_MARIADB_SPIDER_TIMEOUT_S"] = str(QUERY_TIMEOUT_S)
    return env


def mariadb(action, name, port=None):
    args = [MARIADB_SH, action, os.path.join(WORK, name)] + ([str(port)] if port else [])
    return subprocess.run(args, env=db_env("ha_spider.so" if name == "head" else ""), capture_output=True,
                          text=True)


def sock(name):
    return os.path.join(WORK, name, "mysqld.sock")


def sql(name, statement, user="root", password=None, port=None):
    args = ["mariadb", "--no-defaults", "-N", "-B", "-u", user]
    args += ["--protocol=tcp", "-h", "127.0.0.1", "-P", str(port)] if port else ["--protocol=socket", "-S", sock(name)]
    if password:
        args.append("-p" + password)
    r = subprocess.run(args + ["sipvault", "-e", statement], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return [line.split("\t") for line in r.stdout.splitlines()]


# HEP and SIP builders shared with the demo's sample (deploy/cluster_sample.py).
sys.path.insert(0, os.path.join(SOURCE, "deploy"))
from cluster_sample import call_messages, hep3  # noqa: E402


# --- the api ------------------------------------------------------------------------------------

class Api:
    def __init__(self, name, port):
        self.name, self.base, self.token = name, "http://127.0.0.1:%d" % port, None

    def request(self, target, body=None, timeout=30):
        req = urllib.request.Request(self.base + target, data=json.dumps(body).encode() if body else None)
        if body:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, target):
        status, headers, body = self.request(target)
        if status != 200:
            raise RuntimeError("%s %s -> %d %s" % (self.name, target, status, body[:300]))
        return json.loads(body)

    def login(self, password_file):
        for _ in range(300):
            try:
                if os.path.exists(password_file) and self.request("/api/v1/health")[0] in (200, 503):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        password = open(password_file).read().strip()
        status, _, body = self.request("/api/v1/login", {"username": "admin", "password": password})
        if status != 200:
            raise RuntimeError("%s login -> %d %s" % (self.name, status, body))
        self.token = json.loads(body)["token"]

    def pages(self, path, query, limit=7):
        """Every item of a keyset-paged listing, and whether any page said partial."""
        items, cursor, partial, missing = [], None, False, set()
        while True:
            page = self.json("%s?%s&limit=%d%s" % (path, query, limit, "&cursor=" + cursor if cursor else ""))
            items += page["items"]
            partial = partial or page.get("partial", False)
            missing |= set(page.get("missing_shards", []))
            cursor = page.get("next_cursor")
            if not cursor:
                return items, partial, sorted(missing)


def wait_for(what, fn, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if fn():
                return True
        except (RuntimeError, OSError):
            pass
        time.sleep(0.1)
    return check(False, "in %ds: %s" % (timeout_s, what))


def pcap_packets(data):
    n, off = 0, 24
    while off + 16 <= len(data):
        n += 1
        off += 16 + struct.unpack("<I", data[off + 8:off + 12])[0]
    return n


def shard_states(head):
    return {s["name"]: s["state"] for s in head.json("/api/v1/health").get("shards", [])}


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    bin_ = {d: os.path.join(BUILD, d, "sipvault-" + d) for d in ("collector", "parser", "writer", "api")}
    ports = {name: free_port() for name in ["head"] + list(SHARDS)}

    # 1. Four MariaDB servers, then a capture node per shard (its writer migrates its shard).
    starts = [threading.Thread(target=lambda n=n: mariadb("start", n, ports[n])) for n in ports]
    for t in starts:
        t.start()
    for t in starts:
        t.join()
    for n in ports:
        if not check(mariadb("status", n).returncode == 0, "mariadb %s running" % n):
            return
    if os.environ.get("SIPVAULT_CLUSTER_TEST_GENERAL_LOG"):  # debugging: what the head asked each shard
        for n in SHARDS:
            sql(n, "SET GLOBAL general_log_file = '%s/general.log', general_log = 1" % os.path.join(WORK, n))
    hep = {}
    for name, shard_id in SHARDS.items():
        hep[name], bus_in, bus_out = free_port(), free_port(), free_port()
        ini = os.path.join(WORK, name + "-writer.ini")
        with open(ini, "w") as f:
            f.write("[writer]\nshard_id = %d\n" % shard_id)
        start(name + "-writer", [bin_["writer"], "--config", ini, "--listen", "bind:tcp://127.0.0.1:%d" % bus_out,
                                 "--db-socket", sock(name), "--flush-ms", "50"])
        parser_ini = os.path.join(WORK, name + "-parser.ini")
        with open(parser_ini, "w") as f:  # a custom header field, searched through the head's sip_headers
            f.write("[parser]\nheaders.extract = ua\nheaders.ua.header = User-Agent\ncorrelation.rules = session-id\n"
                    "kpi_aliases = false\n")
        start(name + "-parser", [bin_["parser"], "--config", parser_ini, "--input",
                                 "connect:tcp://127.0.0.1:%d" % bus_in, "--output", "connect:tcp://127.0.0.1:%d" % bus_out])
        start(name + "-collector", [bin_["collector"], "--udp", "127.0.0.1:%d" % hep[name], "--tcp",
                                    "127.0.0.1:%d" % hep[name], "--output", "bind:tcp://127.0.0.1:%d" % bus_in])
    newest = max(int(f[:3]) for f in os.listdir(os.path.join(SOURCE, "store", "sql")) if f.endswith(".sql"))
    for name in SHARDS:
        wait_for("shard %s migrated to v%d" % (name, newest),
                 lambda n=name: sql(n, "SELECT MAX(version) FROM schema_version")[0][0] == str(newest), 60)

    # 2. The head: its api (head-scope migrations), then the Spider tables from the node list.
    api_ports = {name: free_port() for name in ["head"] + list(SHARDS)}
    apis = {}
    for name in api_ports:
        cfg = os.path.join(WORK, name + "-api.ini")
        with open(cfg, "w") as f:
            f.write("[api]\nquery_timeout_s = %d\ncluster_probe_interval_ms = 300\ncluster_probe_timeout_s = 1\n"
                    % QUERY_TIMEOUT_S)
        start(name + "-api", [bin_["api"], "--config", cfg, "--cluster", "true" if name == "head" else "false",
                              "--db-socket", sock(name), "--listen", "127.0.0.1:%d" % api_ports[name],
                              "--create-admin", "admin", "--admin-password-file", os.path.join(WORK, name + ".pw")])
        apis[name] = Api(name, api_ports[name])
    wait_for("head migrated", lambda: sql("head", "SELECT MAX(version) FROM schema_version")[0][0] == str(newest), 60)
    check(sql("head", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='sipvault' AND "
                      "TABLE_NAME IN ('sip_messages','sip_rejects','hep_other','sip_qos')")[0][0] == "0",
          "the head's api created no capture table")
    cluster_ini = os.path.join(WORK, "cluster.ini")
    with open(cluster_ini, "w") as f:
        f.write("[head]\nadmin_socket = %s\n[spider]\nuser = sipvault_head\npassword = head-secret\n"
                "user_host = 127.0.0.1\n" % sock("head"))
        for name, shard_id in SHARDS.items():
            f.write("[shard.%s]\nhost = 127.0.0.1\nport = %d\nshard_id = %d\nadmin_socket = %s\n"
                    % (name, ports[name], shard_id, sock(name)))
    for command in ("grant", "apply"):
        r = subprocess.run([TOOL, "--config", cluster_ini, command], capture_output=True, text=True)
        if not check(r.returncode == 0, "sipvault-cluster %s: %s" % (command, (r.stdout + r.stderr).strip())):
            return
    for name in apis:
        apis[name].login(os.path.join(WORK, name + ".pw"))
    head = apis["head"]
    wait_for("head sees 3 shards up", lambda: shard_states(head) == {n: "up" for n in SHARDS}, 10)

    # 3. Traffic: call A on s1, its B leg (X-CID: A) on s2, and calls of their own on every shard.
    now_us = int(time.time() * 1e6)
    t0 = now_us - 600 * 1000000
    sent = {n: 0 for n in SHARDS}
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(shard, messages, t, src, dst):
        for i, m in enumerate(messages):
            out.sendto(hep3(m, t + i * 1000, src, dst), ("127.0.0.1", hep[shard]))
            sent[shard] += 1

    send("s1", call_messages("a-leg-1@test", "1001", "2002"), t0, "10.0.1.1", "10.0.1.2")
    send("s2", call_messages("b-leg-1@test", "1001", "2002", x_cid="a-leg-1@test"), t0 + 500, "10.0.2.1", "10.0.2.2")
    # One Call-ID seen at two sites (a proxy at s1's site, an SBC at s3's): one call through the head.
    send("s1", call_messages("both-1@test", "5005", "6006"), t0 + 2000, "10.0.1.5", "10.0.1.6")
    send("s3", call_messages("both-1@test", "5005", "6006"), t0 + 2100, "10.0.3.5", "10.0.3.6")
    # Two legs of one B2BUA call at s1's and s3's sites that share only a Session-ID UUID (a
    # correlation link value in sip_headers, read on the shard of each leg's messages).
    session = ("Session-ID: 6a3f2c1e9b8d47f0a1b2c3d4e5f60718;remote=00000000000000000000000000000000",)
    send("s1", call_messages("sess-a@test", "7007", "8008", invite_extra=session), t0 + 3000, "10.0.1.7", "10.0.1.8")
    send("s3", call_messages("sess-b@test", "7107", "8108", invite_extra=session), t0 + 3100, "10.0.3.7", "10.0.3.8")
    for k in range(30):
        for i, name in enumerate(SHARDS):
            send(name, call_messages("c%d-%s@test" % (k, name), "3%03d" % k, "4%03d" % k),
                 t0 + 10000 + k * 100000 + i * 7, "10.0.%d.1" % (i + 1), "10.0.%d.2" % (i + 1))
    # A reject per shard (Call-ID missing).
    for i, name in enumerate(SHARDS):
        out.sendto(hep3(b"OPTIONS sip:x@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n", t0 + 5000 + i, "10.0.9.1",
                        "10.0.9.2"), ("127.0.0.1", hep[name]))
    for name in SHARDS:
        wait_for("shard %s stored its %d messages" % (name, sent[name]),
                 lambda n=name: int(sql(n, "SELECT COUNT(*) FROM sip_messages")[0][0]) >= sent[n], 30)
        ids = sql(name, "SELECT DISTINCT shard_id FROM sip_messages")
        check(ids == [[str(SHARDS[name])]], "shard %s's rows carry shard_id %d: %s" % (name, SHARDS[name], ids))
    window = "from=%dus&to=%dus" % (t0 - 1000000, now_us + 1000000)
    # The same from its hour: what a whole-hour step of the stats counts (sip_hour_stats).
    hour_window = "from=%dus&to=%dus" % ((t0 - 1000000) // 3600000000 * 3600000000, now_us + 1000000)

    def union(path, query, shards=SHARDS):
        items = []
        for n in shards:
            items += apis[n].pages(path, query)[0]
        return items

    def key(m):
        return m["time_us"], int(m["id"].split("-")[1])

    def complete_answers(shards, partial_expected):
        """Messages, calls, rejects, export, stats through the head = the union of `shards`' own."""
        label = "with %s" % ",".join(shards)
        got, partial, missing = head.pages("/api/v1/messages", window)
        want = sorted(union("/api/v1/messages", window, shards), key=key)
        check([m["id"] for m in got] == [m["id"] for m in want],
              "%s: %d messages paged through the head in time order = the shards' %d" % (label, len(got), len(want)))
        # Each message's header values are read from its own shard only (ShardCoverage::on).
        fields = [(m["id"], m.get("custom_headers"), m.get("flags")) for m in got]
        check(fields == [(m["id"], m.get("custom_headers"), m.get("flags")) for m in want] and
              all(f and f[0]["value"] == "sipvault-cluster-sample" for _, f, _ in fields),
              "%s: every message's custom header through the head = on its shard" % label)
        check(partial == bool(partial_expected) and missing == partial_expected,
              "%s: messages partial=%s missing=%s" % (label, partial, missing))
        # header.<name>= reads sip_headers in a subquery: it must skip a missing shard too.
        for query in ("from_user=1001", "from_user=5005&method=INVITE", "to_user=4*&status=2xx",
                      "header.ua=sipvault-cluster-sample&method=BYE", "header.ua=sipvault-cluster*&from_user=1001"):
            got = head.pages("/api/v1/messages", window + "&" + query)[0]
            want = sorted(union("/api/v1/messages", window + "&" + query, shards), key=key)
            check([m["id"] for m in got] == [m["id"] for m in want] and (len(want) > 0 or "header." not in query),
                  "%s: messages %s: %d = the shards' %d" % (label, query, len(got), len(want)))
        for query in ("", "&method=BYE", "&from_user=5005"):
            calls = head.pages("/api/v1/calls", window + query)[0]
            want_calls = union("/api/v1/calls", window + query, shards)
            names = [c["call_id"] for c in calls]
            check(len(names) == len(set(names)) and set(names) == {c["call_id"] for c in want_calls},
                  "%s: calls%s: %d, each once = the shards' distinct %d" % (
                      label, query, len(names), len({c["call_id"] for c in want_calls})))
        both = [c for c in head.pages("/api/v1/calls", window + "&from_user=5005")[0]]
        if "s3" in shards:
            check(len(both) == 1 and both[0]["message_count"] == 12,
                  "%s: the Call-ID seen on s1 and s3 is one call of 12 messages (%s)" % (
                      label, [(c["call_id"], c["message_count"]) for c in both]))
        rejects, _, _ = head.pages("/api/v1/rejects", window)
        check(len(rejects) == len(union("/api/v1/rejects", window, shards)) == len(shards),
              "%s: one reject per shard (%d)" % (label, len(rejects)))
        status, headers, body = head.request("/api/v1/export.pcap?" + window)
        want_pcap = sum(pcap_packets(apis[n].request("/api/v1/export.pcap?" + window)[2]) for n in shards)
        check(status == 200 and pcap_packets(body) == want_pcap and
              headers.get("X-Sipvault-Partial") == ("true" if partial_expected else "false"),
              "%s: pcap export %d packets = the shards' %d, X-Sipvault-Partial %s" % (
                  label, pcap_packets(body), want_pcap, headers.get("X-Sipvault-Partial")))
        stats = head.json("/api/v1/stats?%s&step=3600" % window)
        want_total = sum(apis[n].json("/api/v1/stats?%s&step=3600" % window)["total"] for n in shards)
        check(stats["total"] == want_total and stats.get("missing_shards") == partial_expected,
              "%s: stats total %d = the shards' %d, missing %s" % (label, stats["total"], want_total,
                                                                   stats.get("missing_shards")))
        # Unfiltered stats come from the shards' per-hour counts at whole-hour steps and per-minute
        # ones at whole-minute steps (sip_hour_stats, sip_minute_stats through Spider); naming every
        # storage class is a filter, so that one scans the messages: all count the same.
        for source, step, span in (("hour_counts", 3600, hour_window), ("minute_counts", 60, window)):
            counted = head.json("/api/v1/stats?%s&step=%d" % (span, step))
            scanned = head.json("/api/v1/stats?%s&step=%d&class=calls,registrations,other" % (hour_window, step))
            check(counted.get("source") == source and scanned.get("source") == "messages" and
                  counted["total"] == scanned["total"] and
                  counted["top_user_agents"] == scanned["top_user_agents"] and
                  counted.get("missing_shards") == scanned.get("missing_shards") == partial_expected,
                  "%s: stats from %s (%s, %d) = the scan's (%s, %d)" % (
                      label, source, counted.get("source"), counted["total"], scanned.get("source"),
                      scanned["total"]))

    # 4. Everything complete.
    complete_answers(list(SHARDS), [])
    flow = head.json("/api/v1/calls/a-leg-1@test/flow?" + window)
    legs = {leg["call_id"]: leg["relation"] for leg in flow["legs"]}
    check(legs.get("b-leg-1@test") == "x-cid" and len(flow["messages"]) == 12 and flow["partial"] is False,
          "call A on s1 and its X-CID leg on s2 are one flow (legs %s, %d messages)" % (legs, len(flow["messages"])))
    for self_leg, other in (("sess-a@test", "sess-b@test"), ("sess-b@test", "sess-a@test")):
        flow = head.json("/api/v1/calls/%s/flow?%s" % (self_leg, window))
        legs = {leg["call_id"]: leg.get("linked_by", {}).get("rule", leg["relation"]) for leg in flow["legs"]}
        check(legs == {self_leg: "self", other: "session-id"} and len(flow["messages"]) == 12,
              "%s and %s, on s1 and s3, share a Session-ID: one flow (legs %s)" % (self_leg, other, legs))
    try:
        sql("s1", "DELETE FROM sip_messages LIMIT 1", user="sipvault_head", password="head-secret", port=ports["s1"])
        check(False, "the head's user could delete on a shard")
    except RuntimeError as e:
        check("denied" in str(e), "the head's user cannot write a shard (%s)" % str(e).splitlines()[-1][:80])
    check(subprocess.run([TOOL, "--config", cluster_ini, "check"], capture_output=True).returncode == 0,
          "sipvault-cluster check: versions equal")

    # 5. A shard stopped: partial answers naming it, within the timeout; health and metrics say so.
    mariadb("stop", "s3")
    t = time.time()
    wait_for("health shows s3 down", lambda: shard_states(head).get("s3") == "down", 5)
    check(time.time() - t < QUERY_TIMEOUT_S, "s3 marked down %.1fs after it stopped" % (time.time() - t))
    t = time.time()
    complete_answers(["s1", "s2"], ["s3"])
    check(time.time() - t < 3 * QUERY_TIMEOUT_S, "every partial answer within the timeout (%.1fs for all)"
          % (time.time() - t))
    status, _, body = head.request("/metrics")
    check(b'sipvault_api_cluster_shard_up{shard="s3"} 0' in body and b'sipvault_api_cluster_shard_up{shard="s1"} 1'
          in body, "metrics: shard s3 down, s1 up")
    check(head.json("/api/v1/health")["status"] == "degraded", "health: degraded with a shard down")
    r = subprocess.run([TOOL, "--config", cluster_ini, "apply"], capture_output=True, text=True)
    check(r.returncode == 1 and "s3 unreachable" in r.stderr, "apply refuses while a shard is unreachable")

    # 6. Back: complete again, nothing else restarted.
    mariadb("start", "s3", ports["s3"])
    wait_for("health shows s3 up again", lambda: shard_states(head).get("s3") == "up", 10)
    complete_answers(list(SHARDS), [])

    # 7. A hung shard (SIGSTOP): partial within the timeout, whole again after SIGCONT.
    pid = int(open(os.path.join(WORK, "s2", "mysqld.pid")).read().strip())
    os.kill(pid, signal.SIGSTOP)
    try:
        # A search already under way when the shard hangs, before the probe has seen it: it waits
        # for the Spider read timeout (= the api's query timeout), then is answered without s2.
        t = time.time()
        status, _, body = head.request("/api/v1/messages?%s&limit=1000" % window, timeout=60)
        answer = json.loads(body)
        check(status == 200 and answer.get("missing_shards") == ["s2"] and time.time() - t < 2 * QUERY_TIMEOUT_S + 2,
              "a search caught by the hang: %d, partial %s %s after %.1fs (query timeout %ds)" % (
                  status, answer.get("partial"), answer.get("missing_shards"), time.time() - t, QUERY_TIMEOUT_S))
        wait_for("health shows hung s2 down", lambda: shard_states(head).get("s2") == "down", QUERY_TIMEOUT_S + 3)
        check(True, "health shows hung s2 down (checked %.1fs after SIGSTOP)" % (time.time() - t))
        t = time.time()
        got, partial, missing = head.pages("/api/v1/messages", window)
        check(partial and missing == ["s2"] and time.time() - t < QUERY_TIMEOUT_S,
              "hung s2: %d messages, partial %s %s in %.1fs" % (len(got), partial, missing, time.time() - t))
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for("health shows s2 up again", lambda: shard_states(head).get("s2") == "up", 10)

    # 8. A shard removed from the node list and added again: the head follows, no restart.
    r = subprocess.run([TOOL, "--config", cluster_ini, "remove", "s3"], capture_output=True, text=True)
    check(r.returncode == 0, "sipvault-cluster remove s3: %s" % (r.stdout + r.stderr).strip().splitlines()[-1])
    wait_for("health lists s1, s2 only", lambda: shard_states(head) == {"s1": "up", "s2": "up"}, 5)
    complete_answers(["s1", "s2"], [])
    r = subprocess.run([TOOL, "--config", cluster_ini, "add", "s3", "--host", "127.0.0.1", "--port", str(ports["s3"]),
                        "--shard-id", "3", "--admin-socket", sock("s3")], capture_output=True, text=True)
    check(r.returncode == 0, "sipvault-cluster add s3: %s" % (r.stdout + r.stderr).strip().splitlines()[-1])
    wait_for("health lists s3 again", lambda: shard_states(head) == {n: "up" for n in SHARDS}, 5)
    complete_answers(list(SHARDS), [])

    # 9. Hourly partitions created and dropped on a shard while the head reads.
    stop, errors, reads = threading.Event(), [], [0]

    def reader():
        while not stop.is_set():
            status, _, body = head.request("/api/v1/messages?%s&limit=1000" % window)
            if status != 200 or json.loads(body)["partial"]:
                errors.append((status, body[:200]))
            reads[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for th in threads:
        th.start()
    hour = (now_us // 3600000000 + 24 * 40) * 3600000000
    for i in range(5):
        bound = hour + i * 3600000000
        # sip_messages is RANGE COLUMNS (storage_class, capture_us) since 008: the calls class's hours.
        sql("s1", "ALTER TABLE sip_messages REORGANIZE PARTITION p_c0_future INTO (PARTITION p_t%d VALUES LESS THAN "
                  "(0, %d), PARTITION p_c0_future VALUES LESS THAN (0, MAXVALUE))" % (i, bound))
        sql("s1", "ALTER TABLE sip_messages DROP PARTITION p_t%d" % i)
    time.sleep(0.5)
    stop.set()
    for th in threads:
        th.join()
    check(not errors and reads[0] > 0, "%d head reads during 5 partition creates + drops on s1, errors %s"
          % (reads[0], errors[:2]))
    complete_answers(list(SHARDS), [])


# A SIGTERM or SIGHUP (ctest's timeout, a closed terminal) ends the test through the cleanup below.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
try:
    main()
finally:
    for name, p in reversed(procs):
        p.send_signal(signal.SIGTERM)
    for name, p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    for n in ["head", "s1", "s2", "s3"]:
        mariadb("stop", n)
check(not failures, "cluster: %d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
