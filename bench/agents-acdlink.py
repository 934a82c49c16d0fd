#!/usr/bin/env python3
"""acdlink side of bench/agents.sh: starts the real daemon (plain HTTP on a loopback port, a
fresh data directory), creates a start-only CSV agent-state source for FOLDER, imports DAY in
one run (every agent unknown: states are staged), then maps: all agent ids in one pasted
request (POST /api/v1/agent-ids, which recomputes every agent's spans) and one activity code
(POST /api/v1/activity-codes, which recomputes them again).

Prints key=value lines: import_wall, rows, import_cpu, map_agents_wall, map_code_wall,
map_cpu, days_changed, spans, rss_peak_kb (VmHWM of the daemon, reset after the login so the
scrypt does not count), db_bytes.

Usage: agents-acdlink.py --bin BIN --work DIR --folder FOLDER --day YYYY-MM-DD --agents N
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("import_acdlink", os.path.join(HERE, "import-acdlink.py"))
ia = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ia)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--folder", required=True)
    ap.add_argument("--day", required=True)
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=3600)
    a = ap.parse_args()
    data = os.path.join(a.work, "acdlink-data")
    os.makedirs(data, exist_ok=True)
    r = subprocess.run([a.bin, "user", "add", ia.USER, "--role", "admin", "--password-stdin",
                        "--data-dir", data], input=ia.PASSWORD + "\n", text=True,
                       capture_output=True, env=ia.child_env())
    if r.returncode != 0:
        sys.exit("acdlink user add failed: %s%s" % (r.stdout, r.stderr))
    port = ia.free_port()
    log = open(os.path.join(a.work, "acdlink.log"), "w")
    proc = subprocess.Popen([a.bin, "serve", "--data-dir", data, "--listen", "127.0.0.1:%d" % port,
                             "--plain-http", "--log-level", "warn"], stdout=log,
                            stderr=subprocess.STDOUT, env=ia.child_env())
    api = ia.Api(port)
    out = {}
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                api.request("GET", "/api/v1/health")
                break
            except Exception:  # not up yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit("acdlink did not start; see %s" % log.name)
                api.conn = None
                time.sleep(0.1)
        pid = proc.pid
        login = api.request("POST", "/api/v1/auth/login", {"username": ia.USER, "password": ia.PASSWORD})
        api.csrf = login["csrf_token"]
        src = api.request("POST", "/api/v1/sources", {
            "name": "bench agent events", "kind": "csv", "product": "agent_states",
            "time_zone": "Europe/Berlin",
            "settings": {
                "csv": {"folder": os.path.abspath(a.folder), "pattern": "*.csv", "separator": ";",
                        "date_order": "ymd"},
                "columns": {"agent": "Agent", "start": "Time", "activity": "State"},
                "agent_states": {"span": "start_only", "logout_activities": ["LOGOUT"]},
            }}, ok=(201,))
        api.request("POST", "/api/v1/activities", {"identifier": "talk", "name": "Talk"}, ok=(201,))
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # reset VmHWM: the login's scrypt is not the import's memory
        cpu0 = ia.proc_cpu(pid)
        t0 = time.monotonic()
        run = api.request("POST", "/api/v1/runs", {"source_id": src["id"], "from": a.day, "to": a.day},
                          ok=(202,))
        while True:
            st = api.request("GET", "/api/v1/runs/%d" % run["id"])
            if st["state"] not in ("queued", "running"):
                break
            if time.monotonic() - t0 > a.timeout:
                api.request("POST", "/api/v1/runs/%d/cancel" % run["id"], ok=(200, 202, 409))
                sys.exit("the import did not finish in %d s" % a.timeout)
            time.sleep(0.1)
        out["import_wall"] = "%.2f" % (time.monotonic() - t0)
        out["import_cpu"] = "%.2f" % (ia.proc_cpu(pid) - cpu0)
        out["state"] = st["state"]
        out["rows"] = st["counts"]["rows_staged"]
        if st["state"] != "done":
            logs = api.request("GET", "/api/v1/runs/%d/log?limit=20" % run["id"])
            sys.stderr.write("\n".join(x["message"] for x in logs["items"]) + "\n")
        text = "".join("%05d;agent%05d@example.com\n" % (n, n) for n in range(1, a.agents + 1))
        cpu1 = ia.proc_cpu(pid)
        t1 = time.monotonic()
        m = api.request("POST", "/api/v1/agent-ids", {"source_id": src["id"], "text": text})
        out["map_agents_wall"] = "%.2f" % (time.monotonic() - t1)
        out["mapped"] = m["mapped"]
        out["days_changed"] = m["recomputed"]["days_changed"]
        out["spans"] = m["recomputed"]["spans"]
        t2 = time.monotonic()
        api.request("POST", "/api/v1/activity-codes", {"source_id": src["id"], "code": "TALK",
                                                       "activity": "talk"})
        out["map_code_wall"] = "%.2f" % (time.monotonic() - t2)
        out["map_cpu"] = "%.2f" % (ia.proc_cpu(pid) - cpu1)
        out["rss_peak_kb"] = ia.proc_status(pid).get("VmHWM", 0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    out["db_bytes"] = ia.db_files_bytes(data)
    for k, v in out.items():
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()
