#!/usr/bin/env python3
"""Overload and soak runs of the whole pipeline (issue 6), with memory, drops and search latency.

    bench/pipeline/reliability_bench.py overload [--rate 90000] [--duration 60]
    bench/pipeline/reliability_bench.py soak     [--rate 20000] [--duration 1800]
    bench/pipeline/reliability_bench.py compressed-flood [--rate 5000] [--duration 40] \
        [--collector-queue-mb 32] [--collector-ack-window-mb 64]

Both start a private MariaDB, writer, 2 parsers, collector and api (release build, acks on), load
them with sipvault-loadgen, and sample every process's RSS (VmRSS) every --sample seconds.

overload: at about 2x the sustainable rate. Reports peak RSS per process (bounded = the last third
  of the run no higher than the middle third plus a small slack) and, per stage, every drop it
  counted; checks packets sent - rows stored == drops counted by the stages.
soak: at about half the maximum. Also runs an api search every --sample seconds and reports its
  latency over time, counts error lines in every log, and compares the RSS of the first and the
  last fifth of the run.
compressed-flood: the overload run's pipeline while a flood of compressed hostile HEP (chunk 16:
  payloads inflating just under collector.max_inflated_kb, and deflate bombs of 1 MiB and more)
  comes in beside sipvault-loadgen's calls at --rate. Reports the collector's peak RSS against its
  configured byte budget ((2 x listener threads + 1) x batch_max_kb + queue_mb + 2 x ack_window_mb,
  plus the RSS it had before the load) and what it counted.
Prints a Markdown summary and writes JSON to bench/results/reliability-<mode>-<date>.json.
"""
import argparse
import json
import os
import shutil
import socket
import struct
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pipeline_bench import ROOT, Db, Procs, cpu_seconds, free_port, load, wait_stable  # noqa: E402


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def metrics(port):
    """Prometheus text -> {name{labels}: value}."""
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


def drops_of(m):
    """Every counter a stage keeps for data it dropped or could not deliver."""
    words = ("dropped", "gave_up", "undelivered", "bad_messages", "rejected_rows", "lost")
    return {k: v for k, v in m.items() if any(w in k for w in words) and v > 0}


class Api:
    def __init__(self, port, password):
        self.base = "http://127.0.0.1:%d" % port
        body = json.dumps({"username": "admin", "password": password}).encode()
        req = urllib.request.Request(self.base + "/api/v1/login", data=body,
                                     headers={"Content-Type": "application/json"})
        self.token = json.loads(urllib.request.urlopen(req, timeout=10).read())["token"]

    def timed_get(self, path):
        req = urllib.request.Request(self.base + path, headers={"Authorization": "Bearer " + self.token})
        t = time.perf_counter()
        status = urllib.request.urlopen(req, timeout=30).status
        return status, (time.perf_counter() - t) * 1000


def hep3_compressed(payload, n):
    """A HEP3 packet whose payload travels in chunk 16 (zlib), from a made-up source port."""
    def chunk(kind, value):
        return struct.pack("!HHH", 0, kind, 6 + len(value)) + value
    body = b"".join([chunk(1, b"\x02"), chunk(2, b"\x11"), chunk(3, socket.inet_aton("203.0.113.66")),
                     chunk(4, socket.inet_aton("198.51.100.7")), chunk(7, struct.pack("!H", 1024 + n % 60000)),
                     chunk(8, struct.pack("!H", 5060)), chunk(9, struct.pack("!I", int(time.time()))),
                     chunk(10, struct.pack("!I", n % 1000000)), chunk(11, b"\x01"), chunk(12, struct.pack("!I", 66)),
                     chunk(16, zlib.compress(payload, 9))])
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def hostile_datagrams(max_inflated_kb):
    """Cheap to send, expensive to hold: each inflates to just under the cap, or is a bomb past it."""
    under = max_inflated_kb * 1024 - 64
    out = []
    for i in range(64):
        filler = bytes([65 + i % 26]) * under  # compresses ~1000:1
        out.append(hep3_compressed(b"OPTIONS sip:flood@example.org SIP/2.0\r\nX-Fill: " + filler[:under - 64], i))
    for size in (1 << 20, 2 << 20, 8 << 20):  # refused: inflate_too_large (or past the codec's 1 MiB)
        out.append(hep3_compressed(b"\0" * size, size))
    return out


def flood(port, seconds, max_inflated_kb, result):
    datagrams = hostile_datagrams(max_inflated_kb)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent, end, i = 0, time.time() + seconds, 0
    while time.time() < end:
        for _ in range(200):
            try:
                sock.sendto(datagrams[i % len(datagrams)], ("127.0.0.1", port))
                sent += 1
            except OSError:
                pass
            i += 1
    result["flood_sent"] = sent
    result["flood_datagram_bytes"] = sorted({len(d) for d in datagrams})[::16]


def collector_config(args, work):
    path = os.path.join(work, "collector.ini")
    with open(path, "w") as f:
        f.write("[collector]\nqueue_mb = %d\nack_window_mb = %d\nbatch_max_kb = %d\nmax_inflated_kb = %d\n"
                % (args.collector_queue_mb, args.collector_ack_window_mb, args.collector_batch_max_kb,
                   args.collector_max_inflated_kb))
    return path


def start_pipeline(args, db, work):
    name = "sipvault_rel"
    db.fresh(name)
    procs = Procs(work)
    b = args.build
    p = {k: free_port() for k in ("hep", "bus_c", "bus_w", "ack", "m_c", "m_p1", "m_p2", "m_w", "api")}
    dbargs = ["--db-socket", db.sock, "--db-user", "sipvault", "--db-password", "sipvault", "--db-name", name]
    procs.start("writer", [b + "/writer/sipvault-writer", "--listen", "bind:tcp://127.0.0.1:%d" % p["bus_w"],
                           "--ack-output", "connect:tcp://127.0.0.1:%d" % p["ack"],
                           "--spool-dir", os.path.join(work, "spool"),
                           "--metrics-listen", "127.0.0.1:%d" % p["m_w"]] + dbargs)
    for i in (1, 2):
        procs.start("parser%d" % i, [b + "/parser/sipvault-parser", "--id", str(i),
                                     "--input", "connect:tcp://127.0.0.1:%d" % p["bus_c"],
                                     "--output", "connect:tcp://127.0.0.1:%d" % p["bus_w"],
                                     "--metrics-listen", "127.0.0.1:%d" % p["m_p%d" % i]])
    procs.start("collector", [b + "/collector/sipvault-collector", "--config", collector_config(args, work),
                              "--udp", "127.0.0.1:%d" % p["hep"], "--tcp=",
                              "--output", "bind:tcp://127.0.0.1:%d" % p["bus_c"],
                              "--ack-input", "bind:tcp://127.0.0.1:%d" % p["ack"],
                              "--metrics-listen", "127.0.0.1:%d" % p["m_c"]])
    pwfile = os.path.join(work, "api-password")
    procs.start("api", [b + "/api/sipvault-api", "--listen", "127.0.0.1:%d" % p["api"], "--create-admin", "admin",
                        "--admin-password-file", pwfile] + dbargs)
    time.sleep(3)
    for name_, proc in procs.items:
        if proc.poll() is not None:
            sys.exit("%s exited at start (rc %s); see %s/%s.log" % (name_, proc.returncode, work, name_))
    return procs, p, name, pwfile


def sampler(procs, db, period, stop, samples, probe=None):
    while not stop.is_set():
        row = {"t": time.time()}
        for name, proc in procs.items:
            row[name] = rss_kib(proc.pid)
        row["mariadbd"] = rss_kib(db.pid())
        if probe:
            row.update(probe())
        samples.append(row)
        stop.wait(period)


def error_lines(work):
    out = {}
    for f in os.listdir(work):
        if f.endswith(".log"):
            with open(os.path.join(work, f), errors="replace") as fh:
                out[f[:-4]] = sum(1 for line in fh if "level=error" in line or "level=critical" in line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("overload", "soak", "compressed-flood"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"))
    ap.add_argument("--rate", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--sample", type=float, default=5)
    ap.add_argument("--db-port", type=int, default=33997)
    ap.add_argument("--work", default=None,
                    help="keep logs and the database here; by default a temporary directory, whose database "
                         "(tens of GB after a soak) is deleted at the end and only the logs are kept")
    ap.add_argument("--db-buffer-pool", default="4G", help="innodb_buffer_pool_size of the private MariaDB")
    ap.add_argument("--db-flush-log", choices=["1", "2"], default="1",
                    help="innodb_flush_log_at_trx_commit: 1 = durable (default, as deploy/mariadb.sh); 2 = an fsync "
                         "about once a second, an OS crash loses acked rows (writer/README.md)")
    ap.add_argument("--db-log-file-size", default="2G", help="innodb_log_file_size")
    # The collector's byte budgets (deploy/config/collector.ini; defaults are the shipped values).
    ap.add_argument("--collector-queue-mb", type=int, default=64)
    ap.add_argument("--collector-ack-window-mb", type=int, default=256)
    ap.add_argument("--collector-batch-max-kb", type=int, default=1024)
    ap.add_argument("--collector-max-inflated-kb", type=int, default=64)
    args = ap.parse_args()
    rate = args.rate or {"overload": 90000, "soak": 20000, "compressed-flood": 5000}[args.mode]
    duration = args.duration or {"overload": 60, "soak": 1800, "compressed-flood": 40}[args.mode]
    work = args.work or tempfile.mkdtemp(prefix="sv-rel-")
    os.makedirs(work, exist_ok=True)
    os.environ["SIPVAULT_MARIADB_BUFFER_POOL"] = args.db_buffer_pool
    os.environ["SIPVAULT_MARIADB_LOG_FILE_SIZE"] = args.db_log_file_size
    os.environ["SIPVAULT_MARIADB_FLUSH_LOG"] = args.db_flush_log
    db = Db(os.path.join(work, "mariadb"), args.db_port)
    db.start()
    procs, ports, name, pwfile = start_pipeline(args, db, work)
    samples, stop = [], threading.Event()
    probe = None
    if args.mode == "soak":
        with open(pwfile) as f:
            api = Api(ports["api"], f.read().strip())

        def probe():
            now_ms = int(time.time() * 1000)  # epoch time with its unit (a bare number is a 400)
            q = "/api/v1/messages?from_user=49301*&limit=100&from=%dms&to=%dms" % (now_ms - 300000, now_ms)
            try:
                status, ms = api.timed_get(q)
                return {"search_ms": round(ms, 2), "search_status": status}
            except OSError as e:
                return {"search_ms": None, "search_status": str(e)}

    th = threading.Thread(target=sampler, args=(procs, db, args.sample, stop, samples, probe))
    collector_idle_kib = rss_kib(dict(procs.items)["collector"].pid)
    cpu0 = procs.cpu()
    th.start()
    t0 = time.time()
    flood_result, flooder = {}, None
    if args.mode == "compressed-flood":
        flooder = threading.Thread(target=flood, args=(ports["hep"], duration, args.collector_max_inflated_kb,
                                                       flood_result))
        flooder.start()
    sent = load(args.build, ports["hep"], rate, duration, int(time.time() * 1000) % 10**9 * 1000)["sent"]
    if flooder:
        flooder.join()
    stored = wait_stable(lambda: int(db.sql(name, "SELECT COUNT(*) FROM sip_messages")), sent, limit_s=120)
    stop.set()
    th.join()
    cpu1 = procs.cpu()
    stage_metrics = {k: metrics(ports[m]) for k, m in
                     (("collector", "m_c"), ("parser1", "m_p1"), ("parser2", "m_p2"), ("writer", "m_w"))}
    drops = {k: drops_of(v) for k, v in stage_metrics.items()}
    counted = sum(v for d in drops.values() for k, v in d.items() if k.startswith("sipvault_collector_dropped_total"))
    if stored <= 5000000:
        dups = int(db.sql(name, "SELECT COUNT(*) - COUNT(DISTINCT call_id_hash, cseq, method, status, src_port, "
                                "dst_port, capture_us) FROM sip_messages"))
    else:
        # An exact DISTINCT over tens of millions of rows takes many minutes; rows beyond what was
        # sent and not counted as dropped can only be duplicates.
        dups = max(0, stored - (sent - int(counted)))
    procs.stop()
    errors = error_lines(work)
    names = [n for n, _ in procs.items] or ["writer", "parser1", "parser2", "collector", "api"]
    names = [k for k in samples[0] if k not in ("t", "search_ms", "search_status")] if samples else names
    n = len(samples)
    third = max(1, n // 3)
    fifth = max(1, n // 5)
    rss = {}
    for k in names:
        series = [s[k] for s in samples if s.get(k)]
        if not series:
            continue
        rss[k] = {"peak_mib": round(max(series) / 1024, 1),
                  "first_fifth_mib": round(statistics.median(series[:fifth]) / 1024, 1),
                  "middle_third_max_mib": round(max(series[third:2 * third] or series) / 1024, 1),
                  "last_third_max_mib": round(max(series[2 * third:] or series) / 1024, 1),
                  "last_fifth_mib": round(statistics.median(series[-fifth:]) / 1024, 1)}
    result = {"mode": args.mode, "rate": rate, "duration_s": duration, "elapsed_s": round(time.time() - t0),
              "sent": sent, "stored": stored, "lost": sent - stored, "collector_counted_drops": int(counted),
              "duplicates": dups, "drops": drops, "rss": rss, "error_lines": errors,
              "cpu_s": {k: round(cpu1[k] - cpu0.get(k, 0), 1) for k in cpu1}}
    if args.mode == "compressed-flood":
        # One UDP listener thread: a batch and its serialized copy; one batch in the publisher's hand.
        budget_mib = (3 * args.collector_batch_max_kb / 1024 + args.collector_queue_mb + 2 * args.collector_ack_window_mb)
        result["flood"] = dict(flood_result, collector_rss_before_load_mib=round(collector_idle_kib / 1024, 1),
                               collector_budget_mib=round(budget_mib, 1),
                               collector_peak_mib=rss.get("collector", {}).get("peak_mib"),
                               within_budget=rss.get("collector", {}).get("peak_mib", 0)
                               <= budget_mib + collector_idle_kib / 1024)
    if args.mode == "soak":
        lat = [(s["t"] - t0, s["search_ms"]) for s in samples if s.get("search_ms") is not None]
        bad = [s["search_status"] for s in samples if s.get("search_status") not in (None, 200) and "search_status" in s]
        k = max(1, len(lat) // 5)
        result["search"] = {"probes": len(lat), "failed": len(bad),
                            "first_fifth_median_ms": round(statistics.median([m for _, m in lat[:k]]), 1) if lat else None,
                            "last_fifth_median_ms": round(statistics.median([m for _, m in lat[-k:]]), 1) if lat else None,
                            "max_ms": round(max(m for _, m in lat), 1) if lat else None}
    result["samples"] = samples
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    out = os.path.join(ROOT, "bench/results", "reliability-%s-%s.json" % (args.mode, time.strftime("%Y-%m-%d")))
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    subprocess.run([os.path.join(ROOT, "deploy/mariadb.sh"), "stop", db.datadir, str(db.port)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not args.work:
        shutil.rmtree(db.datadir, ignore_errors=True)
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=1))
    print("written:", out, "logs:", work)


if __name__ == "__main__":
    main()
