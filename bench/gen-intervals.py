#!/usr/bin/env python3
"""Seeded, deterministic generator of Avaya CMS-style split interval exports.

Writes one file per day, intervals-YYYY-MM-DD.csv, into a folder: N queues (splits) x 96
fifteen-minute intervals, columns

    Split;Date;Time;CallsOffered;ACDCalls;AbnCalls;AHT;ASA;ServiceLevel

with Date as dd.mm.yyyy and Time as HH:MM (local time of the ACD), rows ordered by interval,
then split (the order a CMS export of all splits delivers), so the whole file is in arrival
order for a (date, time, split) key.

Realistic quirks, all of them valid input that every loader in bench/import.sh accepts:
  - a UTF-8 byte-order mark and CRLF line ends (the export comes from a Windows client);
  - a decimal comma in AHT ("187,4") and ServiceLevel ("87,5");
  - AHT and ASA are empty when no call was handled, ServiceLevel is empty when none was
    offered (an average without a base has no value, CMS leaves the cell blank);
  - about 0.5% of the counts are padded with a blank (" 12"), a fixed-width habit of some
    report templates.

Volumes follow a per-split size (a few big splits, many small ones), an intraday profile with a
morning and an afternoon peak, quiet nights and weekends; abandons grow and the service level
falls with the load. The same parameters always give byte-identical files; every day has its
own random stream, so days can be written in parallel.

Usage: gen-intervals.py OUT_DIR [--queues N] [--days D] [--start YYYY-MM-DD] [--seed S]
                        [--order time|queue] [--small] [--jobs J]
Defaults: 2,000 queues x 96 x 30 days from 2026-06-01 (about 5.8M rows), seed 42, time order.
--small: 200 queues x 96 x 3 days.
"""
import argparse
import datetime
import math
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor

INTERVALS = 96
HEADER = "Split;Date;Time;CallsOffered;ACDCalls;AbnCalls;AHT;ASA;ServiceLevel"
FIRST_SPLIT = 1001


def intraday_profile():
    """Relative call volume per 15-minute interval (sums to 1)."""
    w = []
    for i in range(INTERVALS):
        h = i / 4.0 + 0.125
        v = 0.02  # night trickle
        v += 1.00 * math.exp(-((h - 10.5) ** 2) / (2 * 1.6 ** 2))
        v += 0.80 * math.exp(-((h - 15.0) ** 2) / (2 * 1.9 ** 2))
        v += 0.15 * math.exp(-((h - 19.5) ** 2) / (2 * 1.2 ** 2))
        w.append(v)
    s = sum(w)
    return [x / s for x in w]


def queue_params(seed, queues):
    """Per split: calls per weekday, base AHT (s), service-level skill; seeded by seed only."""
    rng = random.Random(seed * 7919 + 1)
    out = []
    for _ in range(queues):
        daily = math.exp(rng.gauss(5.3, 1.1))  # median ~200 calls a day, a long tail
        daily = min(daily, 30000.0)
        aht = rng.uniform(90.0, 540.0)
        staffing = rng.uniform(0.85, 1.25)  # >1: well staffed
        out.append((daily, aht, staffing))
    return out


def gen_day(args):
    out_dir, seed, queues, day_index, start, order = args
    day = start + datetime.timedelta(days=day_index)
    rng = random.Random(seed * 1000003 + day_index * 7 + 3)
    normal = [rng.gauss(0.0, 1.0) for _ in range(4096)]
    prof = intraday_profile()
    params = queue_params(seed, queues)
    weekday = day.weekday()
    day_factor = (1.0, 0.95, 0.92, 0.93, 1.05, 0.45, 0.25)[weekday] * rng.uniform(0.9, 1.1)
    date_s = day.strftime("%d.%m.%Y")
    times = ["%02d:%02d" % (i // 4, (i % 4) * 15) for i in range(INTERVALS)]
    getbits = rng.getrandbits
    rand = rng.random

    def row(q, i):
        daily, aht_base, staffing = params[q]
        lam = daily * day_factor * prof[i]
        x = lam + math.sqrt(lam + 0.25) * normal[getbits(12)]
        offered = int(x + 0.5) if x > 0 else 0
        load = lam / (daily * 0.045 + 1.0)  # ~1 at a normal peak
        pressure = max(0.0, load / staffing - 0.6)
        abn_rate = min(0.5, 0.01 + 0.12 * pressure * pressure + 0.02 * rand())
        abandoned = int(offered * abn_rate + rand())
        if abandoned > offered:
            abandoned = offered
        handled = offered - abandoned
        if handled > 0:
            aht = aht_base * (0.8 + 0.4 * rand())
            aht_s = ("%.1f" % aht).replace(".", ",")
            asa = int(2 + 60 * pressure * pressure + 25 * rand())
            asa_s = str(asa)
        else:
            aht_s = ""
            asa_s = ""
        if offered > 0:
            sl = 100.0 * max(0.0, min(1.0, 0.97 - 0.5 * pressure * pressure - 0.08 * rand()))
            sl_s = ("%.1f" % sl).replace(".", ",")
        else:
            sl_s = ""
        off_s = str(offered)
        if getbits(8) == 0:
            off_s = " " + off_s
        return "%d;%s;%s;%s;%d;%d;%s;%s;%s" % (FIRST_SPLIT + q, date_s, times[i], off_s, handled,
                                               abandoned, aht_s, asa_s, sl_s)

    lines = [HEADER]
    if order == "time":
        for i in range(INTERVALS):
            for q in range(queues):
                lines.append(row(q, i))
    else:
        for q in range(queues):
            for i in range(INTERVALS):
                lines.append(row(q, i))
    path = os.path.join(out_dir, "intervals-%s.csv" % day.isoformat())
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write("\ufeff")
        f.write("\r\n".join(lines))
        f.write("\r\n")
    os.replace(tmp, path)
    return len(lines) - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--queues", type=int, default=None)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--start", default="2026-06-01")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--order", choices=["time", "queue"], default="time")
    ap.add_argument("--small", action="store_true", help="200 queues x 96 x 3 days")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    queues = a.queues if a.queues is not None else (200 if a.small else 2000)
    days = a.days if a.days is not None else (3 if a.small else 30)
    if queues < 1 or days < 1:
        ap.error("--queues and --days must be at least 1")
    start = datetime.date.fromisoformat(a.start)
    os.makedirs(a.out_dir, exist_ok=True)
    jobs = [(a.out_dir, a.seed, queues, d, start, a.order) for d in range(days)]
    if a.jobs > 1 and days > 1:
        with ProcessPoolExecutor(max_workers=a.jobs) as ex:
            rows = sum(ex.map(gen_day, jobs))
    else:
        rows = sum(map(gen_day, jobs))
    print("%d rows in %d files (%d queues x %d intervals x %d days) in %s"
          % (rows, days, queues, INTERVALS, days, a.out_dir), file=sys.stderr)


if __name__ == "__main__":
    main()
