#!/usr/bin/env python3
"""acdlink side of bench/import.sh and bench/odbc.sh: starts the real daemon on a loopback port
(plain HTTP, a fresh data directory), logs in, creates a CSV source for FOLDER or (--odbc-*) an
ODBC source with the given connection string and SQL (optionally WFM queues with 3 mappings each
for the first --map-queues splits: offered, handled, aht), starts one import run for the whole
period through the API and polls it until it ends.

Prints key=value lines:
  wall          seconds from POST /api/v1/runs to the first poll that sees the run finished
                (polled every 20 ms: a one-day ODBC run takes about half a second, and polls
                100 ms apart added 50 ms to it on average)
  rows          rows_read of the run (also staged, rejected, files, state)
  cpu           user+sys seconds the daemon spent during the run
  rss_peak_kb   VmHWM of the daemon at the end, reset just before the run (the login's scrypt
                would otherwise set it); rss_start_kb: VmRSS before the run
  temp_file_peak_bytes  SQLite's temporary files the daemon held open (sampled)
  wal_bytes_running     the WAL when the run ended
  db_bytes      database files after the daemon stopped (WAL checkpointed), like the peers'
  phase_read_s, phase_stage_map_s  from the run log's timestamps (1 s resolution)
  timed_out, note       when --timeout was hit (the run is then asked to cancel)
and the run log's last lines on stderr when the run did not end "done".

Usage: import-acdlink.py --bin BIN --work DIR --folder FOLDER --from YYYY-MM-DD --to YYYY-MM-DD
                         [--map-queues N] [--first-split 1001] [--timeout S] [--perf-record OUT]
                         [--callgrind OUT]
       import-acdlink.py ... --odbc-connstr CS --odbc-user U --odbc-sql SQL (instead of --folder;
                         the password comes from $ACDLINK_BENCH_ODBC_PASSWORD)
--perf-record / --callgrind run the daemon under `perf record` (DWARF call graphs) / callgrind
(profiling only: the times are then not comparable).
"""
import argparse
import datetime
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

USER = "bench"
PASSWORD = "bench-password-0123456789"
POLL_S = 0.02


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Api:
    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None
        self.conn = None

    def request(self, method, path, body=None, ok=(200,)):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if method != "GET":
            headers["Content-Length"] = str(len(data) if data else 0)
            if self.csrf:
                headers["X-CSRF-Token"] = self.csrf
        if self.cookie:
            headers["Cookie"] = self.cookie
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (ConnectionError, http.client.HTTPException, socket.timeout):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and "session" in v:
                self.cookie = v.split(";", 1)[0]
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        if r.status not in ok:
            raise RuntimeError("%s %s -> %d %s" % (method, path, r.status, raw[:500]))
        return parsed


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def proc_cpu(pid):
    """user+sys seconds of the process (all threads)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def find_daemon_pid(launcher_pid, bin_path):
    """The acdlink process: the launcher itself, or its descendant when wrapped (perf,
    valgrind)."""
    base = os.path.basename(bin_path)
    pending = [launcher_pid]
    while pending:
        pid = pending.pop()
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode()
            with open("/proc/%d/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if os.path.basename(argv0) == base or comm == base[:15]:
            return pid
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                pending.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return launcher_pid


def temp_file_bytes(pid):
    """Bytes in SQLite's temporary files (etilqs_*, unlinked) the process holds open."""
    total = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            p = "/proc/%d/fd/%s" % (pid, fd)
            try:
                if "etilqs_" in os.readlink(p):
                    total += os.stat(p).st_size
            except OSError:
                pass
    except OSError:
        pass
    return total


def db_files_bytes(data, wal_only=False):
    total = 0
    for f in os.listdir(data):
        if f.endswith("-wal") or (not wal_only and (f.endswith((".db", "-shm")))):
            total += os.path.getsize(os.path.join(data, f))
    return total


def iso(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")


def child_env():
    """Our environment without ACDLINK_* variables: the daemon refuses unknown ones (and a
    developer's settings must not change the figures)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ACDLINK_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--folder")
    ap.add_argument("--odbc-connstr")
    ap.add_argument("--odbc-user")
    ap.add_argument("--odbc-sql")
    ap.add_argument("--odbc-connections", type=int, default=0)
    ap.add_argument("--from", dest="from_", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--time-zone", default="Europe/Berlin")
    ap.add_argument("--map-queues", type=int, default=0)
    ap.add_argument("--first-split", type=int, default=1001)
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--perf-record")
    ap.add_argument("--callgrind")
    a = ap.parse_args()
    if bool(a.folder) == bool(a.odbc_connstr):
        sys.exit("give either --folder or --odbc-connstr (with --odbc-sql)")

    data = os.path.join(a.work, "acdlink-data")
    os.makedirs(data, exist_ok=True)
    r = subprocess.run([a.bin, "user", "add", USER, "--role", "admin", "--password-stdin",
                        "--data-dir", data], input=PASSWORD + "\n", text=True,
                       capture_output=True, env=child_env())
    if r.returncode != 0:
        sys.exit("acdlink user add failed: %s%s" % (r.stdout, r.stderr))

    port = free_port()
    argv = [a.bin, "serve", "--data-dir", data, "--listen", "127.0.0.1:%d" % port,
            "--plain-http", "--log-level", "warn"]
    if a.folder:
        # the CSV folder must lie inside an import root (the default is DATA/import)
        argv += ["--import-roots", os.path.abspath(a.folder)]
    timeout_start = 15
    if a.perf_record:
        # the daemon and Debian's libsqlite3 have no frame pointers: unwind with DWARF
        argv = ["perf", "record", "--call-graph", "dwarf,16384", "-F", "199", "-o",
                a.perf_record, "--"] + argv
    elif a.callgrind:
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + a.callgrind] + argv
        timeout_start = 120
    log = open(os.path.join(a.work, "acdlink.log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=child_env())
    api = Api(port)
    out = {}
    try:
        deadline = time.monotonic() + timeout_start
        while True:
            if proc.poll() is not None:
                sys.exit("acdlink exited during start-up; see %s" % log.name)
            try:
                api.request("GET", "/api/v1/health")
                break
            except (OSError, RuntimeError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    sys.exit("acdlink did not answer /api/v1/health in %d s" % timeout_start)
                api.conn = None
                time.sleep(0.1)
        pid = find_daemon_pid(proc.pid, a.bin)
        login = api.request("POST", "/api/v1/auth/login",
                            {"username": USER, "password": PASSWORD})
        api.csrf = login["csrf_token"]
        if a.odbc_connstr:
            source = {
                "name": "bench ODBC intervals", "kind": "odbc", "time_zone": a.time_zone,
                "password": os.environ.get("ACDLINK_BENCH_ODBC_PASSWORD", ""),
                "settings": {"odbc": {"connection_string": a.odbc_connstr,
                                      "user": a.odbc_user or "", "sql": a.odbc_sql}}}
            if a.odbc_connections:
                source["settings"]["odbc"]["connections"] = a.odbc_connections
        else:
            source = {
                "name": "bench CMS splits", "kind": "csv", "time_zone": a.time_zone,
                "settings": {
                    "csv": {"folder": os.path.abspath(a.folder), "pattern": "*.csv",
                            "separator": ";", "date_order": "dmy"},
                    "columns": {"queue": "Split", "date": "Date", "time": "Time"},
                    "metrics": {"offered": "CallsOffered", "handled": "ACDCalls",
                                "abandoned": "AbnCalls", "aht": "AHT", "asa": "ASA",
                                "service_level": "ServiceLevel"},
                }}
        src = api.request("POST", "/api/v1/sources", source, ok=(201,))
        t_map = time.monotonic()
        for q in range(a.map_queues):
            split = str(a.first_split + q)
            wq = api.request("POST", "/api/v1/queues", {
                "identifier": "Q" + split, "name": "Split " + split,
                "time_zone": a.time_zone}, ok=(201,))
            for vt, metric in (("offered", "offered"), ("handled", "handled"), ("aht", "aht")):
                api.request("POST", "/api/v1/mappings", {
                    "queue_id": wq["id"], "value_type": vt,
                    "inputs": [{"source_id": src["id"], "ext_queue": split, "metric": metric}],
                }, ok=(201,))
        if a.map_queues:
            out["mappings"] = 3 * a.map_queues
            out["mapping_setup_s"] = "%.1f" % (time.monotonic() - t_map)

        st = proc_status(pid)
        out["rss_start_kb"] = st.get("VmRSS", 0)
        out["rss_peak_setup_kb"] = st.get("VmHWM", 0)
        # the login's scrypt (32 MiB) sets the peak so far: reset it, the run's peak counts
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")
        except OSError as e:
            out["note"] = "cannot reset VmHWM (%s): rss_peak_kb includes the setup" % e
        cpu0 = proc_cpu(pid)
        t0 = time.monotonic()
        run = api.request("POST", "/api/v1/runs",
                          {"source_id": src["id"], "from": a.from_, "to": a.to}, ok=(202,))
        rss_max = 0
        temp_max = 0
        while True:
            run = api.request("GET", "/api/v1/runs/%d" % run["id"])
            t1 = time.monotonic()
            rss_max = max(rss_max, proc_status(pid).get("VmRSS", 0))
            temp_max = max(temp_max, temp_file_bytes(pid))
            if run["state"] in ("done", "failed", "cancelled"):
                break
            if t1 - t0 > a.timeout:
                api.request("POST", "/api/v1/runs/%d/cancel" % run["id"], ok=(200, 202, 409))
                out["timed_out"] = 1
                deadline = time.monotonic() + 120
                while run["state"] not in ("done", "failed", "cancelled") and \
                        time.monotonic() < deadline:
                    time.sleep(0.5)
                    run = api.request("GET", "/api/v1/runs/%d" % run["id"])
                out["note"] = "timed out after %d s; cancel asked; the run ended %s %.1f s later" \
                    % (a.timeout, run["state"], time.monotonic() - t1)
                break
            time.sleep(POLL_S)
        st = proc_status(pid)
        out["wall"] = "%.3f" % (t1 - t0)
        out["cpu"] = "%.2f" % (proc_cpu(pid) - cpu0)
        out["rss_peak_kb"] = st.get("VmHWM", 0)
        out["rss_max_sampled_kb"] = max(rss_max, st.get("VmRSS", 0))
        out["temp_file_peak_bytes"] = temp_max
        out["state"] = run["state"]
        out["rows"] = run["counts"]["rows_read"]
        out["staged"] = run["counts"]["rows_staged"]
        out["rejected"] = run["counts"]["rows_rejected"]
        out["files"] = run["counts"]["files_read"]
        out["wal_bytes_running"] = db_files_bytes(data, wal_only=True)
        items, cursor = [], ""
        while True:
            page = api.request("GET", "/api/v1/runs/%d/log?limit=500%s" % (run["id"], cursor))
            items += page["items"]
            if not page.get("next_cursor") or not page["items"]:
                break
            cursor = "&cursor=" + page["next_cursor"]
        reads = [iso(x["ts"]) for x in items if x["message"].endswith("bytes)")]
        maps = [iso(x["ts"]) for x in items if x["message"].startswith("mapping:")]
        if run.get("started_at") and reads:
            out["phase_read_s"] = int((reads[-1] - iso(run["started_at"])).total_seconds())
            if maps:
                out["phase_stage_map_s"] = int((maps[-1] - reads[-1]).total_seconds())
        for x in items:
            if x["message"].startswith("mapping:"):
                out["mapping_log"] = x["message"]
            if x.get("code") == "run.querying":
                out["odbc_connections"] = (x.get("params") or {}).get("connections", 1)
        if run["state"] != "done":
            for x in items[-10:]:
                print("log: %s %s %s" % (x["ts"], x["level"], x["message"]), file=sys.stderr)
            if run.get("error"):
                print("error: %s" % run["error"], file=sys.stderr)
    finally:
        if proc.poll() is None:
            # wrapped (perf, valgrind): stop the daemon itself; the wrapper then writes its
            # profile and exits
            try:
                os.kill(find_daemon_pid(proc.pid, a.bin), signal.SIGTERM)
            except OSError:
                pass
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    # after the stop (the WAL is checkpointed and removed), like the peers' files
    out["db_bytes"] = db_files_bytes(data)
    for k, v in out.items():
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()
