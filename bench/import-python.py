#!/usr/bin/env python3
"""Peer loader for bench/import.sh: Python's csv module + sqlite3, the way a careful script
would do it. Reads every *.csv of a folder (files in name order), converts the values (date
dd.mm.yyyy -> yyyy-mm-dd, decimal comma, empty cell -> NULL) and upserts them into a
WITHOUT ROWID table keyed (day, time, split) -- the order the rows arrive in -- with one
prepared statement through executemany in batches of 10,000 rows, one commit per batch,
journal_mode=WAL and synchronous=NORMAL (the daemon's own settings).

Usage: import-python.py FOLDER DB [--batch N]
Prints one line: rows=<rows read> seconds=<wall time of the load>
"""
import argparse
import csv
import glob
import os
import sqlite3
import sys
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS intervals (
    day TEXT NOT NULL, time TEXT NOT NULL, split TEXT NOT NULL,
    offered INTEGER, handled INTEGER, abandoned INTEGER,
    aht REAL, asa REAL, service_level REAL,
    PRIMARY KEY (day, time, split)
) WITHOUT ROWID
"""
UPSERT = ("INSERT INTO intervals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
          "offered = excluded.offered, handled = excluded.handled, "
          "abandoned = excluded.abandoned, aht = excluded.aht, asa = excluded.asa, "
          "service_level = excluded.service_level")


def num(s):
    s = s.strip()
    if not s:
        return None
    return float(s.replace(",", "."))


def count(s):
    s = s.strip()
    return int(s) if s else None


def rows_of(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f, delimiter=";")
        next(r, None)  # header
        for rec in r:
            if len(rec) < 9:
                continue
            d = rec[1]
            yield (d[6:10] + "-" + d[3:5] + "-" + d[0:2], rec[2], rec[0].strip(),
                   count(rec[3]), count(rec[4]), count(rec[5]),
                   num(rec[6]), num(rec[7]), num(rec[8]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("db")
    ap.add_argument("--batch", type=int, default=10000)
    a = ap.parse_args()
    t0 = time.monotonic()
    con = sqlite3.connect(a.db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(SCHEMA)
    total = 0
    batch = []
    for path in sorted(glob.glob(os.path.join(a.folder, "*.csv"))):
        for row in rows_of(path):
            batch.append(row)
            if len(batch) >= a.batch:
                con.execute("BEGIN")
                con.executemany(UPSERT, batch)
                con.execute("COMMIT")
                total += len(batch)
                batch = []
    if batch:
        con.execute("BEGIN")
        con.executemany(UPSERT, batch)
        con.execute("COMMIT")
        total += len(batch)
    con.close()
    print("rows=%d seconds=%.3f" % (total, time.monotonic() - t0))


if __name__ == "__main__":
    sys.exit(main())
