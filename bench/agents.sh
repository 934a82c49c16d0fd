#!/usr/bin/env bash
# Agent-state import and mapping of acdlink beside the sqlite3 shell's .import of the same
# file, in one run (the ratio is what counts; absolute figures vary with the machine and its
# load).
#
#   Workload: bench/gen-agent-states.py (seeded, cached): AGENTS agents x EVENTS state changes
#   on one day, start-only (Agent;Time;State), one CSV file in time order, logout code LOGOUT.
#   (a) acdlink: the real daemon (plain HTTP on a loopback port, a fresh data directory), a CSV
#       agent-state source created through the API, one run for the day (every agent unknown:
#       the states are staged), then the mapping: all agent ids pasted in one request (every
#       agent's spans computed) and one activity code mapped (all recomputed). Wall times from
#       the requests; peak RSS = the daemon's VmHWM, reset after the login (bench/agents-acdlink.py).
#   (b) sqlite3 .import of the same file into a WITHOUT ROWID table keyed (agent, time), WAL,
#       synchronous=NORMAL.
#
# Usage: bench/agents.sh [--agents N] [--events E] [--seed S] [--small]
#   --small   1,000 agents x 200 events (default 10,000 x 200 = 2M rows)
# Environment: ACDLINK_BIN (default build/acdlink), ACDLINK_BENCH_CACHE.
# Needs python3, sqlite3 and /usr/bin/time. Loopback only; the temporary folder is removed.
set -euo pipefail
bin=${ACDLINK_BIN:-}
[ -n "$bin" ] && bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
agents=10000 events=200 seed=7 day=2026-11-24
while [ $# -gt 0 ]; do
  case $1 in
    --agents) agents=$2; shift ;;
    --events) events=$2; shift ;;
    --seed) seed=$2; shift ;;
    --small) agents=1000 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
bin=${bin:-build/acdlink}
[ -x "$bin" ] || { echo "no acdlink binary at $bin: build it or set ACDLINK_BIN" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }

gen_sum=$(sha256sum bench/gen-agent-states.py | cut -c1-12)
cache=${ACDLINK_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acdlink-bench}
data=$cache/agents-a$agents-e$events-s$seed-$day-$gen_sum
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"; mkdir -p "$data"
  echo "generating $((agents * events)) rows into $data ..." >&2
  python3 bench/gen-agent-states.py "$data/states.csv" --agents "$agents" --events "$events" \
    --day "$day" --seed "$seed" >/dev/null
  touch "$data/.complete"
fi
csv=$data/states.csv
csv_bytes=$(wc -c <"$csv")
cat "$csv" >/dev/null # the same warm page cache for both
work=$(mktemp -d "${TMPDIR:-/tmp}/acdlink-bench-agents.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/acdlink"

printf 'workload: %d agents x %d events = %d rows, %.1f MB, one day, start-only\n' "$agents" \
  "$events" "$((agents * events))" "$(awk -v b="$csv_bytes" 'BEGIN {print b / 1e6}')"
printf 'machine: %s CPUs, load %s; acdlink %s; sqlite3 %s\n' "$(nproc)" \
  "$(cut -d' ' -f1 /proc/loadavg)" "$("$work/acdlink" version 2>/dev/null | head -1)" \
  "$(sqlite3 --version | cut -d' ' -f1)"

mkdir -p "$work/a"
out=$(python3 bench/agents-acdlink.py --bin "$work/acdlink" --work "$work/a" --folder "$data" \
  --day "$day" --agents "$agents")
get() { sed -n "s/^$1=//p" <<<"$out"; }
[ "$(get state)" = done ] || { echo "acdlink run ended $(get state):"; echo "$out"; exit 1; }

{
  echo "PRAGMA journal_mode=WAL;"
  echo "PRAGMA synchronous=NORMAL;"
  echo "CREATE TABLE states (agent TEXT NOT NULL, time TEXT NOT NULL, state TEXT NOT NULL,"
  echo "  PRIMARY KEY (agent, time)) WITHOUT ROWID;"
  echo ".mode csv"
  echo ".separator \";\""
  echo ".import --skip 1 '$csv' states"
} >"$work/import.sql"
/usr/bin/time -f '%e %M %U %S' -o "$work/time" sqlite3 "$work/cli.db" <"$work/import.sql" >/dev/null
read -r s_wall s_rss s_u s_s <"$work/time"
s_rows=$(sqlite3 "$work/cli.db" 'SELECT count(*) FROM states')

echo
printf '%-40s %10s %8s %10s %9s %7s\n' step rows wall_s rows/s peak_MiB cpu_s
awk -v r="$(get rows)" -v w="$(get import_wall)" -v m="$(get rss_peak_kb)" -v c="$(get import_cpu)" \
  'BEGIN {printf "%-40s %10d %8.2f %10.0f %9s %7.2f\n", "acdlink import (agents unknown)", r, w, r / w, "", c}'
awk -v r="$(get rows)" -v w="$(get map_agents_wall)" \
  'BEGIN {printf "%-40s %10d %8.2f %10.0f\n", "acdlink map agents (paste, recompute)", r, w, r / w}'
awk -v r="$(get rows)" -v w="$(get map_code_wall)" \
  'BEGIN {printf "%-40s %10d %8.2f %10.0f\n", "acdlink map one code (recompute)", r, w, r / w}'
t_all=$(awk -v a="$(get import_wall)" -v b="$(get map_agents_wall)" 'BEGIN {print a + b}')
awk -v r="$(get rows)" -v w="$t_all" -v m="$(get rss_peak_kb)" \
  'BEGIN {printf "%-40s %10d %8.2f %10.0f %9.1f\n", "acdlink import + map agents", r, w, r / w, m / 1024}'
awk -v r="$s_rows" -v w="$s_wall" -v m="$s_rss" -v c="$(awk -v u="$s_u" -v s="$s_s" 'BEGIN {print u + s}')" \
  'BEGIN {printf "%-40s %10d %8.2f %10.0f %9.1f %7.2f\n", "sqlite3 .import", r, w, r / w, m / 1024, c}'
echo
echo "spans after mapping: $(get spans) in $(get days_changed) agent days; database $(get db_bytes) bytes"
awk -v a="$(get rows)" -v wa="$(get import_wall)" -v t="$t_all" -v s="$s_rows" -v ws="$s_wall" 'BEGIN {
  printf "acdlink import / sqlite3 .import: %.2fx; import + map / sqlite3 .import: %.2fx (rows/s)\n",
         (a / wa) / (s / ws), (a / t) / (s / ws) }'
