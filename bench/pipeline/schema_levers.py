#!/usr/bin/env python3
"""Bytes on disk per message for candidate capture-table designs (issue 17, "levers").

    bench/pipeline/schema_levers.py [--build build/release] [--messages 1000000] [--only v0,v3]

The loadgen's calls are stored through the real pipeline twice (raw as LZ4, and as deflate so SQL
can UNCOMPRESS() it to plain text), then copied in capture order -- appending to the clustered
key, random in the hash indexes, as the writer inserts -- into one table per design:

  v0  today's sip_messages (PK (capture_us, id), KEY ix_id, five hash indexes), raw LZ4
  v1  v0 without ix_id (ids issued by the writer, no AUTO_INCREMENT)
  v2  v1 with only the call hash index on messages, plus sip_call_keys: one row per call and
      hour holding the From/To/R-URI/correlation hashes, each indexed (messages found by call)
  v3  v2, InnoDB PAGE_COMPRESSED (zlib level 6, MariaDB's default), raw LZ4; v3z1 zlib level 1;
      v3l the lz4 provider (Debian mariadb-plugin-provider-lz4)
  v4  v2, InnoDB PAGE_COMPRESSED, raw plain (the page compressor sees the SIP text); v4z1, v4l as above
  v1p v1 (all five hash indexes) with PAGE_COMPRESSED zlib level 1
  v5  v2 on MyRocks (if mariadb-plugin-rocksdb is installed), raw plain
  v6  v2 on MyRocks, raw LZ4

For each: bytes per message on disk (allocated file blocks after FLUSH TABLES ... FOR EXPORT, which
is what page compression saves; MyRocks: SST sizes after a full compaction), logical data + index
bytes from information_schema, and mariadbd CPU per row to copy (the insert + compression cost).
Deletes the MariaDB it made.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pipeline_bench as pb  # noqa: E402
import sustained_bench as sb  # noqa: E402

DB = "sipvault_sustained"
COLS = ("capture_us, call_id_hash, from_user_hash, to_user_hash, ruri_user_hash, correlation_hash, method, status, "
        "cseq, call_id, from_user, from_tag, to_user, to_tag, ruri_user, user_agent, via_branch, x_cid, correlation_id, "
        "src_ip, dst_ip, src_port, dst_port, ip_proto, payload_type, vlan, capture_id, node, raw_len, flags")
COLUMN_DEFS = open(os.path.join(pb.ROOT, "store/sql/001_initial_schema.sql")).read().split(
    "CREATE TABLE IF NOT EXISTS sip_messages (", 1)[1].split("PRIMARY KEY", 1)[0]
HASH_KEYS = ("KEY ix_call_id (call_id_hash), KEY ix_from_user (from_user_hash), KEY ix_to_user (to_user_hash), "
             "KEY ix_ruri_user (ruri_user_hash), KEY ix_correlation (correlation_hash)")


def table_sql(name, keys, engine, options=""):
    cols = COLUMN_DEFS.replace("AUTO_INCREMENT", "") if "ix_id" not in keys else COLUMN_DEFS
    return "CREATE TABLE %s (%s PRIMARY KEY (capture_us, id), %s) ENGINE=%s %s" % (name, cols, keys, engine, options)


CALL_KEYS_SQL = ("CREATE TABLE {name} (hour_us BIGINT UNSIGNED NOT NULL, call_id_hash BIGINT UNSIGNED NOT NULL, "
                 "from_user_hash BIGINT UNSIGNED NOT NULL, to_user_hash BIGINT UNSIGNED NOT NULL, "
                 "ruri_user_hash BIGINT UNSIGNED NOT NULL, correlation_hash BIGINT UNSIGNED NOT NULL, "
                 "PRIMARY KEY (hour_us, call_id_hash), KEY ix_from_user (from_user_hash), KEY ix_to_user (to_user_hash), "
                 "KEY ix_ruri_user (ruri_user_hash), KEY ix_correlation (correlation_hash)) ENGINE={engine} {options}")


def designs(rocksdb, lz4):
    """(name, keys, engine, table options, raw form, per-call index, innodb_compression_algorithm:level)"""
    one = "KEY ix_call_id (call_id_hash)"
    out = [("v0", HASH_KEYS + ", KEY ix_id (id)", "InnoDB", "", "lz4", False, ""),
           ("v1", HASH_KEYS, "InnoDB", "", "lz4", False, ""),
           ("v2", one, "InnoDB", "", "lz4", True, ""),
           ("v3", one, "InnoDB", "PAGE_COMPRESSED=1", "lz4", True, "zlib:6"),
           ("v3z1", one, "InnoDB", "PAGE_COMPRESSED=1", "lz4", True, "zlib:1"),
           ("v4", one, "InnoDB", "PAGE_COMPRESSED=1", "plain", True, "zlib:6"),
           ("v4z1", one, "InnoDB", "PAGE_COMPRESSED=1", "plain", True, "zlib:1"),
           ("v1p", HASH_KEYS, "InnoDB", "PAGE_COMPRESSED=1", "lz4", False, "zlib:1")]
    if lz4:
        out += [("v3l", one, "InnoDB", "PAGE_COMPRESSED=1", "lz4", True, "lz4:1"),
                ("v4l", one, "InnoDB", "PAGE_COMPRESSED=1", "plain", True, "lz4:1")]
    if rocksdb:
        out += [("v5", one, "ROCKSDB", "", "plain", True, ""),
                ("v6", one, "ROCKSDB", "", "lz4", True, "")]
    return out


def rocksdb_bytes(db, table):
    db.root_sql("SET GLOBAL rocksdb_force_flush_memtable_now=1")
    db.sql(DB, "SET SESSION rocksdb_bulk_load=0; OPTIMIZE TABLE %s" % table)  # a full compaction
    return int(db.sql(None, "SELECT IFNULL(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES "
                            "WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s'" % (DB, table)))


def measure(db, name, keys, engine, options, raw, per_call, compression, messages):
    src = "src_lz4" if raw == "lz4" else "src_plain"
    if compression:  # global: applies when pages are written, so set before this design's copy and flush
        algorithm, level = compression.split(":")
        db.root_sql("SET GLOBAL innodb_compression_algorithm=%s; SET GLOBAL innodb_compression_level=%s"
                 % (algorithm, level))
    db.sql(DB, "DROP TABLE IF EXISTS %s, %s_calls" % (name, name))
    db.sql(DB, table_sql(name, keys, engine, options))
    cpu0, t0 = pb.cpu_seconds(db.pid()), time.time()
    db.sql(DB, "INSERT INTO %s (id, %s, raw) SELECT id, %s, raw FROM %s ORDER BY capture_us, id" % (name, COLS, COLS, src))
    tables = [name]
    if per_call:  # one row per call and hour, in the order the writer would first see each call
        db.sql(DB, CALL_KEYS_SQL.format(name=name + "_calls", engine=engine, options=options))
        db.sql(DB, "INSERT IGNORE INTO %s_calls SELECT capture_us - capture_us %% 3600000000, call_id_hash, "
                   "from_user_hash, to_user_hash, ruri_user_hash, correlation_hash FROM %s ORDER BY capture_us, id"
                   % (name, src))
        tables.append(name + "_calls")
    if engine == "InnoDB":
        db.root_sql("FLUSH TABLES %s FOR EXPORT; UNLOCK TABLES" % ", ".join("%s.%s" % (DB, t) for t in tables))
    cpu = pb.cpu_seconds(db.pid()) - cpu0
    db.sql(DB, "ANALYZE TABLE %s" % ", ".join(tables))
    logical = sum(int(db.sql(None, "SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE "
                                   "TABLE_SCHEMA='%s' AND TABLE_NAME='%s'" % (DB, t))) for t in tables)
    on_disk = sum(sb.allocated_bytes(db, DB, t) if engine == "InnoDB" else rocksdb_bytes(db, t) for t in tables)
    raw_avg = float(db.sql(DB, "SELECT AVG(raw_len) FROM src_lz4"))
    calls = int(db.sql(DB, "SELECT COUNT(*) FROM %s_calls" % name)) if per_call else 0
    res = {"design": name, "engine": engine, "options": options, "compression": compression, "raw": raw, "per_call_index": per_call,
           "messages": messages, "calls_rows": calls, "bytes_per_message_on_disk": round(on_disk / messages),
           "logical_bytes_per_message": round(logical / messages), "raw_bytes_avg": round(raw_avg),
           "ratio_to_raw": round(on_disk / messages / raw_avg, 2),
           "copy_cpu_us_per_row": round(cpu * 1e6 / messages, 1), "copy_s": round(time.time() - t0, 1)}
    db.sql(DB, "DROP TABLE IF EXISTS %s, %s_calls" % (name, name))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(pb.ROOT, "build/release"))
    ap.add_argument("--messages", type=int, default=1000000)
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--only", default="", help="comma list of designs (default: all)")
    ap.add_argument("--db-port", type=int, default=33996)
    ap.add_argument("--db-buffer-pool", default="2G")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.work, args.parsers = os.path.join(args.build, "bench-levers"), 1
    os.makedirs(args.work, exist_ok=True)
    os.environ["SIPVAULT_MARIADB_BUFFER_POOL"] = args.db_buffer_pool
    # MyRocks loads at server start only (deploy/mariadb.sh loads the lz4 compression provider itself).
    if os.path.exists("/usr/lib/mysql/plugin/ha_rocksdb.so"):
        os.environ["SIPVAULT_MARIADB_PLUGINS"] = "ha_rocksdb.so"
    db = pb.Db(os.path.join(args.work, "mariadb"), args.db_port)
    db.start()
    results = []
    try:
        rocksdb = "YES" in db.sql(None, "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE='ROCKSDB'")
        if not rocksdb:
            print("MyRocks not available (apt-get install mariadb-plugin-rocksdb): v5/v6 skipped", flush=True)
        first_call = int(time.time() * 1000) % 10**9 * 1000
        for codec, src in (("lz4", "src_lz4"), ("deflate", "src_plain")):
            args.writer_args, args.logdir = ["--raw-codec", codec], os.path.join(args.work, codec)
            os.makedirs(args.logdir, exist_ok=True)
            system = sb.Sipvault()
            db.fresh(DB)  # the same calls both times (same first call index)
            system.start(args, db)
            try:
                sent = pb.load(args.build, system.hep, args.rate, args.messages / args.rate, first_call)["sent"]
                pb.wait_stable(lambda: system.stored(db), sent, 120)
            finally:
                system.stop()
            db.sql(DB, "CREATE TABLE keep_%s SELECT * FROM sip_messages" % src)
            if codec == "deflate":  # kRawDeflated = bit 0 (store/raw_codec.h): make raw plain text
                db.sql(DB, "UPDATE keep_%s SET raw = UNCOMPRESS(raw), flags = flags & ~1 WHERE flags & 1" % src)
            db.sql(None, "CREATE DATABASE IF NOT EXISTS sipvault_keep; RENAME TABLE %s.keep_%s TO sipvault_keep.%s" % (DB, src, src))
        db.fresh(DB)
        db.sql(None, "RENAME TABLE sipvault_keep.src_lz4 TO %s.src_lz4, sipvault_keep.src_plain TO %s.src_plain; DROP DATABASE sipvault_keep"
               % (DB, DB))
        messages = int(db.sql(DB, "SELECT COUNT(*) FROM src_lz4"))
        only = set(filter(None, args.only.split(",")))
        lz4 = "lz4" in db.root_sql("SELECT GROUP_CONCAT(PLUGIN_NAME) FROM information_schema.PLUGINS "
                                    "WHERE PLUGIN_NAME LIKE 'provider_%'")
        for d in designs(rocksdb, lz4):
            if only and d[0] not in only:
                continue
            res = measure(db, *d, messages)
            print(json.dumps(res), flush=True)
            results.append(res)
    finally:
        subprocess.run([os.path.join(pb.ROOT, "deploy/mariadb.sh"), "stop", db.datadir], stdout=subprocess.DEVNULL)
        shutil.rmtree(db.datadir, ignore_errors=True)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "results": results}, f, indent=1)
    print("\n| design | engine | raw | bytes/message on disk | x raw | logical B/msg | copy CPU us/row |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print("| %s | %s %s %s | %s | %d | %.2f | %d | %.1f |" % (r["design"], r["engine"], r["options"], r["compression"], r["raw"],
              r["bytes_per_message_on_disk"], r["ratio_to_raw"], r["logical_bytes_per_message"], r["copy_cpu_us_per_row"]))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as e:
        sys.exit("%s failed: %s" % (e.cmd[-1][:200], (e.stderr or "").strip()))
