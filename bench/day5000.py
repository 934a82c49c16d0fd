#!/usr/bin/env python3
"""acdlink side of bench/day5000.sh: one contact-centre day end to end through the real daemon.

Starts the daemon (plain HTTP on a loopback port, a fresh data directory, import and export
roots in --work), then configures it through the API only:
  - a csv-export target writing into WORK/export/wfm (created before anything is computed,
    so every result is queued for it);
  - a CSV interval source for --intervals (the CMS split export of gen-intervals.py) and a
    start-only CSV agent-state source for --states (gen-agent-states.py);
  - one WFM queue per split with 3 mappings each (offered, handled, and aht weighted by
    handled), made by POST /api/v1/mappings/bulk, 200 queues per call;
  - every agent id pasted in one POST /api/v1/agent-ids (creates the WFM agents), and the
    activity codes mapped to 4 WFM activities;
then resets the daemon's VmHWM and CPU counters, starts both runs at once and polls until both
ended, no recompute is pending and the backlog (queued, pending, sending, failed) is 0.

Prints key=value lines: wall (POST of the runs .. backlog 0), contact_s, agent_s (each run's
end, from the same start), delivery_s (last run's end .. backlog 0), cpu (user+sys of the
daemon over wall), rss_peak_kb, setup_s, interval_rows, interval_keys (distinct queue,
date and time), agent_lines (rows in the exported files), files, batches, state_contact,
state_agent, writers (what the day added to the write line's counters, per kind of writer:
kind:transactions:waited_s:busy_s:held_s), checkpoints (n:s:max_s), export_sha256 (of what the files leave in the WFM, see read_export: the same
data gives the same digest).

Usage: day5000.py --bin BIN --work DIR --intervals DIR --states DIR --day YYYY-MM-DD
                  --queues N --agents N [--first-split 1001] [--serial] [--perf-record OUT]
--serial runs the agent import after the contact import (not at once).
"""
import argparse
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("import_acdlink",
                                              os.path.join(HERE, "import-acdlink.py"))
ia = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ia)

ACTIVITIES = {"TALK": "talk", "ACW": "acw", "READY": "ready", "AUX1": "break",
              "AUX2": "break", "AUX3": "break"}


def start_daemon(a, data, roots_in, roots_out):
    r = subprocess.run([a.bin, "user", "add", ia.USER, "--role", "admin", "--password-stdin",
                        "--data-dir", data], input=ia.PASSWORD + "\n", text=True,
                       capture_output=True, env=ia.child_env())
    if r.returncode != 0:
        sys.exit("acdlink user add failed: %s%s" % (r.stdout, r.stderr))
    port = ia.free_port()
    argv = [a.bin, "serve", "--data-dir", data, "--listen", "127.0.0.1:%d" % port,
            "--plain-http", "--log-level", "warn", "--import-roots", roots_in,
            "--export-roots", roots_out]
    if a.perf_record:
        # the daemon and Debian's libsqlite3 have no frame pointers: unwind with DWARF
        argv = ["perf", "record", "--call-graph", "dwarf,16384", "-F", "199", "-o", a.perf_record,
                "--"] + argv
    log = open(os.path.join(a.work, "acdlink.log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=ia.child_env())
    api = ia.Api(port)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            sys.exit("acdlink exited during start-up; see %s" % log.name)
        try:
            api.request("GET", "/api/v1/health")
            break
        except Exception:  # not up yet
            if time.monotonic() > deadline:
                sys.exit("acdlink did not start; see %s" % log.name)
            api.conn = None
            time.sleep(0.1)
    return proc, api, log


def configure(a, api, out_dir):
    api.request("POST", "/api/v1/targets", {
        "name": "WFM files", "connector": "csv-export",
        "settings": {"folder": out_dir, "create_folder": True}}, ok=(201,))
    contact = api.request("POST", "/api/v1/sources", {
        "name": "CMS splits", "kind": "csv", "time_zone": "Europe/Berlin",
        "settings": {
            "csv": {"folder": a.intervals, "pattern": "*.csv", "separator": ";",
                    "date_order": "dmy"},
            "columns": {"queue": "Split", "date": "Date", "time": "Time"},
            "metrics": {"offered": "CallsOffered", "handled": "ACDCalls",
                        "abandoned": "AbnCalls", "aht": "AHT", "asa": "ASA",
                        "service_level": "ServiceLevel"},
        }}, ok=(201,))
    agents = api.request("POST", "/api/v1/sources", {
        "name": "CMS agent trace", "kind": "csv", "product": "agent_states",
        "time_zone": "Europe/Berlin",
        "settings": {
            "csv": {"folder": a.states, "pattern": "*.csv", "separator": ";",
                    "date_order": "ymd"},
            "columns": {"agent": "Agent", "start": "Time", "activity": "State"},
            "agent_states": {"span": "start_only", "logout_activities": ["LOGOUT"]},
        }}, ok=(201,))
    for q0 in range(0, a.queues, 200):
        queues = [{"identifier": "Q%d" % (a.first_split + q), "name": "Split %d" % (a.first_split + q),
                   "ext_queues": [str(a.first_split + q)]}
                  for q in range(q0, min(q0 + 200, a.queues))]
        api.request("POST", "/api/v1/mappings/bulk", {
            "source_id": contact["id"], "queues": queues,
            "mappings": [{"value_type": "offered", "metric": "offered"},
                         {"value_type": "handled", "metric": "handled"},
                         {"value_type": "aht", "metric": "aht"}]}, ok=(201,))
    text = "".join("%05d;agent%05d@example.com\n" % (n, n) for n in range(1, a.agents + 1))
    api.request("POST", "/api/v1/agent-ids", {"source_id": agents["id"], "text": text})
    for ident in sorted(set(ACTIVITIES.values())):
        api.request("POST", "/api/v1/activities", {"identifier": ident, "name": ident.title()},
                    ok=(201,))
    for code, act in sorted(ACTIVITIES.items()):
        api.request("POST", "/api/v1/activity-codes", {"source_id": agents["id"], "code": code,
                                                       "activity": act})
    return contact["id"], agents["id"]


def writers(api):
    """The store's write line from the daemon's metrics (absent in builds before it): a dict
    of (kind, metric) and of checkpoint metrics to their values."""
    text = api.request("GET", "/api/v1/metrics")
    out = {}
    for line in text.splitlines() if isinstance(text, str) else []:
        if line.startswith("acdlink_store_write_") or line.startswith("acdlink_store_checkpoint"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def writers_text(before, after):
    """What the day added: 'kind:transactions:waited_s:busy_s:held_s' per kind, the longest
    waits first, and the checkpoints 'n:seconds:max_seconds' (the max from the start)."""
    d = {k: v - before.get(k, 0) for k, v in after.items()}
    kinds = {}
    for name, v in d.items():
        if '{kind="' in name:
            metric, kind = name[:-2].split('{kind="')
            kinds.setdefault(kind, {})[metric[len("acdlink_store_write_"):]] = v
    rows = sorted(kinds.items(), key=lambda kv: -kv[1].get("wait_seconds_total", 0))
    w = " ".join("%s:%d:%.2f:%.2f:%.2f" % (k, v.get("transactions_total", 0),
                                           v.get("wait_seconds_total", 0),
                                           v.get("busy_seconds_total", 0),
                                           v.get("held_seconds_total", 0))
                 for k, v in rows if v.get("transactions_total", 0) or
                 v.get("busy_seconds_total", 0))
    c = "%d:%.2f:%.3f" % (d.get("acdlink_store_checkpoints_total", 0),
                          d.get("acdlink_store_checkpoint_seconds_total", 0),
                          after.get("acdlink_store_checkpoint_max_seconds", 0))
    return w, c


def run_state(api, run_id):
    return api.request("GET", "/api/v1/runs/%d" % run_id)


def settled(api):
    """True when nothing is left: no recompute pending and the backlog is 0."""
    b = api.request("GET", "/api/v1/backlog")
    waiting = b["queued"] + b["pending"] + b["sending"] + b["failed"]
    if waiting:
        return False, b
    rc = api.request("GET", "/api/v1/recomputes")
    return not rc.get("items"), b


def read_export(out_dir):
    """Rows of the exported interval and agent files (header lines left out), and a digest of
    what the WFM holds after reading them in delivery order: an interval row replaces an
    earlier one of the same queue, date and time (a row can go out twice while its mappings
    are computed); agent lines are all kept."""
    h = hashlib.sha256()
    ivl, agl, files = {}, [], 0
    names = [x for x in os.listdir(out_dir) if x.endswith(".csv")]
    names.sort(key=lambda x: (os.stat(os.path.join(out_dir, x)).st_mtime_ns, x))
    n_ivl = 0
    for name in names:
        files += 1
        with open(os.path.join(out_dir, name), "rb") as f:
            lines = [x for x in f.read().split(b"\r\n")[1:] if x]
        if "-agent-states-" in name:
            agl.extend(lines)
            continue
        n_ivl += len(lines)
        for x in lines:
            ivl[b";".join(x.split(b";")[:3])] = x
    agl.sort()
    for x in sorted(ivl.values()) + agl:
        h.update(x)
        h.update(b"\n")
    return n_ivl, len(ivl), len(agl), files, h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--intervals", required=True)
    ap.add_argument("--states", required=True)
    ap.add_argument("--day", required=True)
    ap.add_argument("--queues", type=int, required=True)
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--first-split", type=int, default=1001)
    ap.add_argument("--serial", action="store_true")
    ap.add_argument("--perf-record")
    ap.add_argument("--timeout", type=float, default=1800)
    a = ap.parse_args()
    a.intervals = os.path.abspath(a.intervals)
    a.states = os.path.abspath(a.states)
    data = os.path.join(a.work, "data")
    out_dir = os.path.join(a.work, "export", "wfm")
    os.makedirs(data, exist_ok=True)
    roots_in = os.path.commonpath([a.intervals, a.states])
    proc, api, log = start_daemon(a, data, roots_in, os.path.join(a.work, "export"))
    out = {}
    try:
        pid = ia.find_daemon_pid(proc.pid, a.bin)
        login = api.request("POST", "/api/v1/auth/login", {"username": ia.USER,
                                                           "password": ia.PASSWORD})
        api.csrf = login["csrf_token"]
        t_setup = time.monotonic()
        contact, agents = configure(a, api, out_dir)
        out["setup_s"] = "%.2f" % (time.monotonic() - t_setup)
        w0 = writers(api)
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # reset VmHWM: the login's scrypt is not the day's memory
        cpu0 = ia.proc_cpu(pid)
        t0 = time.monotonic()
        body = {"from": a.day, "to": a.day}
        runs = {"contact": api.request("POST", "/api/v1/runs", dict(body, source_id=contact),
                                       ok=(202,))["id"]}
        if not a.serial:
            runs["agent"] = api.request("POST", "/api/v1/runs", dict(body, source_id=agents),
                                        ok=(202,))["id"]
        ended = {}
        b = {}
        while True:
            now = time.monotonic()
            for k, rid in list(runs.items()):
                if k in ended:
                    continue
                st = run_state(api, rid)
                if st["state"] not in ("queued", "running"):
                    ended[k] = now - t0
                    out["state_" + k] = st["state"]
                    if st["state"] != "done":
                        logs = api.request("GET", "/api/v1/runs/%d/log?limit=20" % rid)
                        sys.stderr.write("\n".join(x["message"] for x in logs["items"]) + "\n")
                    if k == "contact" and a.serial:
                        runs["agent"] = api.request("POST", "/api/v1/runs",
                                                    dict(body, source_id=agents),
                                                    ok=(202,))["id"]
            if len(ended) == 2:
                done, b = settled(api)
                if done:
                    break
            if now - t0 > a.timeout:
                sys.exit("not settled after %d s: runs %s, backlog %s" % (a.timeout, ended, b))
            time.sleep(0.05)
        t_end = time.monotonic() - t0
        out["wall"] = "%.2f" % t_end
        out["contact_s"] = "%.2f" % ended["contact"]
        out["agent_s"] = "%.2f" % ended["agent"]
        out["delivery_s"] = "%.2f" % (t_end - max(ended.values()))
        out["cpu"] = "%.2f" % (ia.proc_cpu(pid) - cpu0)
        out["rss_peak_kb"] = ia.proc_status(pid).get("VmHWM", 0)
        out["batches"] = b.get("acked", 0)
        w1 = writers(api)
        if w1:
            out["writers"], out["checkpoints"] = writers_text(w0, w1)
        st = api.request("GET", "/api/v1/runs/%d/log?limit=500" % runs["agent"])
        for x in st["items"]:
            if x["message"].startswith("agent spans"):
                out["spans_log"] = x["message"]
    finally:
        if proc.poll() is None:
            try:
                os.kill(ia.find_daemon_pid(proc.pid, a.bin), signal.SIGTERM)
            except OSError:
                pass
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    n_ivl, n_keys, n_ag, files, digest = read_export(out_dir)
    out["interval_rows"] = n_ivl
    out["interval_keys"] = n_keys
    out["agent_lines"] = n_ag
    out["files"] = files
    out["export_sha256"] = digest
    for k, v in out.items():
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()
