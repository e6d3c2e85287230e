#!/usr/bin/env python3
"""Sustained ingest (issue 17): one fixed HEP rate held for minutes, starting from a chosen number of
rows already in the hourly partition(s) the run writes into, for sipvault and, in the same run and
on the same MariaDB, Kamailio's sipcapture.

    bench/pipeline/sustained_bench.py [--build build/release] --rate 40000 --minutes 10 --prefill 20000000
                                      [--systems sipvault,kamailio] [--baseline-rate 4000]
    bench/pipeline/sustained_bench.py --bytes-only 1500000          # bytes on disk per message only
    bench/pipeline/sustained_bench.py --bytes-only 1 --bytes-source kamailio-sipp --sipp-calls 20000

Why a prefill: the 60-s benchmark starts on a nearly empty table, so every secondary-index page is
in the buffer pool; a node that has run for an hour has tens of millions of rows in the partition
and its random-key indexes outgrow memory. Prefilling through the pipeline would take that hour, so
the rows go straight into MariaDB: a few seconds of real loadgen traffic are stored through the
pipeline, then copied with INSERT ... SELECT from MariaDB's sequence engine, each copy with its own
time and its own random hashes for every indexed column (7 messages per call share a call hash).
Prefilled rows get times before the run's (the current hour up to now, and the first second of any
later hour the run reaches), so new rows append to the clustered index as they do in production.

Per minute it prints: messages sent and stored, backlog (sent - stored), drops counted by the
receiver, CPU per stored row for each stage and mariadbd, InnoDB buffer-pool reads from disk per
1,000 stored rows (misses) and the miss ratio, dirty pages and checkpoint age. At the end: whether
the run held with zero loss, and bytes on disk per message (data + indexes of the run's rows, from
information_schema after ANALYZE) against the raw SIP size. Writes JSON to
<build>/bench-sustained/results.json and deletes the MariaDB it made.
"""
import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pipeline_bench as pb  # noqa: E402  (Db, Procs, cpu_seconds, free_port, load, wait_stable)

HOUR_US = 3600 * 10**6
CHUNK = 500000  # prefill rows per INSERT ... SELECT (bounded undo log)
MSGS_PER_CALL = 7  # the loadgen's INVITE/100/180/200/ACK/BYE/200


def metric(port, name, labels=""):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (not labels or labels in line):
            total += float(line.split()[-1])
    return int(total)


def innodb_status(db):
    rows = db.sql(None, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_reads',"
                        "'Innodb_buffer_pool_read_requests','Innodb_buffer_pool_pages_dirty',"
                        "'Innodb_checkpoint_age','Innodb_buffer_pool_pages_total','Innodb_buffer_pool_pages_data',"
                        "'Innodb_buffer_pool_pages_free','Innodb_buffer_pool_pages_flushed')")
    return {k: int(v) for k, v in (line.split("\t") for line in rows.splitlines())}


# A B-tree grown by random inserts has pages about 68 % full (measured here: a hash index of 400,000 rows took
# 995 pages grown by inserts, 673 built sorted at MariaDB's default innodb_fill_factor=100, 931 at 70). A prefill
# built at 100 made every insert of a run's first minutes split a page (sessions 6-9: ~1,300 B of redo per row).
PREFILL_FILL_FACTOR = 68


@contextlib.contextmanager
def server_globals(db, settings):
    """Sets global variables ((name, SQL value) pairs, in order) for the block; restores them in reverse order."""
    names = [name for name, _ in settings]
    old = db.root_sql("SELECT " + ", ".join("@@" + name for name in names)).split()
    db.root_sql("; ".join("SET GLOBAL %s = %s" % setting for setting in settings))
    try:
        yield
    finally:
        db.root_sql("; ".join("SET GLOBAL %s = %s" % pair for pair in reversed(list(zip(names, old)))))


def hour_of(us):
    return us - us % HOUR_US


class Sipvault:
    """collector -> parser(s) -> writer, the writer's /metrics counting stored rows."""
    name, table, db_name = "sipvault", "sip_messages", "sipvault_sustained"
    extra_tables = ("sip_headers", "sip_call_keys")

    @staticmethod
    def call_hash(tag, call):
        """A prefilled call's search key for `tag` (c: Call-ID, f/t/r: From/To/R-URI user, x: correlation);
        the same for every message of the call, as the loadgen's are."""
        return "(CRC32(CONCAT('%s', %s)) << 32 | CRC32(CONCAT('%s', %s)))" % (tag, call, tag.upper(), call)

    # Columns whose prefill copies differ from the template row: the time and every search key.
    def overrides(self, t0, step):
        call = "s.seq DIV %d" % MSGS_PER_CALL
        h = lambda tag: self.call_hash(tag, call)
        # Ids as the writer issues them (store/row_ids.h) from a range no writer reaches: 2^47 plus 2^27 per hour,
        # so the rows the run inserts (blocks from 1 up) never collide with the prefill.
        first_id = (1 << 47) + (((t0 // HOUR_US) % 1024) << 27)
        return {"id": "%d + s.seq" % first_id, "capture_us": "%d + s.seq * %d" % (t0, step), "call_id_hash": h("c"),
                "from_user_hash": h("f"), "to_user_hash": h("t"), "ruri_user_hash": h("r"),
                "correlation_hash": "IF(t.correlation_hash = 0, 0, %s)" % h("x")}

    def prefill_call_keys(self, db, hour_us, rows):
        """The per-call index (store/sql/014) of `rows` prefilled messages in the hour: From, To and R-URI
        user of each call, straight into the hour's partition (EXCHANGE, like the messages); the keys the
        pipeline stored there before stay."""
        name, calls = self.db_name, (rows + MSGS_PER_CALL - 1) // MSGS_PER_CALL
        db.sql(name, "DROP TABLE IF EXISTS bench_keys; CREATE TABLE bench_keys LIKE sip_call_keys; "
                     "ALTER TABLE bench_keys REMOVE PARTITIONING")
        db.sql(name, "INSERT INTO bench_keys SELECT * FROM sip_call_keys WHERE hour_us = %d" % hour_us)
        for kind, tag in ((1, "f"), (2, "t"), (3, "r")):
            for first in range(0, calls, CHUNK):
                last = min(calls, first + CHUNK) - 1
                db.sql(name, "INSERT IGNORE INTO bench_keys (key_hash, kind, hour_us, call_id_hash) SELECT %s, %d, %d, %s "
                             "FROM seq_%d_to_%d s" % (self.call_hash(tag, "s.seq"), kind, hour_us,
                                                      self.call_hash("c", "s.seq"), first, last))
        part = db.sql(None, "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA='%s' AND "
                            "TABLE_NAME='sip_call_keys' AND PARTITION_DESCRIPTION='%d'" % (name, hour_us + HOUR_US))
        if not part:
            raise SystemExit("prefill: sip_call_keys has no partition for %d yet" % hour_us)
        db.sql(name, "ALTER TABLE sip_call_keys EXCHANGE PARTITION %s WITH TABLE bench_keys; DROP TABLE bench_keys"
               % part)
        db.sql(name, "ANALYZE TABLE sip_call_keys")

    def start(self, args, db):
        self.procs = pb.Procs(args.logdir)
        b = args.build
        self.hep, bus_c, bus_w = pb.free_port(), pb.free_port(), pb.free_port()
        self.writer_metrics, self.collector_metrics = pb.free_port(), pb.free_port()
        self.procs.start("writer", [b + "/writer/sipvault-writer", "--listen", "bind:tcp://127.0.0.1:%d" % bus_w,
                                    "--db-socket", db.sock, "--db-user", "sipvault", "--db-password", "sipvault",
                                    "--db-name", self.db_name, "--metrics-listen", "127.0.0.1:%d" % self.writer_metrics]
                         + getattr(args, "writer_args", []))
        parser_config = []
        if getattr(args, "shipped_rules", False):  # the shipped policy with header extraction on (pipeline_bench)
            parser_config = ["--config", pb.shipped_rules_config(args.logdir), "--db-socket", db.sock, "--db-user",
                             "sipvault", "--db-password", "sipvault", "--db-name", self.db_name]
        for i in range(args.parsers):
            self.procs.start("parser%d" % (i + 1), [b + "/parser/sipvault-parser", "--id", str(i + 1),
                                                    "--input", "connect:tcp://127.0.0.1:%d" % bus_c,
                                                    "--output", "connect:tcp://127.0.0.1:%d" % bus_w]
                             + parser_config)
        self.procs.start("collector", [b + "/collector/sipvault-collector", "--udp", "127.0.0.1:%d" % self.hep,
                                       "--tcp=", "--output", "bind:tcp://127.0.0.1:%d" % bus_c,
                                       "--metrics-listen", "127.0.0.1:%d" % self.collector_metrics])
        time.sleep(3)  # migrations and the hourly partitions ahead

    def stored(self, db):
        return metric(self.writer_metrics, "sipvault_writer_rows_written_total", 'table="sip_messages"')

    def drops(self):
        return metric(self.collector_metrics, "sipvault_collector_dropped_total")

    def cpu(self):
        return self.procs.cpu()

    def raw_size_sql(self):
        return "AVG(raw_len), AVG(LENGTH(raw))"

    def stop(self):
        self.procs.stop()


class Kamailio:
    """Kamailio sipcapture (HOMER 5 table, bench/pipeline/kamailio_sipcapture.*)."""
    name, table, db_name = "kamailio-sipcapture", "sip_capture", "sipvault_sustained_kamailio"

    def overrides(self, t0, step):
        call = "s.seq DIV %d" % MSGS_PER_CALL
        return {"id": None, "date": "FROM_UNIXTIME((%d + s.seq * %d) DIV 1000000)" % (t0, step),
                "micro_ts": "%d + s.seq * %d" % (t0, step),
                "callid": "CONCAT(HEX(CRC32(CONCAT('c', %s))), '-', %s, '@bench')" % (call, call),
                "from_user": "CONCAT('f', CRC32(CONCAT('f', %s)))" % call,
                "to_user": "CONCAT('t', CRC32(CONCAT('t', %s)))" % call,
                "ruri_user": "CONCAT('r', CRC32(CONCAT('r', %s)))" % call}

    def start(self, args, db):
        db.sql(self.db_name, open(os.path.join(HERE, "kamailio_sipcapture.sql")).read())
        self.hep = pb.free_port()
        cfg = open(os.path.join(HERE, "kamailio_sipcapture.cfg.in")).read()
        for k, v in {"HEP_PORT": self.hep, "DB_PORT": db.port, "DB_NAME": self.db_name,
                     "INSERT_MODE": args.baseline_insert_mode}.items():
            cfg = cfg.replace("@%s@" % k, str(v))
        cfg_path = os.path.join(args.logdir, "kamailio.cfg")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        self.procs = pb.Procs(args.logdir)
        self.procs.start("kamailio", ["kamailio", "-f", cfg_path, "-DD", "-E", "-Y", args.logdir,
                                      "-P", os.path.join(args.logdir, "kamailio.pid")])
        time.sleep(3)
        self.udp0 = pb.udp_drops(self.hep)
        self.base_id = 0

    def stored(self, db):
        return int(db.sql(self.db_name, "SELECT IFNULL(MAX(id), 0) FROM sip_capture")) - self.base_id

    def drops(self):
        return pb.udp_drops(self.hep) - self.udp0

    def cpu(self):  # the main process and the workers it forked
        kam = self.procs.items[0][1].pid
        total = pb.cpu_seconds(kam)
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == kam:
                            total += pb.cpu_seconds(int(pid))
                except OSError:
                    pass
        return {"kamailio": total}

    def raw_size_sql(self):
        return "AVG(LENGTH(msg)), AVG(LENGTH(msg))"

    def stop(self):
        self.procs.stop()


def columns(db, name, table):
    return db.sql(None, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='%s' AND "
                        "TABLE_NAME='%s' ORDER BY ORDINAL_POSITION" % (name, table)).split()


def secondary_keys(db, name, table):
    """KEY lines of SHOW CREATE TABLE that a bulk load can add afterwards (not the AUTO_INCREMENT's key)."""
    create = db.sql(name, "SHOW CREATE TABLE %s" % table).split("\t", 1)[1].replace("\\n", "\n")
    auto = [l.split("`")[1] for l in create.splitlines() if "AUTO_INCREMENT" in l and l.strip().startswith("`")]
    keys = []
    for line in create.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("KEY ") and not line.split("(", 1)[1].startswith("`%s`" % (auto[0] if auto else "")):
            keys.append((line.split("`")[1], line))
    return keys


def prefill(db, system, rows, run_start_us, run_end_us, log):
    """Puts `rows` copies of the rows stored so far (the template) into every hour the run touches.

    Fast path, as a bulk load is done: the copies go into a table without the random-key indexes,
    the indexes are then built by sorting, and the table is swapped in (EXCHANGE PARTITION for an
    hourly partition, RENAME for Kamailio's single table). The sorted index builds fill pages to
    PREFILL_FILL_FACTOR, as full as random inserts leave them."""
    if rows <= 0:
        return 0
    name, table = system.db_name, system.table
    cols = columns(db, name, table)
    # sip_messages is partitioned by (storage_class, capture_us) since schema v8: the prefill fills
    # the calls class (0), which the loadgen's calls are in; its partitions say "0,<end>".
    classed = "storage_class" in cols
    only_calls = " WHERE storage_class = 0" if classed else ""
    db.sql(name, "DROP TABLE IF EXISTS bench_template; CREATE TABLE bench_template (PRIMARY KEY (n)) "
                 "SELECT ROW_NUMBER() OVER () - 1 AS n, %s FROM %s%s"
           % (", ".join("`%s`" % c for c in cols), table, only_calls))
    templates = int(db.sql(name, "SELECT COUNT(*) FROM bench_template"))
    if templates == 0:
        raise SystemExit("prefill: no template rows were stored")
    partitioned = system.table == "sip_messages"
    hours = range(hour_of(run_start_us), hour_of(run_end_us) + 1, HOUR_US) if partitioned else [hour_of(run_start_us)]
    keys = secondary_keys(db, name, table)
    total = 0
    for h in hours:
        t = time.time()
        db.sql(name, "DROP TABLE IF EXISTS bench_fill; CREATE TABLE bench_fill LIKE %s" % table)
        if partitioned:
            db.sql(name, "ALTER TABLE bench_fill REMOVE PARTITIONING")
        db.sql(name, "ALTER TABLE bench_fill %s" % ", ".join("DROP KEY `%s`" % k for k, _ in keys))
        if partitioned:  # the rows already in this hour (the template's, if it is this hour) stay
            db.sql(name, "INSERT INTO bench_fill SELECT * FROM %s WHERE capture_us >= %d AND capture_us < %d%s"
                   % (table, h, h + HOUR_US, " AND storage_class = 0" if classed else ""))
        elif h == hour_of(run_start_us):  # one table: everything stays
            db.sql(name, "INSERT INTO bench_fill SELECT * FROM %s" % table)
        # The current hour: spread over [hour start, now). A later hour: its first second.
        span = max(run_start_us - h, 10**6) if h <= run_start_us else 10**6
        over = system.overrides(h, max(1, span // rows))
        insert_cols = [c for c in cols if over.get(c, "") is not None]
        select = ", ".join(over.get(c) or "t.`%s`" % c for c in insert_cols)
        for first in range(0, rows, CHUNK):
            last = min(rows, first + CHUNK) - 1
            db.sql(name, "INSERT INTO bench_fill (%s) SELECT %s FROM seq_%d_to_%d s JOIN bench_template t "
                         "ON t.n = s.seq MOD %d" % (", ".join("`%s`" % c for c in insert_cols), select, first, last,
                                                    templates))
        loaded = time.time() - t
        with server_globals(db, [("innodb_fill_factor", str(PREFILL_FILL_FACTOR))]):
            db.sql(name, "ALTER TABLE bench_fill %s" % ", ".join("ADD %s" % k for _, k in keys))
        if partitioned:
            part = db.sql(None, "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA='%s' AND "
                                "TABLE_NAME='%s' AND REPLACE(PARTITION_DESCRIPTION, ' ', '')='%s%d'"
                                % (name, table, "0," if classed else "", h + HOUR_US))
            if not part:
                raise SystemExit("prefill: no hourly partition for %d yet (writer.partitions_ahead_hours)" % h)
            db.sql(name, "ALTER TABLE %s EXCHANGE PARTITION %s WITH TABLE bench_fill" % (table, part))
        else:
            db.sql(name, "RENAME TABLE %s TO bench_old, bench_fill TO %s; DROP TABLE bench_old" % (table, table))
        db.sql(name, "DROP TABLE IF EXISTS bench_fill")
        if hasattr(system, "prefill_call_keys"):
            system.prefill_call_keys(db, h, rows)
        total += rows
        log({"prefill_hour_us": h, "rows": rows, "load_s": round(loaded, 1), "seconds": round(time.time() - t, 1),
             "rows_per_s": int(rows / max(time.time() - t, 1e-3))})
    db.sql(name, "DROP TABLE bench_template")
    if system.overrides(0, 1)["id"] is None:  # AUTO_INCREMENT (Kamailio): continue after the copies
        top = int(db.sql(name, "SELECT IFNULL(MAX(id), 0) FROM %s" % table))
        db.sql(name, "ALTER TABLE %s AUTO_INCREMENT = %d" % (table, top + 1))
    db.sql(name, "ANALYZE TABLE %s" % table)
    return total


def warm_indexes(db, system, log):
    """Reads every secondary index of the table into the buffer pool, as a node that has been inserting into its
    current partition has them there; right after the bulk prefill they are on disk only, and the first minutes
    would measure a cold restart instead (2,600 rows/s stored from 20M rows, session 6)."""
    name, table = system.db_name, system.table
    t = time.time()
    for scan in range(2):  # a page read once stays in the LRU's old end; a second read after 1 s makes it young
        if scan:
            time.sleep(1.5)
        for key, _ in secondary_keys(db, name, table):
            db.sql(name, "SELECT COUNT(*) FROM %s FORCE INDEX (`%s`)" % (table, key))
        if hasattr(system, "prefill_call_keys"):  # the per-call index is the primary key of its own table
            db.sql(name, "SELECT COUNT(*) FROM sip_call_keys")
    st = innodb_status(db)
    log({"warmed_indexes_s": round(time.time() - t, 1), "buffer_pool_pages_data": st.get("Innodb_buffer_pool_pages_data"),
         "buffer_pool_pages_free": st.get("Innodb_buffer_pool_pages_free")})


def flush_prefill(db, log, limit_s=900):
    """Waits until the prefill's dirty pages are written and its redo checkpointed. A node in steady state flushes
    as fast as it dirties; a bulk load leaves gigabytes of both (session 6: 340,000 dirty pages and a 2.9 GB
    checkpoint age at the run's first minute, so InnoDB's flushing took the run's I/O and CPU)."""
    t = time.time()
    # Above innodb_max_dirty_pages_pct InnoDB flushes at innodb_io_capacity pages/s: 200 by default, which
    # left 149k dirty pages after 900 s (session 9); the run itself keeps the server's setting. The maximum
    # goes up first: the capacity may not exceed it.
    with server_globals(db, [("innodb_max_dirty_pages_pct", "0"),
                             ("innodb_io_capacity_max", "GREATEST(@@innodb_io_capacity_max, 40000)"),
                             ("innodb_io_capacity", "GREATEST(@@innodb_io_capacity, 20000)")]):
        while time.time() - t < limit_s:
            st = innodb_status(db)
            if st["Innodb_buffer_pool_pages_dirty"] < st["Innodb_buffer_pool_pages_total"] // 100:
                break
            time.sleep(5)
    st = innodb_status(db)
    log({"flushed_prefill_s": round(time.time() - t, 1), "dirty_pages": st["Innodb_buffer_pool_pages_dirty"],
         "checkpoint_age_mb": round(st.get("Innodb_checkpoint_age", 0) / 2**20, 1)})


def allocated_bytes(db, schema, table):
    """Bytes of file blocks the table's tablespace(s) hold: holes punched by page compression are not counted,
    as DATA_LENGTH counts them. Flush the table first (FLUSH TABLES ... FOR EXPORT): only written pages shrink."""
    return int(db.root_sql("SELECT IFNULL(SUM(ALLOCATED_SIZE), 0) FROM information_schema.INNODB_SYS_TABLESPACES "
                           "WHERE NAME = '%s/%s' OR NAME LIKE '%s/%s#P#%%'" % (schema, table, schema, table)) or 0)


def bytes_on_disk(db, system):
    """Bytes on disk per message (allocated file blocks when the server reports them, else data + indexes
    from information_schema after ANALYZE), data alone, and the raw SIP size."""
    name, table = system.db_name, system.table
    engine = db.sql(None, "SELECT UPPER(ENGINE) FROM information_schema.TABLES WHERE TABLE_SCHEMA='%s' AND "
                          "TABLE_NAME='%s'" % (name, table))
    if engine == "ROCKSDB":  # MyRocks reports its SST files' sizes once the memtable is written out
        db.root_sql("SET GLOBAL rocksdb_force_flush_memtable_now=1")
    db.sql(name, "ANALYZE TABLE %s" % table)
    size, data = (int(v) for v in db.sql(
        None, "SELECT IFNULL(SUM(DATA_LENGTH + INDEX_LENGTH), 0), IFNULL(SUM(DATA_LENGTH), 0) FROM "
              "information_schema.PARTITIONS WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s'" % (name, table)).split("\t"))
    # What the files really hold: page compression punches holes that DATA_LENGTH still counts, and
    # only in pages written, so flush the table first.
    on_disk = 0
    if engine == "INNODB":
        db.root_sql("FLUSH TABLES %s.%s FOR EXPORT; UNLOCK TABLES" % (name, table))
        on_disk = allocated_bytes(db, name, table)
    if on_disk:
        size = on_disk
    count = int(db.sql(name, "SELECT COUNT(*) FROM %s" % table))
    raw, stored = db.sql(name, "SELECT %s FROM %s" % (system.raw_size_sql(), table)).split("\t")
    per = size / max(count, 1)
    res = {"rows": count, "bytes_total": size, "bytes_per_message": round(per), "data_bytes_per_message":
           round(data / max(count, 1)), "raw_bytes_avg": round(float(raw)), "stored_raw_bytes_avg":
           round(float(stored)), "ratio_to_raw": round(per / float(raw), 2)}
    all_tables = size
    for extra in getattr(system, "extra_tables", ()):  # rows stored with the messages (header values, call keys)
        db.sql(name, "ANALYZE TABLE %s" % extra)
        db.root_sql("FLUSH TABLES %s.%s FOR EXPORT; UNLOCK TABLES" % (name, extra))
        extra_size = allocated_bytes(db, name, extra) or int(db.sql(
            None, "SELECT IFNULL(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.PARTITIONS "
                  "WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s'" % (name, extra)))
        res[extra + "_rows"] = int(db.sql(name, "SELECT COUNT(*) FROM %s" % extra))
        res[extra + "_bytes_total"] = extra_size
        all_tables += extra_size
        res["bytes_per_message_all_tables"] = round(all_tables / max(count, 1))
        res["ratio_to_raw_all_tables"] = round(all_tables / max(count, 1) / float(raw), 2)
    return res


def run(args, db, system, rate, minutes, prefill_rows, log, drop_after):
    """One system's run; `drop_after`: delete its database afterwards (another system runs next; the last one's
    goes with the datadir, faster than DROP DATABASE frees a page-compressed file extent by extent)."""
    db.fresh(system.db_name)
    args.logdir = os.path.join(args.work, system.name)
    os.makedirs(args.logdir, exist_ok=True)
    system.start(args, db)
    first_call = int(time.time() * 1000) % 10**9 * 1000
    try:
        if args.table_options and system.name == "sipvault":  # a storage lever, on the writer's fresh table
            db.sql(system.db_name, "ALTER TABLE sip_messages %s" % args.table_options)
        # The template: a few seconds of real loadgen calls stored through the capture path.
        tpl = pb.load(args.build, system.hep, 5000, 2, first_call)["sent"]
        first_call += tpl
        pb.wait_stable(lambda: system.stored(db), tpl, 30)
        if hasattr(system, "base_id"):
            system.base_id = 0
        # The hours the run will write into: it starts once the prefill is done (estimated at 25,000 rows/s).
        now = int(time.time() * 10**6)
        run_start = now + int(prefill_rows / 25000 * 10**6)
        filled = prefill(db, system, prefill_rows, run_start, run_start + (minutes * 60 + 120) * 10**6, log)
        if filled:
            flush_prefill(db, log)
            # A prefill done sooner than estimated must not leave the run writing the hour before the full one.
            early_s = (hour_of(run_start) - time.time() * 10**6) / 10**6
            if early_s > 0:
                log({"waiting_for_prefilled_hour_s": round(early_s, 1)})
                time.sleep(early_s)
            # Last, right before minute 1: the page cleaner evicts clean pages from the LRU tail while idle
            # (adaptive flushing on), and indexes read during a wait were gone again (session 10).
            warm_indexes(db, system, log)
        if hasattr(system, "base_id"):
            system.base_id = int(db.sql(system.db_name, "SELECT MAX(id) FROM sip_capture"))
        stored0 = system.stored(db)
        sent_total, drops0 = 0, system.drops()
        cpu_prev, db_prev, st_prev, stored_prev = system.cpu(), pb.cpu_seconds(db.pid()), innodb_status(db), stored0
        minutes_out = []
        for m in range(minutes):
            sent_total += pb.load(args.build, system.hep, rate, 60, first_call)["sent"]
            first_call += rate * 60
            stored = system.stored(db)
            cpu, db_cpu, st = system.cpu(), pb.cpu_seconds(db.pid()), innodb_status(db)
            rows = max(stored - stored_prev, 1)
            reads = st["Innodb_buffer_pool_reads"] - st_prev["Innodb_buffer_pool_reads"]
            requests = st["Innodb_buffer_pool_read_requests"] - st_prev["Innodb_buffer_pool_read_requests"]
            cpu_us = {k: round((cpu[k] - cpu_prev.get(k, 0)) * 1e6 / rows, 1) for k in cpu}
            cpu_us["mariadbd"] = round((db_cpu - db_prev) * 1e6 / rows, 1)
            row = {"system": system.name, "minute": m + 1, "rate": rate, "sent": sent_total,
                   "stored": stored - stored0, "stored_per_s": int((stored - stored_prev) / 60),
                   "backlog": sent_total - (stored - stored0), "drops": system.drops() - drops0,
                   "cpu_us_per_row": cpu_us, "bp_disk_reads_per_1k_rows": round(reads * 1000 / rows, 1),
                   "bp_miss_ratio": round(reads / max(requests, 1), 5),
                   "dirty_pages": st["Innodb_buffer_pool_pages_dirty"],
                   "pages_flushed_per_s": int((st["Innodb_buffer_pool_pages_flushed"]
                                               - st_prev["Innodb_buffer_pool_pages_flushed"]) / 60),
                   "checkpoint_age_mb": round(st.get("Innodb_checkpoint_age", 0) / 2**20, 1)}
            log(row)
            minutes_out.append(row)
            cpu_prev, db_prev, st_prev, stored_prev = cpu, db_cpu, st, stored
        final = pb.wait_stable(lambda: system.stored(db) - stored0, sent_total, 120)
        result = {"system": system.name, "rate": rate, "minutes": minutes, "prefilled_rows": filled,
                  "sent": sent_total, "stored": final, "lost": sent_total - final,
                  "held": sent_total == final, "per_minute": minutes_out}
    finally:
        system.stop()
    result["disk"] = bytes_on_disk(db, system)
    log({k: v for k, v in result.items() if k != "per_minute"})
    if drop_after:
        db.sql(None, "DROP DATABASE %s" % system.db_name)  # up to tens of GB; nothing reuses it
    return result


def bytes_only(args, db, log):
    """Stores N loadgen messages at a modest rate in a fresh database and reports bytes per message."""
    out = []
    for system in [s for s in (Sipvault(), Kamailio()) if s.name.split("-")[0] in args.systems]:
        db.fresh(system.db_name)
        args.logdir = os.path.join(args.work, system.name)
        os.makedirs(args.logdir, exist_ok=True)
        system.start(args, db)
        try:
            rate = args.bytes_rate if system.name == "sipvault" else args.bytes_baseline_rate
            sent = pb.load(args.build, system.hep, rate, args.bytes_only / rate,
                           int(time.time() * 1000) % 10**9 * 1000,
                           getattr(args, "shipped_rules", False) and system.name == "sipvault")["sent"]
            pb.wait_stable(lambda: system.stored(db), sent, 120)
        finally:
            system.stop()
        res = dict(system=system.name, **bytes_on_disk(db, system))
        log(res)
        out.append(res)
        db.sql(None, "DROP DATABASE %s" % system.db_name)
    return out


def bytes_kamailio_sipp(args, db, log):
    """Real calls for the bytes measurement: sipp uac -> Kamailio (stateful proxy, siptrace as HEP3) -> sipp uas,
    with sipvault storing what Kamailio mirrors (tests/pipeline/kamailio_proxy.cfg.in, as the e2e test)."""
    system = Sipvault()
    db.fresh(system.db_name)
    args.logdir = os.path.join(args.work, "kamailio-sipp")
    os.makedirs(args.logdir, exist_ok=True)
    system.start(args, db)
    sip, uas, uac = pb.free_port(), pb.free_port(), pb.free_port()
    cfg = open(os.path.join(pb.ROOT, "tests/pipeline/kamailio_proxy.cfg.in")).read()
    for k, v in {"SIP_PORT": sip, "HEP_PORT": system.hep, "UAS_PORT": uas, "HEP_VERSION": 3}.items():
        cfg = cfg.replace("@%s@" % k, str(v))
    with open(os.path.join(args.logdir, "kamailio.cfg"), "w") as f:
        f.write(cfg)
    peers = pb.Procs(args.logdir)
    try:
        peers.start("kamailio", ["kamailio", "-f", os.path.join(args.logdir, "kamailio.cfg"), "-DD", "-E", "-Y",
                                 args.logdir, "-P", os.path.join(args.logdir, "kamailio.pid")])
        peers.start("sipp-uas", ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas), "-nostdin"])
        time.sleep(2)
        subprocess.run(["sipp", "-sn", "uac", "127.0.0.1:%d" % sip, "-i", "127.0.0.1", "-p", str(uac), "-m",
                        str(args.sipp_calls), "-r", str(args.sipp_rate), "-l", str(args.sipp_rate * 2), "-d", "200",
                        "-nostdin", "-timeout", str(args.sipp_calls // args.sipp_rate + 120)],
                       cwd=args.logdir, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        pb.wait_stable(lambda: system.stored(db), 1 << 62, 30)
    finally:
        peers.stop()
        system.stop()
    res = dict(system="sipvault (Kamailio+sipp calls)", **bytes_on_disk(db, system))
    log(res)
    db.sql(None, "DROP DATABASE %s" % system.db_name)
    return [res]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(pb.ROOT, "build/release"))
    ap.add_argument("--rate", type=int, default=40000, help="sipvault's HEP packets/s")
    ap.add_argument("--baseline-rate", type=int, default=4000, help="Kamailio sipcapture's packets/s")
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--prefill", type=int, default=0, help="rows already in each hourly partition the run touches")
    ap.add_argument("--systems", default="sipvault,kamailio")
    ap.add_argument("--parsers", type=int, default=1)
    ap.add_argument("--baseline-insert-mode", default="0")
    ap.add_argument("--bytes-only", type=int, default=0, metavar="N",
                    help="only store N messages per system and report bytes on disk per message")
    ap.add_argument("--shipped-rules", action="store_true",
                    help="parsers run deploy/config/parser.ini with custom-header extraction and correlation rules "
                         "on, the load carries P-Asserted-Identity, P-Charging-Vector and Reason (as pipeline_bench)")
    ap.add_argument("--bytes-source", choices=["loadgen", "kamailio-sipp"], default="loadgen",
                    help="--bytes-only: the loadgen's calls, or real calls sipp makes through Kamailio (siptrace)")
    ap.add_argument("--sipp-calls", type=int, default=20000)
    ap.add_argument("--sipp-rate", type=int, default=200, help="calls per second sipp places")
    ap.add_argument("--bytes-rate", type=int, default=20000, help="sipvault's rate in --bytes-only")
    ap.add_argument("--bytes-baseline-rate", type=int, default=3000, help="Kamailio's rate in --bytes-only")
    ap.add_argument("--db-port", type=int, default=33997)
    ap.add_argument("--db-buffer-pool", default="4G")
    ap.add_argument("--db-log-file-size", default="2G")
    ap.add_argument("--db-flush-log", choices=["1", "2"], default="1")
    ap.add_argument("--db-io-capacity", default="",
                    help="deploy/mariadb.sh's SIPVAULT_MARIADB_IO_CAPACITY: adaptive flushing at this many page writes/s "
                         "(default: InnoDB's own flushing, as deploy/mariadb.sh)")
    ap.add_argument("--table-options", default="",
                    help="ALTER TABLE sip_messages options applied before the run, e.g. PAGE_COMPRESSED=1, or "
                         "ENGINE=ROCKSDB with --myrocks")
    ap.add_argument("--myrocks", action="store_true",
                    help="load MyRocks at server start (Debian mariadb-plugin-rocksdb), for --table-options ENGINE=ROCKSDB "
                         "(--prefill 0 only: the prefill's bulk steps are InnoDB's)")
    ap.add_argument("--db-compression-level", default="",
                    help="innodb_compression_level for PAGE_COMPRESSED tables (1 fastest .. 9; MariaDB's default 6)")
    ap.add_argument("--max-disk-gb", type=float, default=60,
                    help="refuse a prefill that would need more (estimated at 1.2 kB per row)")
    args = ap.parse_args()
    # SIGTERM or Ctrl-C end the run through the finally blocks, which stop the daemons and delete the database
    # (tens of GB); a SIGINT alone was seen not to stop a run while the load generator was sending.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    args.build = os.path.abspath(args.build)
    args.work = os.path.join(args.build, "bench-sustained")
    hours = 2 if args.prefill else 1
    need_gb = args.prefill * hours * 1200 / 1e9
    free_gb = shutil.disk_usage(args.build).free / 1e9
    if need_gb > min(args.max_disk_gb, free_gb - 5):
        raise SystemExit("a prefill of %d rows may need %.0f GB (free %.0f GB, --max-disk-gb %.0f)"
                         % (args.prefill, need_gb, free_gb, args.max_disk_gb))
    os.makedirs(args.work, exist_ok=True)
    os.environ["SIPVAULT_MARIADB_BUFFER_POOL"] = args.db_buffer_pool
    os.environ["SIPVAULT_MARIADB_LOG_FILE_SIZE"] = args.db_log_file_size
    os.environ["SIPVAULT_MARIADB_FLUSH_LOG"] = args.db_flush_log
    if args.db_io_capacity:
        os.environ["SIPVAULT_MARIADB_IO_CAPACITY"] = args.db_io_capacity
    if args.myrocks:
        if args.prefill:
            raise SystemExit("--myrocks runs from an empty partition (--prefill 0)")
        os.environ["SIPVAULT_MARIADB_PLUGINS"] = "ha_rocksdb.so"
    db = pb.Db(os.path.join(args.work, "mariadb"), args.db_port)
    db.start()
    if args.db_compression_level:
        db.root_sql("SET GLOBAL innodb_compression_level=%d" % int(args.db_compression_level))
    results = []

    def log(res):
        results.append(res)
        print(json.dumps(res), flush=True)

    try:
        if args.bytes_only and args.bytes_source == "kamailio-sipp":
            summary = {"bytes_on_disk": bytes_kamailio_sipp(args, db, log)}
        elif args.bytes_only:
            summary = {"bytes_on_disk": bytes_only(args, db, log)}
        else:
            summary = {"runs": []}
            # Kamailio first: its database is small, so sipvault's run does not start while the kernel still
            # frees a dropped database's files (session 10 saw that slow Kamailio's first minutes).
            todo = [(s, r) for s, r in ((Kamailio(), args.baseline_rate), (Sipvault(), args.rate))
                    if s.name.split("-")[0] in args.systems]
            for i, (system, rate) in enumerate(todo):
                summary["runs"].append(run(args, db, system, rate, args.minutes, args.prefill, log,
                                           drop_after=i + 1 < len(todo)))
    finally:
        subprocess.run([os.path.join(pb.ROOT, "deploy/mariadb.sh"), "stop", db.datadir], stdout=subprocess.DEVNULL)
        shutil.rmtree(db.datadir, ignore_errors=True)
    summary.update(date=time.strftime("%Y-%m-%d %H:%M"), args={k: v for k, v in vars(args).items() if k != "logdir"})
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    for r in summary.get("runs", []):
        print("%s: %d/s for %d min from %d rows prefilled: %s (sent %d, stored %d); %s B/message on disk, %.2fx raw"
              % (r["system"], r["rate"], r["minutes"], r["prefilled_rows"], "HELD" if r["held"] else "LOST %d" % r["lost"],
                 r["sent"], r["stored"], r["disk"]["bytes_per_message"], r["disk"]["ratio_to_raw"]))
    for r in summary.get("bytes_on_disk", []):
        print("%s: %d B/message on disk (data %d) for %d B raw (%d stored): %.2fx raw"
              % (r["system"], r["bytes_per_message"], r["data_bytes_per_message"], r["raw_bytes_avg"],
                 r["stored_raw_bytes_avg"], r["ratio_to_raw"]))


if __name__ == "__main__":
    sys.exit(main())
