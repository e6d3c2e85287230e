#!/usr/bin/env python3
"""Ingest with two capture nodes on this machine against one node, in the same run (issue 13).

    bench/cluster/ingest_bench.py [--build build/release] [--rate 30000] [--duration 60] [--repeat 1]
                                  [--out bench/results/ingest-DATE.json]

A capture node is what a cluster shard runs: its own private MariaDB (deploy/mariadb.sh) and its own
pipeline, collector -> parser(s) -> writer (writer.shard_id = the node's number) into that MariaDB.
  one node:  node 1 alone, one sipvault-loadgen sending HEP at --rate for --duration seconds;
  two nodes: nodes 1 and 2 side by side, two loadgens at rate/2 each (the same total), at the same time.
The two setups alternate (--repeat N: one/two, two/one, ...), each trial on fresh databases and fresh
processes; the load starts once every node's writer and collector listen. Per trial: packets sent, rows
stored (COUNT(*) in each node's database once it stops growing), lost, stored rows/s (stored / duration),
CPU microseconds per stored message for each stage (collector, parser, writer, mariadbd; /proc/PID/stat of
the processes started here, summed over the nodes) and in total, rows stored after the drain, drops, load
average; then per setup the median over the repeats, the ratios two nodes / one node, and the arithmetic
for N nodes on N hosts. Each server gets --db-buffer-pool (3G: the two fit in ~8 GB with their logs).

Both MariaDB servers live for the whole run (node 2's idles during the one-node trials; its CPU then
is reported as `idle_node_mariadbd_s`). Loopback only, free ports; only processes started here are
stopped; the work directory (databases, logs) is deleted at the end. Not a test: results go to
bench/README.md ("Cluster: ingest with two capture nodes").
"""
import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

PIPELINE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pipeline")
sys.path.insert(0, PIPELINE)
import pipeline_bench as pb  # noqa: E402  (ROOT, Db, Procs, cpu_seconds, free_port, load, wait_stable)
from sustained_bench import metric  # noqa: E402  (a Prometheus counter summed over its labels)

DB_NAME = "sipvault_ingest"  # deploy/mariadb.sh grants the sipvault user `sipvault%`.*
STAGES = ("collector", "parser", "writer", "mariadbd")


def listening(proto, port):
    """A socket bound to 127.0.0.1:port (TCP: in LISTEN state), read from /proc/net: nothing connects to it."""
    with open("/proc/net/" + proto) as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if local == "0100007F:%04X" % port and (proto == "udp" or state == "0A"):
                return True
    return False


class Node:
    """One capture node: a private MariaDB (alive for the whole run) and, per trial, a fresh pipeline."""

    def __init__(self, args, shard_id):
        self.args, self.shard_id = args, shard_id
        self.db = pb.Db(os.path.join(args.work, "node%d-mariadb" % shard_id), pb.free_port())
        self.procs = None

    def count(self):
        return int(self.db.sql(DB_NAME, "SELECT COUNT(*) FROM sip_messages"))

    def start_pipeline(self, trial):
        """Fresh database, then writer, parser(s), collector; returns once the writer has made its tables."""
        self.db.fresh(DB_NAME)
        logdir = os.path.join(self.args.work, "trial%d-node%d" % (trial, self.shard_id))
        os.makedirs(logdir)
        config = os.path.join(logdir, "writer.ini")
        with open(config, "w") as f:
            f.write("[writer]\nshard_id = %d\n" % self.shard_id)
        b = self.args.build
        self.hep, self.metrics = pb.free_port(), pb.free_port()
        bus_c, bus_w = pb.free_port(), pb.free_port()
        self.procs = pb.Procs(logdir)
        self.procs.start("writer", [b + "/writer/sipvault-writer", "--config", config,
                                    "--listen", "bind:tcp://127.0.0.1:%d" % bus_w, "--db-socket", self.db.sock,
                                    "--db-user", "sipvault", "--db-password", "sipvault", "--db-name", DB_NAME])
        for i in range(self.args.parsers):
            self.procs.start("parser%d" % (i + 1), [b + "/parser/sipvault-parser", "--id", str(i + 1),
                                                    "--input", "connect:tcp://127.0.0.1:%d" % bus_c,
                                                    "--output", "connect:tcp://127.0.0.1:%d" % bus_w])
        self.procs.start("collector", [b + "/collector/sipvault-collector", "--udp", "127.0.0.1:%d" % self.hep,
                                       "--tcp=", "--output", "bind:tcp://127.0.0.1:%d" % bus_c,
                                       "--metrics-listen", "127.0.0.1:%d" % self.metrics])
        # Ready when the writer listens on its bus (it binds after the schema and this hour's partitions are
        # made, which on a busy disk can take many seconds) and the collector on its bus and its HEP port.
        end = time.time() + 120
        while not (listening("tcp", bus_w) and listening("tcp", bus_c) and listening("udp", self.hep)):
            for name, p in self.procs.items:
                if p.poll() is not None:
                    raise RuntimeError("node %d: %s exited with %d at start, see %s" % (
                        self.shard_id, name, p.returncode, os.path.join(logdir, name + ".log")))
            if time.time() > end:
                raise RuntimeError("node %d: pipeline not listening after 120 s, see %s" % (self.shard_id, logdir))
            time.sleep(0.5)
        if self.count() != 0:
            raise RuntimeError("node %d: sip_messages not empty in a fresh database" % self.shard_id)
        time.sleep(1)  # the parsers' ZeroMQ connections settle

    def cpu(self):
        """CPU seconds so far per stage (parsers added up) and for this node's mariadbd."""
        per = {s: 0.0 for s in STAGES}
        for name, seconds in self.procs.cpu().items():
            per[name.rstrip("0123456789")] += seconds
        per["mariadbd"] = pb.cpu_seconds(self.db.pid())
        return per

    def stop_pipeline(self):
        if self.procs:
            self.procs.stop()
            self.procs = None


def loadavg():
    """The machine's 1-minute load average: a trial that shared the cores with other work shows it here."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run_trial(nodes, idle, args, trial):
    """One setup: the given nodes each take rate/len(nodes) for the duration, all at once."""
    for n in nodes:
        n.start_pipeline(trial)
    try:
        rates = [args.rate // len(nodes) + (1 if i < args.rate % len(nodes) else 0) for i in range(len(nodes))]
        first = int(time.time() * 1000) % 10**9 * 1000
        cpu0 = {n.shard_id: n.cpu() for n in nodes}
        load0 = loadavg()
        idle0 = pb.cpu_seconds(idle.db.pid()) if idle else 0.0
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        summaries, errors = [None] * len(nodes), []

        def send(i):
            try:  # Call-IDs unique across the nodes: each loadgen starts its own block of call indexes
                summaries[i] = pb.load(args.build, nodes[i].hep, rates[i], args.duration, first + i * 10**8)
            except Exception as e:  # noqa: BLE001  (reported below, after every loadgen has finished)
                errors.append("node %d loadgen: %s" % (nodes[i].shard_id, e))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(nodes))]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        send_s = time.time() - t0
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if errors:
            raise RuntimeError("; ".join(errors))
        per_node = []
        for n, rate, s in zip(nodes, rates, summaries):
            stored = pb.wait_stable(n.count, s["sent"])
            shards = n.db.sql(DB_NAME, "SELECT DISTINCT id >> 48 FROM sip_messages").split()
            per_node.append({"shard_id": n.shard_id, "rate": rate, "sent": s["sent"], "stored": stored,
                             "lost": s["sent"] - stored, "row_id_shards": [int(x) for x in shards]})
        drained_s = time.time() - t0 - send_s
        for n, row in zip(nodes, per_node):
            cpu1 = n.cpu()
            row["cpu_s"] = {k: round(cpu1[k] - cpu0[n.shard_id][k], 2) for k in STAGES}
            row["exited"] = {name: p.returncode for name, p in n.procs.items if p.poll() is not None}
            try:
                row["collector_drops"] = metric(n.metrics, "sipvault_collector_dropped_total")
            except OSError:
                row["collector_drops"] = -1
            row["kernel_udp_drops"] = pb.udp_drops(n.hep)  # the collector's socket overflowed (it fell behind)
    finally:
        for n in nodes:
            n.stop_pipeline()
    for n, row in zip(nodes, per_node):  # what the writer still stored while draining: late, not lost
        row["stored_after_stop"] = n.count()
    sent, stored = sum(r["sent"] for r in per_node), sum(r["stored"] for r in per_node)
    cpu = {k: round(sum(r["cpu_s"][k] for r in per_node), 2) for k in STAGES}
    cpu["total"] = round(sum(cpu.values()), 2)
    res = {"setup": "%d node%s" % (len(nodes), "s" if len(nodes) > 1 else ""), "nodes": len(nodes), "trial": trial,
           "rate": args.rate, "seconds": args.duration, "send_s": round(send_s, 1), "drain_s": round(drained_s, 1),
           "sent": sent, "stored": stored, "lost": sent - stored,
           "stored_rows_per_s": round(stored / args.duration), "cpu_s": cpu,
           "cpu_us_per_stored_msg": {k: round(v / stored * 1e6, 2) if stored else None for k, v in cpu.items()},
           "loadgen_cpu_s": round(children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime, 2),
           "loadavg_1m": [load0, loadavg()], "per_node": per_node}
    if idle:
        res["idle_node_mariadbd_s"] = round(pb.cpu_seconds(idle.db.pid()) - idle0, 2)
    return res


def median_of(trials, key, sub=None):
    values = [t[key][sub] if sub else t[key] for t in trials]
    values = [v for v in values if v is not None]  # a trial that stored nothing has no cost per message
    return round(statistics.median(values), 2) if values else None


def summarize(trials):
    by = {}
    for nodes in (1, 2):
        ts = [t for t in trials if t["nodes"] == nodes]
        by[nodes] = {"trials": len(ts), "lost_in_any_trial": any(t["lost"] for t in ts),
                     "sent": median_of(ts, "sent"), "stored": median_of(ts, "stored"), "lost": median_of(ts, "lost"),
                     "stored_rows_per_s": median_of(ts, "stored_rows_per_s"),
                     "cpu_us_per_stored_msg": {k: median_of(ts, "cpu_us_per_stored_msg", k) for k in STAGES + ("total",)}}
    one, two = by[1], by[2]
    ratio = {"stored_rows_per_s": round(two["stored_rows_per_s"] / max(one["stored_rows_per_s"], 1), 3),
             "cpu_per_stored_msg": {k: round(two["cpu_us_per_stored_msg"][k] / one["cpu_us_per_stored_msg"][k], 3)
                                    if one["cpu_us_per_stored_msg"][k] and two["cpu_us_per_stored_msg"][k] is not None
                                    else None for k in STAGES + ("total",)}}
    return {"one_node": one, "two_nodes": two, "two_over_one": ratio}


def n_hosts(summary, host_cores):
    """N nodes on N hosts: each node holds on its own host what one node holds here; the head only reads
    (Spider queries, no ingest), so the capture rate adds up. The two-node trial on this one host shows what
    sharing a host costs per message, which is what N hosts do not pay."""
    one = summary["one_node"]
    us = one["cpu_us_per_stored_msg"]["total"]
    per_node = one["stored_rows_per_s"]
    return {
        "per_node_rows_per_s": per_node,
        "note": "per-node rows/s is what one node stored of the rate sent here: a lower bound of its capacity, "
                "not its highest loss-free rate (bench/pipeline/pipeline_bench.py measures that)",
        "per_node_held_without_loss": not one["lost_in_any_trial"],
        "cores_per_node_at_this_rate": round(per_node * us / 1e6, 2) if us else None,
        "cpu_bound_rows_per_s_per_host": round(host_cores / (us / 1e6)) if us else None,
        "host_cores": host_cores,
        "aggregate_rows_per_s": {str(n): n * per_node for n in (1, 2, 3, 4, 8, 16)},
        "formula": "aggregate(N) = N x one node's stored rows/s (each node on its own host, the head only reads); "
                   "cores per node = rows/s x CPU s per stored message; a host of C cores tops out near "
                   "C / (CPU s per stored message) when CPU is the limit",
    }


def print_report(trials, summary, arith):
    print("\n| trial | setup | sent | stored | lost | stored after stop | drops kernel + collector | stored rows/s "
          "| CPU us per stored message: collector / parser / writer / mariadbd = total | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in trials:
        c = t["cpu_us_per_stored_msg"]
        nodes = t["per_node"]
        print("| %d | %s | %d | %d | %d | %d | %d + %d | %d | %s | %.1f-%.1f |" % (
            t["trial"], t["setup"], t["sent"], t["stored"], t["lost"], sum(n["stored_after_stop"] for n in nodes),
            sum(n["kernel_udp_drops"] for n in nodes), sum(n["collector_drops"] for n in nodes),
            t["stored_rows_per_s"], " / ".join("-" if c[k] is None else "%.1f" % c[k] for k in STAGES)
            + " = " + ("-" if c["total"] is None else "%.1f" % c["total"]), *t["loadavg_1m"]))
        for n in nodes:
            if n["exited"]:
                print("WARNING: trial %d node %d: exited during the trial: %s" % (t["trial"], n["shard_id"], n["exited"]))
    for t in trials:
        for node in t["per_node"]:
            if node["row_id_shards"] not in ([], [node["shard_id"]]):
                print("WARNING: trial %d node %d stored row ids of shards %s (writer.shard_id not applied?)" % (
                    t["trial"], node["shard_id"], node["row_id_shards"]))
    r = summary["two_over_one"]
    def x(v):
        return "n/a" if v is None else "%.3fx" % v

    print("\ntwo nodes / one node (medians): stored rows/s %s, CPU per stored message %s (%s)" % (
        x(r["stored_rows_per_s"]), x(r["cpu_per_stored_msg"]["total"]),
        ", ".join("%s %s" % (k, x(r["cpu_per_stored_msg"][k])) for k in STAGES)))
    print("N nodes on N hosts: aggregate(N) = N x %s rows/s (one node here, %s); one node at that rate uses "
          "%s cores; CPU-bound per host of %d cores: ~%s rows/s" % (
              arith["per_node_rows_per_s"], "no loss" if arith["per_node_held_without_loss"] else "WITH LOSS",
              arith["cores_per_node_at_this_rate"], arith["host_cores"], arith["cpu_bound_rows_per_s_per_host"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--build", default=os.path.join(pb.ROOT, "build/release"),
                    help="build tree with the release binaries (only read)")
    ap.add_argument("--rate", type=int, default=30000, help="total HEP packets/s (two nodes: half each)")
    ap.add_argument("--duration", type=int, default=60, help="seconds of load per trial")
    ap.add_argument("--repeat", type=int, default=1,
                    help="trials per setup; the order alternates (one, two, two, one, ...)")
    ap.add_argument("--parsers", type=int, default=1, help="parsers per node")
    ap.add_argument("--db-buffer-pool", default="3G",
                    help="innodb_buffer_pool_size of each of the two servers (two nodes fit in ~8 GB)")
    ap.add_argument("--db-log-file-size", default="1G", help="innodb_log_file_size of each server")
    ap.add_argument("--db-flush-log", choices=["1", "2"], default="1",
                    help="innodb_flush_log_at_trx_commit (1 = durable, as deploy/mariadb.sh)")
    ap.add_argument("--work", default=os.path.join(pb.ROOT, "build", "bench-ingest"),
                    help="work directory (databases, logs); deleted at the end")
    ap.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (databases are deleted)")
    ap.add_argument("--out", help="also write the JSON result to this file (e.g. bench/results/ingest-DATE.json)")
    args = ap.parse_args()
    if args.rate < 2 or args.duration < 1 or args.repeat < 1 or args.parsers < 1:
        ap.error("--rate >= 2, --duration >= 1, --repeat >= 1, --parsers >= 1")
    args.build = os.path.abspath(args.build)
    if not os.access(os.path.join(args.build, "bench/sipvault-loadgen"), os.X_OK):
        ap.error("no bench/sipvault-loadgen under --build %s" % args.build)
    args.work = os.path.abspath(args.work)
    if os.path.exists(args.work):
        ap.error("--work %s exists (another run, or one that was killed): remove it first" % args.work)
    os.makedirs(args.work)
    os.environ["SIPVAULT_MARIADB_BUFFER_POOL"] = args.db_buffer_pool
    os.environ["SIPVAULT_MARIADB_LOG_FILE_SIZE"] = args.db_log_file_size
    os.environ["SIPVAULT_MARIADB_FLUSH_LOG"] = args.db_flush_log
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM as on Ctrl-C
    nodes = [Node(args, 1), Node(args, 2)]
    trials = []
    try:
        for n in nodes:
            n.db.start()
        trial = 0
        for i in range(args.repeat):
            for count in ((1, 2) if i % 2 == 0 else (2, 1)):
                trial += 1
                res = run_trial(nodes[:count], nodes[1] if count == 1 else None, args, trial)
                trials.append(res)
                print(json.dumps(res), flush=True)
    finally:
        for n in nodes:
            n.stop_pipeline()
            subprocess.run([os.path.join(pb.ROOT, "deploy/mariadb.sh"), "stop", n.db.datadir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(n.db.datadir, ignore_errors=True)
        if not args.keep_logs:
            shutil.rmtree(args.work, ignore_errors=True)
    summary = summarize(trials)
    arith = n_hosts(summary, os.cpu_count())
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "rate": args.rate, "seconds": args.duration,
              "repeat": args.repeat, "parsers_per_node": args.parsers, "db_buffer_pool": args.db_buffer_pool,
              "db_flush_log": int(args.db_flush_log), "summary": summary, "n_nodes_on_n_hosts": arith,
              "trials": trials}
    print_report(trials, summary, arith)
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
