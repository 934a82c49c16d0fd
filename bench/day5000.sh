#!/usr/bin/env bash
# A 5,000-seat contact-centre day end to end: its interval export and its agent-state log
# imported, mapped and delivered as csv-export files, beside the sqlite3 shell's .import of the
# same two files (a floor: reading and keying the rows, no mapping, spans or delivery).
#
#   Workload (seeded, cached): gen-intervals.py, QUEUES splits x 96 intervals of one day
#   (2,000 x 96 = 192,000 rows); gen-agent-states.py, AGENTS agents x 200 start-only events of
#   the same day (10,000 x 200 = 2,000,000 rows).
#   (a) acdlink (bench/day5000.py): the real daemon on loopback with a fresh data directory,
#       configured through the API (a csv-export target, both sources, QUEUES WFM queues with 3
#       mappings each via POST /api/v1/mappings/bulk, every agent id pasted, 6 activity codes
#       mapped), then both runs started at once; wall = until both ended, nothing is left to
#       recompute and the backlog is 0 (every batch written). Split: each run's end, and the
#       delivery after the later one. CPU = the daemon's user+sys over that time; peak RSS =
#       its VmHWM, reset after the setup.
#   (b) sqlite3 .import of both files into WITHOUT ROWID tables keyed like the staged rows
#       ((split, date, time) and (agent, time)), WAL, synchronous=NORMAL.
#   Rounds alternate (a) and (b); medians and the median of the per-round ratios are printed.
#   Under each acdlink round (from a daemon whose metrics have them): what the day added to the
#   write line's counters per kind of writer, kind:transactions:waited_s:busy_s:held_s (waited
#   in line, on SQLite's lock held outside it, holding the lock), and the WAL checkpoints.
#
# Usage: bench/day5000.sh [--short|--full] [--rows FILE] [--rounds N] [--queues N]
#                         [--agents N] [--serial] [--profile OUT.perf]
#   --short   1 round of a quarter day (500 queues, 2,500 agents): a quick check
#   --full    3 rounds of the whole day (the default)
#   --serial  the agent run starts after the contact run ended (default: both at once)
#   --profile one acdlink round under `perf record` (DWARF call graphs) into OUT.perf, no peer, no table row
#   --rows FILE  appends the summary row for bench/all.sh
# Environment: ACDLINK_BIN (default build/acdlink), ACDLINK_BENCH_CACHE.
# Needs python3, sqlite3 and /usr/bin/time. Loopback only; the temporary folder is removed.
set -euo pipefail
bin=${ACDLINK_BIN:-}
[ -n "$bin" ] && bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
queues=2000 agents=10000 events=200 rounds=3 day=2026-11-24 rows_file= serial= profile=
mode=full
while [ $# -gt 0 ]; do
  case $1 in
    --short) mode=short queues=500 agents=2500 rounds=1 ;;
    --full) mode=full ;;
    --rows) rows_file=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --queues) queues=$2; shift ;;
    --agents) agents=$2; shift ;;
    --serial) serial=--serial ;;
    --profile) profile=$(realpath -m "$2"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
bin=${bin:-build/acdlink}
[ -x "$bin" ] || { echo "no acdlink binary at $bin: build it or set ACDLINK_BIN" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }
[ -z "$profile" ] || command -v perf >/dev/null || { echo "perf missing" >&2; exit 1; }

gen_sum=$(cat bench/gen-intervals.py bench/gen-agent-states.py | sha256sum | cut -c1-12)
cache=${ACDLINK_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acdlink-bench}
data=$cache/day-q$queues-a$agents-e$events-$day-$gen_sum
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  mkdir -p "$data/intervals" "$data/states"
  echo "generating $((queues * 96)) interval rows and $((agents * events)) agent events into $data ..." >&2
  python3 bench/gen-intervals.py "$data/intervals" --queues "$queues" --days 1 --start "$day" \
    --seed 42 --jobs 1 2>/dev/null
  python3 bench/gen-agent-states.py "$data/states/states-$day.csv" --agents "$agents" \
    --events "$events" --day "$day" --seed 7 >/dev/null
  touch "$data/.complete"
fi
ivl_csv=$data/intervals/intervals-$day.csv
st_csv=$data/states/states-$day.csv
cat "$ivl_csv" "$st_csv" >/dev/null # the same warm page cache for both
work=$(mktemp -d "${TMPDIR:-/tmp}/acdlink-bench-day.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/acdlink"

{
  printf 'workload: one day, %d queues x 96 = %d interval rows; %d agents x %d events = %d agent rows\n' \
    "$queues" "$((queues * 96))" "$agents" "$events" "$((agents * events))"
  printf 'machine: %s CPUs, load %s; acdlink %s; sqlite3 %s\n' "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$("$work/acdlink" version 2>/dev/null | head -1)" \
    "$(sqlite3 --version | cut -d' ' -f1)"
} >&2

acdlink_round() { # $1: round number; prints day5000.py's key=value lines
  local w=$work/a$1
  shift
  mkdir -p "$w"
  python3 bench/day5000.py --bin "$work/acdlink" --work "$w" --intervals "$data/intervals" \
    --states "$data/states" --day "$day" --queues "$queues" --agents "$agents" $serial "$@"
  rm -rf "$w"
}

if [ -n "$profile" ]; then
  acdlink_round p --perf-record "$profile"
  echo "profile in $profile: perf report -i $profile --no-children --sort dso,symbol" >&2
  exit 0
fi

sqlite_round() { # prints "wall cpu rss_kb rows"
  local db=$work/cli.db
  rm -f "$db" "$db-wal" "$db-shm"
  {
    echo "PRAGMA journal_mode=WAL;"
    echo "PRAGMA synchronous=NORMAL;"
    echo "CREATE TABLE intervals (split TEXT, date TEXT, time TEXT, offered TEXT, handled TEXT,"
    echo "  abandoned TEXT, aht TEXT, asa TEXT, sl TEXT, PRIMARY KEY (split, date, time)) WITHOUT ROWID;"
    echo "CREATE TABLE states (agent TEXT NOT NULL, time TEXT NOT NULL, state TEXT NOT NULL,"
    echo "  PRIMARY KEY (agent, time)) WITHOUT ROWID;"
    echo ".mode csv"
    echo ".separator \";\""
    echo ".import --skip 1 '$ivl_csv' intervals"
    echo ".import --skip 1 '$st_csv' states"
  } >"$work/import.sql"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" sqlite3 "$db" <"$work/import.sql" >/dev/null 2>&1
  local wall rss u s
  read -r wall rss u s <"$work/time"
  echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $rss $(sqlite3 "$db" \
    'SELECT (SELECT count(*) FROM intervals) + (SELECT count(*) FROM states)')"
}

get() { sed -n "s/^$1=//p" <<<"$2"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -a A_WALL A_CPU A_RSS A_C A_AG A_DEL S_WALL S_CPU S_RSS RATIO
digest=
printf '\n%-8s %-8s %8s %8s %8s %8s %8s %9s %s\n' round who wall_s cpu_s contact agents deliver peak_MiB notes >&2
for ((i = 1; i <= rounds; i++)); do
  out=$(acdlink_round "$i")
  if [ "$(get state_contact "$out")" != done ] || [ "$(get state_agent "$out")" != done ]; then
    echo "acdlink round $i: a run did not end done:" >&2
    echo "$out" >&2
    exit 1
  fi
  if [ -n "$digest" ] && [ "$digest" != "$(get export_sha256 "$out")" ]; then
    echo "acdlink round $i exported other rows than round 1" >&2
    exit 1
  fi
  digest=$(get export_sha256 "$out")
  A_WALL+=("$(get wall "$out")") A_CPU+=("$(get cpu "$out")") A_RSS+=("$(get rss_peak_kb "$out")")
  A_C+=("$(get contact_s "$out")") A_AG+=("$(get agent_s "$out")") A_DEL+=("$(get delivery_s "$out")")
  printf '%-8s %-8s %8.2f %8.2f %8.2f %8.2f %8.2f %9.1f %s\n' "$i" acdlink "${A_WALL[-1]}" \
    "${A_CPU[-1]}" "${A_C[-1]}" "${A_AG[-1]}" "${A_DEL[-1]}" \
    "$(awk -v k="${A_RSS[-1]}" 'BEGIN {print k / 1024}')" \
    "$(get interval_rows "$out") interval rows ($(get interval_keys "$out") distinct), $(get agent_lines "$out") spans in $(get files "$out") files; load $(cut -d' ' -f1 /proc/loadavg)" >&2
  if [ -n "$(get writers "$out")" ]; then
    # the largest waits for the write lock: kind:transactions:waited_s:busy_s:held_s
    echo "         writers (kind:n:waited_s:busy_s:held_s): $(get writers "$out" | tr ' ' '\n' | tr '\n' ' ')" >&2
    echo "         checkpoints n:s:max_s: $(get checkpoints "$out")" >&2
  fi
  read -r sw sc sr srows < <(sqlite_round)
  S_WALL+=("$sw") S_CPU+=("$sc") S_RSS+=("$sr")
  RATIO+=("$(awk -v a="${A_WALL[-1]}" -v s="$sw" 'BEGIN {print a / s}')")
  printf '%-8s %-8s %8.2f %8.2f %8s %8s %8s %9.1f %s\n' "$i" sqlite3 "$sw" "$sc" "" "" "" \
    "$(awk -v k="$sr" 'BEGIN {print k / 1024}')" "$srows rows; load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
echo "export digest (sorted rows): $digest" >&2

m() { printf '%s\n' "$@" | median; }
aw=$(m "${A_WALL[@]}") ac=$(m "${A_CPU[@]}") ar=$(m "${A_RSS[@]}")
sw=$(m "${S_WALL[@]}") sc=$(m "${S_CPU[@]}") sr=$(m "${S_RSS[@]}") ratio=$(m "${RATIO[@]}")
summary=$(printf '%s day (%d queues x 96 + %d agents x %d events) imported, mapped, delivered | %.1f s wall, %.1f CPU-s (contact %.1f s, agents %.1f s, delivery %.1f s after), %.0f MiB | sqlite3 .import: %.1f s, %.1f CPU-s, %.0f MiB | %.1fx the wall time, %.1fx the CPU | median of %d round(s), load %s |' \
  "$mode" "$queues" "$agents" "$events" "$aw" "$ac" "$(m "${A_C[@]}")" "$(m "${A_AG[@]}")" \
  "$(m "${A_DEL[@]}")" "$(awk -v k="$ar" 'BEGIN {print k / 1024}')" "$sw" "$sc" \
  "$(awk -v k="$sr" 'BEGIN {print k / 1024}')" "$ratio" \
  "$(awk -v a="$ac" -v s="$sc" 'BEGIN {print a / s}')" "$rounds" "$(cut -d' ' -f1 /proc/loadavg)")
echo >&2
echo "| $summary" >&2
[ -z "$rows_file" ] || echo "| $summary" >>"$rows_file"
