#!/usr/bin/env python3
"""End-to-end capture benchmark: the highest HEP rate held with zero loss (packets sent == rows
stored), for sipvault (collector -> parsers -> writer -> MariaDB) and, in the same run and on the
same MariaDB, for the baseline: Kamailio's sipcapture module (the original HOMER capture node).

    bench/pipeline/pipeline_bench.py [--build build/release] [--duration 60] [--probe 15]
                                     [--rates 10000,20000,...] [--baseline-rates 1000,2000,...]
                                     [--rtcp-interval 5]   (QoS insert cost: RTCP for the calls in progress)

Load comes from sipvault-loadgen (realistic INVITE..BYE calls with SDP, unique Call-IDs, paced
sendmmsg). For each system the rates are probed in ascending order for --probe seconds; the best
loss-free rate is then held for --duration seconds to confirm it. CPU seconds per process (and for
mariadbd) come from /proc/PID/stat; kernel UDP drops from /proc/net/udp (baseline) or the
collector's counter. Prints a Markdown table and writes JSON next to bench/README.md.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    """utime + stime of a process and its threads (and reaped children), in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / TICKS
    except OSError:
        return 0.0


def udp_drops(port):
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        with open(path) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if int(cols[1].split(":")[1], 16) == port:
                    total += int(cols[-1])
    return total


class Db:
    def __init__(self, datadir, port):
        self.datadir, self.port = datadir, port
        self.sock = os.path.join(datadir, "mysqld.sock")

    def start(self):
        subprocess.run([os.path.join(ROOT, "deploy/mariadb.sh"), "start", self.datadir, str(self.port)],
                       check=True, stdout=subprocess.DEVNULL)

    def pid(self):
        with open(os.path.join(self.datadir, "mysqld.pid")) as f:
            return int(f.read().strip())

    def sql(self, db, query):
        out = subprocess.run(["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + self.sock, "-usipvault",
                              "-psipvault", "-N", "-B"] + ([db] if db else []) + ["-e", query],
                             check=True, capture_output=True, text=True).stdout
        return out.strip()

    def root_sql(self, query):
        """Server-wide statements (plugins, global variables, FLUSH ... FOR EXPORT) need root; the socket lets it in."""
        return subprocess.run(["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + self.sock, "-uroot", "-N",
                               "-B", "-e", query], check=True, capture_output=True, text=True).stdout.strip()

    def fresh(self, db):
        self.sql(None, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s" % (db, db))


class Procs:
    def __init__(self, logdir):
        self.logdir, self.items = logdir, []

    def start(self, name, argv):
        log = open(os.path.join(self.logdir, name + ".log"), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.items.append((name, p))
        return p

    def cpu(self):
        return {name: cpu_seconds(p.pid) for name, p in self.items}

    def stop(self):
        for _, p in reversed(self.items):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.items = []


def wait_stable(count_fn, want, limit_s=60):
    """Waits until count reaches `want` or stops growing for 5 s."""
    last, since, end = -1, time.time(), time.time() + limit_s
    while time.time() < end:
        n = count_fn()
        if n >= want:
            return n
        if n != last:
            last, since = n, time.time()
        elif time.time() - since > 5:
            return n
        time.sleep(0.5)
    return count_fn()


def load(build, port, rate, seconds, first_call, carrier_headers=False, rtcp_interval=0):
    out = subprocess.run([os.path.join(build, "bench/sipvault-loadgen"), "--hep", "udp:127.0.0.1:%d" % port,
                          "--rate", str(rate), "--duration", str(seconds), "--first-call", str(first_call)]
                         + (["--carrier-headers"] if carrier_headers else [])
                         + (["--rtcp-interval", str(rtcp_interval)] if rtcp_interval else []),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def shipped_rules_config(logdir):
    """deploy/config/parser.ini (the shipped ingest policy) with its commented custom-header extraction and
    correlation rules switched on: what an operator runs, written next to the run's logs."""
    text = open(os.path.join(ROOT, "deploy/config/parser.ini")).read()
    text = text.replace("; headers.", "headers.").replace("; correlation.rules", "correlation.rules")
    path = os.path.join(logdir, "parser.ini")
    with open(path, "w") as f:
        f.write(text)
    return path


def run_sipvault(args, db, rate, seconds, parsers):
    name = "sipvault_bench"
    db.fresh(name)
    logdir = os.path.join(args.work, "sipvault-%d" % rate)
    os.makedirs(logdir, exist_ok=True)
    procs = Procs(logdir)
    b = args.build
    hep, bus_c, bus_w, metrics = free_port(), free_port(), free_port(), free_port()
    procs.start("writer", [b + "/writer/sipvault-writer", "--listen", "bind:tcp://127.0.0.1:%d" % bus_w,
                           "--db-socket", db.sock, "--db-user", "sipvault", "--db-password", "sipvault",
                           "--db-name", name])
    parser_config = []
    if args.shipped_rules:
        parser_config = ["--config", shipped_rules_config(logdir), "--db-socket", db.sock, "--db-user", "sipvault",
                         "--db-password", "sipvault", "--db-name", name]
    for i in range(parsers):
        procs.start("parser%d" % (i + 1), [b + "/parser/sipvault-parser", "--id", str(i + 1),
                                           "--input", "connect:tcp://127.0.0.1:%d" % bus_c,
                                           "--output", "connect:tcp://127.0.0.1:%d" % bus_w] + parser_config)
    procs.start("collector", [b + "/collector/sipvault-collector", "--udp", "127.0.0.1:%d" % hep, "--tcp=",
                              "--output", "bind:tcp://127.0.0.1:%d" % bus_c,
                              "--metrics-listen", "127.0.0.1:%d" % metrics])
    time.sleep(2)
    if args.table_options:  # a storage lever on the writer's fresh (empty) table, e.g. PAGE_COMPRESSED=0
        db.sql(name, "ALTER TABLE sip_messages %s" % args.table_options)
    # Every run starts from a fresh database: the rows already in the table (its starting size) are stated,
    # since the held rate depends on them (bench/pipeline/sustained_bench.py measures from a full partition).
    rows_before = int(db.sql(name, "SELECT COUNT(*) FROM sip_messages"))
    cpu0, db_cpu0 = procs.cpu(), cpu_seconds(db.pid())
    sent_summary = load(b, hep, rate, seconds, int(time.time() * 1000) % 10**9 * 1000, args.shipped_rules,
                        args.rtcp_interval)
    sent = sent_summary["sent"]
    stored = wait_stable(lambda: int(db.sql(name, "SELECT COUNT(*) FROM sip_messages")) - rows_before, sent)
    # --rtcp-interval: each RTCP packet is a sender report with one block, two sip_qos rows.
    rtcp_sent = sent_summary.get("rtcp_sent", 0)
    qos_rows = wait_stable(lambda: int(db.sql(name, "SELECT COUNT(*) FROM sip_qos")), 2 * rtcp_sent) if rtcp_sent else 0
    cpu1, db_cpu1 = procs.cpu(), cpu_seconds(db.pid())
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics, timeout=5).read().decode()
        drops = sum(int(float(l.split()[-1])) for l in text.splitlines()
                    if l.startswith("sipvault_collector_dropped_total"))
    except OSError:
        drops = -1
    header_rows = int(db.sql(name, "SELECT COUNT(*) FROM sip_headers"))
    procs.stop()
    cpu = {k: round(cpu1[k] - cpu0.get(k, 0), 2) for k in cpu1}
    cpu["mariadbd"] = round(db_cpu1 - db_cpu0, 2)
    return {"system": "sipvault", "rate": rate, "seconds": seconds, "rows_before": rows_before, "sent": sent,
            "stored": stored, "header_rows": header_rows, "shipped_rules": bool(args.shipped_rules),
            "rtcp_interval_s": args.rtcp_interval, "rtcp_sent": rtcp_sent, "qos_rows": qos_rows,
            "lost": sent - stored + rtcp_sent - qos_rows // 2, "collector_drops": drops, "cpu_s": cpu}


def run_kamailio(args, db, rate, seconds, insert_mode):
    name = "sipvault_bench_kamailio"
    db.fresh(name)
    db.sql(name, open(os.path.join(HERE, "kamailio_sipcapture.sql")).read())
    logdir = os.path.join(args.work, "kamailio-%d" % rate)
    os.makedirs(logdir, exist_ok=True)
    hep = free_port()
    cfg = open(os.path.join(HERE, "kamailio_sipcapture.cfg.in")).read()
    for k, v in {"HEP_PORT": hep, "DB_PORT": db.port, "DB_NAME": name, "INSERT_MODE": insert_mode}.items():
        cfg = cfg.replace("@%s@" % k, str(v))
    with open(os.path.join(logdir, "kamailio.cfg"), "w") as f:
        f.write(cfg)
    procs = Procs(logdir)
    procs.start("kamailio", ["kamailio", "-f", os.path.join(logdir, "kamailio.cfg"), "-DD", "-E", "-Y", logdir,
                             "-P", os.path.join(logdir, "kamailio.pid")])
    time.sleep(3)
    kam = procs.items[0][1].pid

    def kam_cpu():  # the main process and its children (kamailio forks its workers)
        total = cpu_seconds(kam)
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == kam:
                            total += cpu_seconds(int(pid))
                except OSError:
                    pass
        return total

    rows_before = int(db.sql(name, "SELECT COUNT(*) FROM sip_capture"))
    cpu0, db_cpu0, drops0 = kam_cpu(), cpu_seconds(db.pid()), udp_drops(hep)
    sent = load(args.build, hep, rate, seconds, int(time.time() * 1000) % 10**9 * 1000)["sent"]
    stored = wait_stable(lambda: int(db.sql(name, "SELECT COUNT(*) FROM sip_capture")) - rows_before, sent)
    cpu1, db_cpu1, drops = kam_cpu(), cpu_seconds(db.pid()), udp_drops(hep) - drops0
    procs.stop()
    return {"system": "kamailio-sipcapture", "rate": rate, "seconds": seconds, "rows_before": rows_before,
            "sent": sent, "stored": stored,
            "lost": sent - stored, "kernel_udp_drops": drops,
            "cpu_s": {"kamailio": round(cpu1 - cpu0, 2), "mariadbd": round(db_cpu1 - db_cpu0, 2)}}


def search(runner, rates, probe, duration, log):
    """Ascending probes, then a full-length confirmation of the best; steps down if it fails."""
    passing = []
    for r in rates:
        res = runner(r, probe)
        log(res)
        if res["lost"] != 0:
            break
        passing.append(r)
    for r in reversed(passing):
        res = runner(r, duration)
        log(res)
        if res["lost"] == 0:
            return res
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"))
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--probe", type=int, default=15)
    ap.add_argument("--parsers", type=int, default=1)
    ap.add_argument("--rates", default="10000,20000,30000,40000,50000,60000")
    ap.add_argument("--baseline-rates", default="1000,2000,3000,4000,5000,6000")
    ap.add_argument("--baseline-insert-mode", default="0",
                    help="sipcapture db_insert_mode (0 = INSERT; 1 = INSERT DELAYED, which InnoDB refuses)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--shipped-rules", action="store_true",
                    help="parsers run deploy/config/parser.ini (ingest policy) with custom-header extraction and "
                         "correlation rules on; the load's INVITEs carry P-Asserted-Identity and P-Charging-Vector")
    ap.add_argument("--db-port", type=int, default=33998)
    ap.add_argument("--db-buffer-pool", default="4G",
                    help="innodb_buffer_pool_size of the shared MariaDB (60 s at 50k rows/s is ~2 GB of pages)")
    ap.add_argument("--db-flush-log", choices=["1", "2"], default="1",
                    help="innodb_flush_log_at_trx_commit: 1 = durable (default, as deploy/mariadb.sh); 2 = an fsync "
                         "about once a second, an OS crash loses acked rows (writer/README.md)")
    ap.add_argument("--db-log-file-size", default="2G", help="innodb_log_file_size (fewer checkpoint flushes)")
    ap.add_argument("--rtcp-interval", type=float, default=0,
                    help="QoS insert cost: besides the SIP rate, one raw RTCP sender report (HEP 5, correlation id "
                         "= Call-ID, two sip_qos rows) per media stream every S seconds, 2 streams per call in "
                         "progress (sipvault-loadgen --rtcp-interval; calls ramp up over the first 60 s); a run is "
                         "loss-free only when every report's rows are stored too. 0 = off")
    ap.add_argument("--table-options", default="",
                    help="ALTER TABLE sip_messages options applied after the writer made it, e.g. PAGE_COMPRESSED=0 "
                         "to measure without page compression (store/sql/004)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.work = os.path.join(args.build, "bench-pipeline")
    os.makedirs(args.work, exist_ok=True)
    os.environ["SIPVAULT_MARIADB_BUFFER_POOL"] = args.db_buffer_pool
    os.environ["SIPVAULT_MARIADB_LOG_FILE_SIZE"] = args.db_log_file_size
    os.environ["SIPVAULT_MARIADB_FLUSH_LOG"] = args.db_flush_log
    db = Db(os.path.join(args.build, "bench-mariadb"), args.db_port)
    db.start()
    results = []

    def log(res):
        results.append(res)
        print(json.dumps(res), flush=True)

    best = search(lambda r, s: run_sipvault(args, db, r, s, args.parsers),
                  [int(x) for x in args.rates.split(",")], args.probe, args.duration, log)
    base = None
    if not args.skip_baseline:
        base = search(lambda r, s: run_kamailio(args, db, r, s, args.baseline_insert_mode),
                      [int(x) for x in args.baseline_rates.split(",")], args.probe, args.duration, log)
    subprocess.run([os.path.join(ROOT, "deploy/mariadb.sh"), "stop", db.datadir], stdout=subprocess.DEVNULL)
    shutil.rmtree(db.datadir, ignore_errors=True)  # several GB of bench rows; made afresh by the next run
    summary = {"date": time.strftime("%Y-%m-%d %H:%M"), "db_flush_log": int(args.db_flush_log),
               "rtcp_interval_s": args.rtcp_interval,
               "table_options": args.table_options, "sipvault_best": best, "baseline_best": base,
               "ratio": round(best["rate"] / base["rate"], 1) if best and base else None, "runs": results}
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("\n| system | highest zero-loss rate held %d s | CPU s per stage (that run) |" % args.duration)
    print("|---|---|---|")
    for r in (best, base):
        if r:
            print("| %s | %d packets/s (%d sent, %d stored) | %s |" % (
                r["system"], r["rate"], r["sent"], r["stored"], ", ".join("%s %.1f" % kv for kv in r["cpu_s"].items())))
    if summary["ratio"]:
        print("\nratio sipvault / baseline: %.1fx" % summary["ratio"])


if __name__ == "__main__":
    sys.exit(main())
