#!/usr/bin/env python3
"""Search p95 through a cluster head (3 shards, Spider) against one node holding the same rows (issue 13).

    bench/cluster/cluster_bench.py --build build/release [--rows-per-shard 1000000] [--iterations 60]

Five private MariaDB servers under BUILD/bench-cluster (three shards, a head with Spider, one single node),
the same generated calls loaded into the shards (each its own third) and into the single node (all of
them), sipvault-api on the head (api.cluster) and on the single node, then p50/p95 of the same requests
through both: Call-ID lookup, A-number over 24 h, a call's flow, a 1 h combined filter, stats over 24 h.
Rows are generated here (7 messages a call over the last 24 h, search keys as store/search_key.h) and
loaded with LOAD DATA. Prints a JSON result; results go to bench/README.md. Not a test.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARIADB_SH = os.path.join(ROOT, "deploy", "mariadb.sh")
TOOL = os.path.join(ROOT, "tools", "sipvault-cluster")
SHARDS = {"s1": 1, "s2": 2, "s3": 3}
COLUMNS = ("id,capture_us,call_id_hash,from_user_hash,to_user_hash,ruri_user_hash,correlation_hash,method,status,"
           "cseq,call_id,from_user,from_tag,to_user,to_tag,ruri_user,user_agent,via_branch,x_cid,correlation_id,"
           "@src,@dst,src_port,dst_port,ip_proto,payload_type,vlan,capture_id,node,raw_len,flags,raw,shard_id")

# What the writer's MinuteStatsAggregator adds per batch, for rows that did not go through it: per
# minute, request methods (kind 0), response classes (1) and non-empty User-Agents (2), with each
# row's own shard_id (the single node's holds every shard's rows: counts add up).
MINUTE_STATS_FILL = " ".join([
    "INSERT INTO sip_minute_stats (minute_us, kind, name, count, shard_id)",
    "SELECT minute_us, kind, name, SUM(n), MIN(shard_id) FROM (",
    "SELECT capture_us DIV 60000000 * 60000000 AS minute_us, 0 AS kind, method AS name, COUNT(*) AS n, shard_id",
    "FROM sip_messages WHERE status = 0 GROUP BY 1, 3, 5",
    "UNION ALL SELECT capture_us DIV 60000000 * 60000000, 1, CAST(status DIV 100 AS BINARY), COUNT(*), shard_id",
    "FROM sip_messages WHERE status <> 0 GROUP BY 1, 3, 5",
    "UNION ALL SELECT capture_us DIV 60000000 * 60000000, 2, user_agent, COUNT(*), shard_id",
    "FROM sip_messages WHERE user_agent <> '' GROUP BY 1, 3, 5",
    ") AS counted GROUP BY minute_us, kind, name"])


# And its per-hour sums (sip_hour_stats, store/sql/015), as migration 015 backfills an install.
HOUR_STATS_FILL = " ".join([
    "INSERT INTO sip_hour_stats (hour_us, kind, name, count, shard_id)",
    "SELECT minute_us - minute_us % 3600000000, kind, name, SUM(count), MIN(shard_id) FROM sip_minute_stats",
    "GROUP BY minute_us - minute_us % 3600000000, kind, name"])


# The writer's per-call index (store/sql/014, writer/call_key_index.h) for rows it did not write:
# each message's From, To, R-URI user and correlation key by call and hour, as migration 014
# backfills an install.
CALL_KEYS_FILL = "; ".join(
    "INSERT IGNORE INTO sip_call_keys (key_hash, kind, hour_us, call_id_hash, shard_id) SELECT %s, %d, "
    "capture_us - capture_us %% 3600000000, call_id_hash, shard_id FROM sip_messages WHERE %s <> 0" % (c, k, c)
    for c, k in (("from_user_hash", 1), ("to_user_hash", 2), ("ruri_user_hash", 3), ("correlation_hash", 4)))


def fnv1a(data):
    """store/search_key.h: FNV-1a 64, 0 for the empty value."""
    if not data:
        return 0
    h = 0xcbf29ce484222325
    for b in data.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def esc(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


# store/raw_codec.h kNoHeaderRows: what the writer sets on a message without custom header rows
# (none here), so readers skip the sip_headers statement as they do for written rows.
NO_HEADER_ROWS = 8

STEPS = [("INVITE", 0, 1, "INVITE"), ("INVITE", 100, 1, "SIP/2.0 100 Trying"), ("INVITE", 180, 1, "SIP/2.0 180 Ringing"),
         ("INVITE", 200, 1, "SIP/2.0 200 OK"), ("ACK", 0, 1, "ACK"), ("BYE", 0, 2, "BYE"), ("BYE", 200, 2, "SIP/2.0 200 OK")]


def write_rows(path, shard_id, calls, now_us):
    rnd = random.Random(shard_id)
    with open(path, "w") as f:
        for k in range(calls):
            call_id = "bench-%d-%d@example.com" % (shard_id, k)
            frm, to = "49%d%07d" % (shard_id, k % 200000), "30%07d" % rnd.randrange(1000000)
            t = now_us - rnd.randrange(86400 * 1000000)
            for n, (method, status, cseq, first) in enumerate(STEPS):
                line = first if status else "%s sip:%s@example.com SIP/2.0" % (method, to)
                raw = ("%s\r\nVia: SIP/2.0/UDP 192.0.2.%d:5060;branch=z9hG4bK%d\r\nFrom: <sip:%s@example.com>;tag=a%d\r\n"
                       "To: <sip:%s@example.com>;tag=b%d\r\nCall-ID: %s\r\nCSeq: %d %s\r\nUser-Agent: bench\r\n"
                       "Content-Length: 0\r\n\r\n" % (line, shard_id, k, frm, k, to, k, call_id, cseq, method))
                ruri = to if not status else ""
                f.write("\t".join(str(v) for v in [
                    (shard_id << 48) | (k * 7 + n), t + n * 20000, fnv1a(call_id), fnv1a(frm), fnv1a(to), fnv1a(ruri), 0,
                    method, status, cseq, esc(call_id), frm, "a%d" % k, to, "b%d" % k, ruri, "bench", "z9hG4bK%d" % k,
                    "", "", "0a00%02x01" % shard_id, "0a00%02x02" % shard_id, 5060, 5060, 17, 1, 0, 7, "", len(raw), NO_HEADER_ROWS,
                    esc(raw), shard_id]) + "\n")


def sql(dirname, statement, local_infile=False):
    args = ["mariadb", "--no-defaults", "-N", "-B", "-uroot", "-S", os.path.join(dirname, "mysqld.sock")]
    if local_infile:
        args.append("--local-infile=1")
    r = subprocess.run(args + ["sipvault", "-e", statement], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return r.stdout


def traced(work, nodes, request):
    """The statements each node's server received during one request (its general log), one line each."""
    logs = {n: os.path.join(work, n, "general.log") for n in nodes}
    for n, path in logs.items():
        open(path, "w").close()
        sql(os.path.join(work, n), "SET GLOBAL log_output = 'FILE'; SET GLOBAL general_log_file = '%s'; "
                                   "SET GLOBAL general_log = 1" % path)
    request()
    out = {}
    for n, path in logs.items():
        sql(os.path.join(work, n), "SET GLOBAL general_log = 0")
        lines = [" ".join(line.split("\t")[-2:])[:160] for line in open(path, errors="replace")
                 if re.search(r"\t\s*\d+ (Query|Connect|Quit|Execute|Prepare)\t", line) and "general_log" not in line]
        out[n] = {"count": len(lines), "statements": lines}
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Api:
    def __init__(self, port, password_file):
        self.base = "http://127.0.0.1:%d" % port
        for _ in range(300):
            if os.path.exists(password_file):
                try:
                    urllib.request.urlopen(self.base + "/api/v1/health", timeout=2)
                    break
                except OSError:
                    pass
            time.sleep(0.1)
        body = json.dumps({"username": "admin", "password": open(password_file).read().strip()}).encode()
        req = urllib.request.Request(self.base + "/api/v1/login", data=body, headers={"Content-Type": "application/json"})
        self.token = json.load(urllib.request.urlopen(req))["token"]

    def get(self, target):
        req = urllib.request.Request(self.base + target, headers={"Authorization": "Bearer " + self.token})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                body = r.read()
        except urllib.error.HTTPError as e:  # e.g. 500 when the api's query timeout cut the statement
            return time.perf_counter() - t, {"error": e.code}
        return time.perf_counter() - t, json.loads(body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    p.add_argument("--rows-per-shard", type=int, default=1000000)
    p.add_argument("--iterations", type=int, default=60)
    p.add_argument("--trace-statements", action="store_true",
                   help="also send one request of each shape with the general log on at the head and at shard s1, "
                        "and print the statements each received (what a request costs in round trips)")
    p.add_argument("--hold", action="store_true",
                   help="after loading, keep the servers and apis up (their sockets and URLs printed) until "
                        "SIGTERM or Ctrl-C instead of measuring: to try statements by hand")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally below stops what was started
    work = os.path.join(os.path.abspath(a.build), "bench-cluster")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    nodes = ["head", "single"] + list(SHARDS)
    ports = {n: free_port() for n in nodes}
    env = dict(os.environ, SIPVAULT_MARIADB_BUFFER_POOL="512M", SIPVAULT_MARIADB_SPIDER_TIMEOUT_S="30")
    procs = []
    try:
        for n in nodes:
            e = dict(env, SIPVAULT_MARIADB_PLUGINS="ha_spider.so") if n == "head" else env
            subprocess.run([MARIADB_SH, "start", os.path.join(work, n), str(ports[n])], env=e, check=True,
                           capture_output=True)
        api_bin = os.path.join(a.build, "api", "sipvault-api")
        apis = {}
        for n in nodes:  # an api on each: the single node's and the shards' migrate them, the head's its own tables
            port = free_port()
            procs.append(subprocess.Popen([api_bin, "--cluster", "true" if n == "head" else "false", "--db-socket",
                                           os.path.join(work, n, "mysqld.sock"), "--listen", "127.0.0.1:%d" % port,
                                           "--create-admin", "admin", "--admin-password-file",
                                           os.path.join(work, n + ".pw")],
                                          stdout=open(os.path.join(work, n + "-api.log"), "w"), stderr=subprocess.STDOUT))
            apis[n] = (port, os.path.join(work, n + ".pw"))
        for n in nodes:
            apis[n] = Api(*apis[n])
        now_us = int(time.time() * 1e6)
        calls = a.rows_per_shard // 7
        t = time.time()
        loads = []
        for name, shard_id in SHARDS.items():
            path = os.path.join(work, name + ".tsv")
            write_rows(path, shard_id, calls, now_us)
            for target in (name, "single"):
                loads.append(threading.Thread(target=sql, args=(os.path.join(work, target), (
                    "LOAD DATA LOCAL INFILE '%s' INTO TABLE sip_messages (%s) SET src_ip = UNHEX(@src), "
                    "dst_ip = UNHEX(@dst)" % (path, COLUMNS)), True)))
                loads[-1].start()
        for th in loads:
            th.join()
        # LOAD DATA bypasses the writer: add what it would have written to sip_minute_stats and
        # sip_hour_stats (its counts, store/sql/013 and 015), so that stats_24h measures the shipped path.
        # The same for its per-call index (sip_call_keys, store/sql/014).
        for target in ["single"] + list(SHARDS):
            sql(os.path.join(work, target), MINUTE_STATS_FILL)
            sql(os.path.join(work, target), HOUR_STATS_FILL)
            sql(os.path.join(work, target), CALL_KEYS_FILL)
        load_s = time.time() - t
        rows = {n: int(sql(os.path.join(work, n), "SELECT COUNT(*) FROM sip_messages")) for n in ["single"] + list(SHARDS)}
        cfg = os.path.join(work, "cluster.ini")
        with open(cfg, "w") as f:
            f.write("[head]\nadmin_socket = %s\n[spider]\nuser = sipvault_head\npassword = bench-secret\n"
                    "user_host = 127.0.0.1\n" % os.path.join(work, "head", "mysqld.sock"))
            for name, shard_id in SHARDS.items():
                f.write("[shard.%s]\nhost = 127.0.0.1\nport = %d\nshard_id = %d\nadmin_socket = %s\n" % (
                    name, ports[name], shard_id, os.path.join(work, name, "mysqld.sock")))
        for command in ("grant", "apply"):
            subprocess.run([TOOL, "--config", cfg, command], check=True, capture_output=True)
        time.sleep(2)  # the head's probe sees the shards
        if a.hold:
            for n in nodes:
                print("%s: mariadb --no-defaults -uroot -S %s sipvault   api %s (admin, password in %s)" % (
                    n, os.path.join(work, n, "mysqld.sock"), apis[n].base, os.path.join(work, n + ".pw")), flush=True)
            print("holding until SIGTERM or Ctrl-C", flush=True)
            while True:
                time.sleep(3600)
        rnd = random.Random(7)
        day = "from=%dus&to=%dus" % (now_us - 86400 * 1000000, now_us)
        hour = "from=%dus&to=%dus" % (now_us - 3600 * 1000000, now_us)

        def call_id():
            s = rnd.choice(list(SHARDS.values()))
            return "bench-%d-%d@example.com" % (s, rnd.randrange(calls))

        shapes = {
            "call_id": lambda: "/api/v1/messages?%s&call_id=%s" % (day, call_id()),
            "a_number_24h": lambda: "/api/v1/messages?%s&from_user=49%d%07d" % (day, rnd.choice([1, 2, 3]),
                                                                              rnd.randrange(min(calls, 200000))),
            "flow": lambda: "/api/v1/calls/%s/flow?%s" % (call_id(), day),
            "combined_1h": lambda: "/api/v1/messages?%s&method=INVITE&status=200&to_user=30%d*&limit=100" % (
                hour, rnd.randrange(10)),
            "stats_24h": lambda: "/api/v1/stats?%s&step=3600" % day,
        }
        result = {"rows": rows, "load_s": round(load_s, 1), "iterations": a.iterations, "shapes": {}}
        if a.trace_statements:
            result["statements"] = {shape: traced(work, ("head", "s1"), lambda: apis["head"].get(target()))
                                    for shape, target in shapes.items()}
        for shape, target in shapes.items():
            times, errors = {"head": [], "single": []}, {"head": 0, "single": 0}
            for i in range(a.iterations):
                url = target()
                for n in ("single", "head"):
                    elapsed, body = apis[n].get(url)
                    errors[n] += "error" in body
                    if n == "head" and body.get("partial"):
                        raise SystemExit("partial answer from the head: %s" % body.get("missing_shards"))
                    times[n].append(elapsed * 1000)
            stat = {}
            for n, ts in times.items():
                ts.sort()
                stat[n] = {"p50_ms": round(ts[len(ts) // 2], 1), "p95_ms": round(ts[int(len(ts) * 0.95) - 1], 1),
                           "errors": errors[n]}
            stat["head_over_single_p95"] = round(stat["head"]["p95_ms"] / max(stat["single"]["p95_ms"], 0.01), 2)
            result["shapes"][shape] = stat
            print(shape, json.dumps(stat), file=sys.stderr, flush=True)
        print(json.dumps(result, indent=1))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
        for n in nodes:
            subprocess.run([MARIADB_SH, "stop", os.path.join(work, n)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)  # five servers' data (~5 GB at 1M rows per shard)


if __name__ == "__main__":
    main()
