#!/usr/bin/env bash
# Import throughput of acdlink beside two peers, in one run on the same files (the ratios are
# what counts; absolute figures vary with the machine and its load). Workload, peers and method
# follow the project's performance research note (sections A1, A2, A6; M-month = the default
# size).
#
#   (a) acdlink: the real daemon (plain HTTP on a loopback port, a fresh data directory), a CSV
#       source created through the API, one run for the whole period (POST /api/v1/runs),
#       polled until it ends. Wall time = POST to the first poll that sees it finished; rows =
#       the run's rows_read; peak RSS = the daemon's VmHWM, reset just before the run (the
#       login's scrypt would otherwise set it); also SQLite's temporary files and the WAL. No
#       mappings: the pure import figure.
#   (b) the sqlite3 shell's .import of the same files into a WITHOUT ROWID table keyed
#       (date, time, split) (the order rows arrive in), WAL, synchronous=NORMAL.
#   (c) bench/import-python.py: csv + sqlite3, executemany in batches of 10,000, the same key.
#   (e) DuckDB (npm @duckdb/node-api, bench/import-duckdb.mjs) loading the same files with
#       read_csv into a database file, into the same table with the key (date, time, split) and
#       (f) without a key; when bench/node_modules lacks it: (cd bench && npm ci).
#   Optionally (--map-queues N) (d): acdlink again, with WFM queues and 3 mappings each
#       (offered, handled, aht) for the first N splits, created before the run, so the run
#       also computes results.
#
# The data comes from bench/gen-intervals.py (seeded) and is cached by its parameters and the
# generator's checksum in $ACDLINK_BENCH_CACHE (default ~/.cache/acdlink-bench).
#
# Usage: bench/import.sh [--short|--full] [--rows FILE] [--small] [--queues N] [--days D]
#                        [--seed S] [--start YYYY-MM-DD] [--order time|queue] [--map-queues N]
#                        [--repeat R] [--timeout S] [--only acdlink|peers]
#                        [--profile perf|callgrind]
#   --short / --full the modes of bench/all.sh: 2,000 queues x 96 x 2 days (--short) or 30
#                    days (--full), with 200 x 3 mappings, 3 interleaved rounds of (a), (d),
#                    (b), (e) and (f) (python left out)
#   --rows FILE      also append bench/all.sh's table rows to FILE (ratios by wall time and by
#                    CPU time: on a shared machine the wall time says more about the others)
#   --small          200 queues x 96 x 3 days (default 2,000 x 96 x 30 = 5.76M rows)
#   --map-queues N   also run (d) with mappings for N splits (e.g. 200)
#   --repeat R       run every contender R times, interleaved; the table shows the median
#   --timeout S      give up on an acdlink run after S seconds (cancelled; default 3600)
#   --profile perf   instead of timing: run (a) under `perf record` (DWARF call graphs) and
#                    print the top of the report (perf.data kept in $ACDLINK_BENCH_OUT,
#                    default $TMPDIR/acdlink-bench-profile)
#   --profile callgrind  the same under valgrind --tool=callgrind (use it with --small)
# Environment: ACDLINK_BIN (default build/acdlink; copied before the run, so a rebuild
# meanwhile does not matter), ACDLINK_BENCH_CACHE, ACDLINK_BENCH_OUT.
# Needs python3, sqlite3 (apt-get install sqlite3) and /usr/bin/time (apt-get install time).
# Loopback only; every process and the temporary folder are removed at the end.
set -euo pipefail
bin=${ACDLINK_BIN:-}
[ -n "$bin" ] && bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
repo=$PWD

queues=2000 days=30 seed=42 start=2026-06-01 order=time map_queues=0 repeat=1 timeout=3600
only=all profile= mode= rows_file=
while [ $# -gt 0 ]; do
  case $1 in
    --short) mode=short queues=2000 days=2 map_queues=200 repeat=3 ;;
    --full) mode=full queues=2000 days=30 map_queues=200 repeat=3 ;;
    --rows) rows_file=$2; shift ;;
    --small) queues=200 days=3 ;;
    --queues) queues=$2; shift ;;
    --days) days=$2; shift ;;
    --seed) seed=$2; shift ;;
    --start) start=$2; shift ;;
    --order) order=$2; shift ;;
    --map-queues) map_queues=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --only) only=$2; shift ;;
    --profile) profile=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
duckdb=1
if [ ! -d bench/node_modules/@duckdb/node-api ]; then
  echo "DuckDB (npm @duckdb/node-api) is not installed in bench/: (cd bench && npm ci); left out" >&2
  duckdb=0
fi
bin=${bin:-build/acdlink}
[ -x "$bin" ] || { echo "no acdlink binary at $bin: build it (cmake --build build) or set ACDLINK_BIN" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }

# --- data (cached) ---
rows_expected=$((queues * 96 * days))
gen_sum=$(sha256sum bench/gen-intervals.py | cut -c1-12)
cache=${ACDLINK_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acdlink-bench}
data=$cache/intervals-q$queues-d$days-s$seed-$start-$order-$gen_sum
# the acdlink data directory needs about 50 bytes per row (staged days ~10, results with
# mappings, the run's temporary table and the WAL while it runs), the peers about 100 bytes;
# the CSV about 40 bytes
need_kb=$((rows_expected * (50 + 2 * 100 + 40) / 1024 + 65536))
[ -f "$data/.complete" ] || need_kb=$((need_kb + rows_expected * 40 / 1024))
mkdir -p "$cache"
tmp_base=${TMPDIR:-/tmp}
for dir in "$cache" "$tmp_base"; do
  free_kb=$(df -Pk "$dir" | awk 'NR == 2 {print $4}')
  if [ "$free_kb" -lt "$need_kb" ]; then
    echo "skipped: $dir has $((free_kb / 1024)) MiB free, this size needs about $((need_kb / 1024)) MiB" >&2
    exit 0
  fi
done
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  echo "generating $rows_expected rows into $data ..." >&2
  "$py" bench/gen-intervals.py "$data" --queues "$queues" --days "$days" --seed "$seed" \
    --start "$start" --order "$order"
  touch "$data/.complete"
fi
last=$(date -d "$start + $((days - 1)) days" +%F)
csv_bytes=$(cat "$data"/*.csv | wc -c)
cat "$data"/*.csv >/dev/null # the same warm page cache for everyone

work=$(mktemp -d "$tmp_base/acdlink-bench.XXXXXX")
cleanup() {
  rm -rf "$work"
}
trap cleanup EXIT
cp "$bin" "$work/acdlink"

# --- contenders; each prints "wall rows rss_kb cpu_s db_bytes" ---
run_acdlink() { # $1: mapped queues
  local dir="$work/a" out
  rm -rf "$dir"; mkdir -p "$dir"
  if ! out=$("$py" bench/import-acdlink.py --bin "$work/acdlink" --work "$dir" --folder "$data" \
      --from "$start" --to "$last" --map-queues "$1" --timeout "$timeout" 2>"$dir/err"); then
    cat "$dir/err" >&2; tail -5 "$dir/acdlink.log" >&2; return 1
  fi
  cat "$dir/err" >&2
  local state; state=$(sed -n 's/^state=//p' <<<"$out")
  echo "$out" >"$work/last-acdlink.txt"
  if [ "$state" != done ] || grep -q '^timed_out=' <<<"$out"; then
    echo "acdlink run ($1 mapped queues) ended $state:" >&2; sed 's/^/    /' <<<"$out" >&2
    return 1
  fi
  awk -F= '{v[$1] = $2} END {print v["wall"], v["rows"], v["rss_peak_kb"], v["cpu"], v["db_bytes"]}' <<<"$out"
  rm -rf "$dir"
}

run_sqlite3() {
  local db="$work/cli.db"
  rm -f "$db" "$db-wal" "$db-shm"
  {
    echo "PRAGMA journal_mode=WAL;"
    echo "PRAGMA synchronous=NORMAL;"
    echo "CREATE TABLE intervals (split TEXT NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,"
    echo "  offered INTEGER, handled INTEGER, abandoned INTEGER, aht REAL, asa REAL,"
    echo "  service_level REAL, PRIMARY KEY (date, time, split)) WITHOUT ROWID;"
    echo ".mode csv"
    echo ".separator \";\""
    for f in "$data"/*.csv; do echo ".import --skip 1 '$f' intervals"; done
  } >"$work/import.sql"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" sqlite3 "$db" <"$work/import.sql" >/dev/null
  local rows; rows=$(sqlite3 "$db" 'SELECT count(*) FROM intervals')
  local bytes; bytes=$(cat "$db"* | wc -c)
  awk -v r="$rows" -v b="$bytes" '{print $1, r, $2, $3 + $4, b}' "$work/time"
  rm -f "$db" "$db-wal" "$db-shm"
}

run_duckdb() { # $1: --key or nothing; wall and CPU of the load itself (without starting node
  # and loading DuckDB's library), peak RSS of the whole process
  local db="$work/duck.db" out
  rm -f "$db" "$db.wal"
  out=$(/usr/bin/time -f '%e %M %U %S' -o "$work/time" node bench/import-duckdb.mjs "$data" "$db" ${1:-}) || return 1
  local rows wall cpu bytes
  rows=$(sed -n 's/^rows=//p' <<<"$out")
  wall=$(sed -n 's/^wall=//p' <<<"$out")
  cpu=$(sed -n 's/^cpu=//p' <<<"$out")
  bytes=$(cat "$db"* | wc -c)
  awk -v r="$rows" -v w="$wall" -v c="$cpu" -v b="$bytes" '{print w, r, $2, c, b}' "$work/time"
  rm -f "$db" "$db.wal"
}

run_python() {
  local db="$work/py.db"
  rm -f "$db" "$db-wal" "$db-shm"
  local out
  out=$(/usr/bin/time -f '%e %M %U %S' -o "$work/time" "$py" bench/import-python.py "$data" "$db")
  local rows; rows=$(sed -n 's/^rows=\([0-9]*\).*/\1/p' <<<"$out")
  local bytes; bytes=$(cat "$db"* | wc -c)
  awk -v r="$rows" -v b="$bytes" '{print $1, r, $2, $3 + $4, b}' "$work/time"
  rm -f "$db" "$db-wal" "$db-shm"
}

if [ -n "$profile" ]; then
  out_dir=${ACDLINK_BENCH_OUT:-$tmp_base/acdlink-bench-profile}
  mkdir -p "$out_dir" "$work/a"
  case $profile in
    perf)
      "$py" bench/import-acdlink.py --bin "$work/acdlink" --work "$work/a" --folder "$data" \
        --from "$start" --to "$last" --map-queues "$map_queues" --timeout "$timeout" \
        --perf-record "$out_dir/perf.data"
      echo "--- self (cycles) ---"
      perf report -i "$out_dir/perf.data" --no-children --sort dso,symbol --stdio -g none \
        2>/dev/null | grep -E '^ +[0-9]' | head -30 || true
      echo "--- with callees (cycles) ---"
      perf report -i "$out_dir/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9]' | grep -vE '0x[0-9a-f]{8}|\[k\]|clone|start_thread' | head -40 || true
      echo "profile: $out_dir/perf.data (perf report -i $out_dir/perf.data)"
      ;;
    callgrind)
      "$py" bench/import-acdlink.py --bin "$work/acdlink" --work "$work/a" --folder "$data" \
        --from "$start" --to "$last" --map-queues "$map_queues" --timeout "$timeout" \
        --callgrind "$out_dir/callgrind.out"
      callgrind_annotate --inclusive=yes "$out_dir/callgrind.out" 2>/dev/null | head -70 || true
      echo "profile: $out_dir/callgrind.out (callgrind_annotate $out_dir/callgrind.out)"
      ;;
    *) echo "--profile perf or callgrind" >&2; exit 2 ;;
  esac
  exit 0
fi

printf 'workload: %d queues x 96 x %d days = %d rows, %d files, %.1f MB (%s .. %s, %s order)\n' \
  "$queues" "$days" "$rows_expected" "$days" "$(awk -v b="$csv_bytes" 'BEGIN {print b / 1e6}')" \
  "$start" "$last" "$order"
printf 'machine: %s CPUs, %s; acdlink %s; sqlite3 %s; python %s\n' "$(nproc)" \
  "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)" \
  "$("$work/acdlink" version 2>/dev/null | head -1)" "$(sqlite3 --version | cut -d' ' -f1)" \
  "$("$py" -c 'import sys; print(sys.version.split()[0])')"

contenders=()
case $only in
  all) contenders=(acdlink sqlite3) ;;
  acdlink) contenders=(acdlink) ;;
  peers) contenders=(sqlite3) ;;
  *) echo "--only acdlink or peers" >&2; exit 2 ;;
esac
[ -z "$mode" ] && [ "$only" != acdlink ] && contenders+=(python)
[ "$duckdb" = 1 ] && [ "$only" != acdlink ] && contenders+=(duckdb_key duckdb)
[ "$map_queues" -gt 0 ] && [ "$only" != peers ] && contenders+=(mapped)
declare -A results
for ((r = 1; r <= repeat; r++)); do
  for c in "${contenders[@]}"; do
    : >"$work/last-acdlink.txt"
    case $c in
      acdlink) line=$(run_acdlink 0) || line=failed ;;
      mapped) line=$(run_acdlink "$map_queues") || line=failed ;;
      sqlite3) line=$(run_sqlite3) ;;
      python) line=$(run_python) ;;
      duckdb_key) line=$(run_duckdb --key) || line=failed ;;
      duckdb) line=$(run_duckdb) || line=failed ;;
    esac
    [ "$line" = failed ] && continue
    results[$c]+="$line"$'\n'
    echo "  run $r $c: $line (wall rows rss_kb cpu db_bytes)" >&2
    if [ "$c" = acdlink ] || [ "$c" = mapped ]; then
      sed 's/^/    /' "$work/last-acdlink.txt" | grep -E 'phase|mapping|note|rss_start|temp_file|wal_bytes' >&2 || true
    fi
  done
done

# median by wall time of each contender's runs
median() { sort -n -k1,1 | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'; }
label() {
  case $1 in
    acdlink) echo "acdlink (API run, no mappings)" ;;
    mapped) echo "acdlink + ${map_queues}x3 mappings" ;;
    sqlite3) echo "sqlite3 .import" ;;
    python) echo "python csv+sqlite3 (10k batch)" ;;
    duckdb_key) echo "DuckDB read_csv, keyed table" ;;
    duckdb) echo "DuckDB read_csv, no key" ;;
  esac
}
echo
printf '%-34s %10s %8s %10s %7s %9s %7s %8s\n' contender rows wall_s rows/s MB/s peak_MiB cpu_s db_B/row
declare -A rate cpu_of rate_cpu
for c in "${contenders[@]}"; do
  if [ -z "${results[$c]:-}" ]; then
    printf '%-34s %10s\n' "$(label "$c")" "no finished run (see above)"
    continue
  fi
  read -r wall rows rss cpu dbb < <(printf '%s' "${results[$c]}" | median)
  rate[$c]=$(awk -v r="$rows" -v w="$wall" 'BEGIN {printf "%.0f", r / w}')
  # CPU: the median of the rounds' CPU seconds on its own (not the wall median's round)
  cpu_of[$c]=$(printf '%s' "${results[$c]}" | awk '{print $4}' | sort -n |
    awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}')
  rate_cpu[$c]=$(awk -v r="$rows" -v c="${cpu_of[$c]}" 'BEGIN {printf "%.0f", (c > 0) ? r / c : 0}')
  awk -v l="$(label "$c")" -v r="$rows" -v w="$wall" -v m="$rss" -v c="$cpu" -v b="$csv_bytes" \
      -v d="$dbb" 'BEGIN {printf "%-34s %10d %8.2f %10.0f %7.1f %9.1f %7.2f %8.0f\n",
                          l, r, w, r / w, b / w / 1e6, m / 1024, c, d / r}'
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
if [ -n "${rate[acdlink]:-}" ] && [ -n "${rate[sqlite3]:-}" ]; then
  x=$(ratio "${rate[acdlink]}" "${rate[sqlite3]}")
  verdict=$(awk -v x="$x" 'BEGIN {print (x >= 1.25) ? "meets" : "MISSES"}')
  echo "acdlink / sqlite3 .import: ${x}x (target >= 1.25x: $verdict)"
fi
if [ -n "${rate[acdlink]:-}" ] && [ -n "${rate[python]:-}" ]; then
  x=$(ratio "${rate[acdlink]}" "${rate[python]}")
  verdict=$(awk -v x="$x" 'BEGIN {print (x >= 2) ? "meets" : "MISSES"}')
  echo "acdlink / python:          ${x}x (G1 >= 2x: $verdict)"
fi
if [ -n "${rate[mapped]:-}" ] && [ -n "${rate[sqlite3]:-}" ]; then
  echo "acdlink+mappings / sqlite3: $(ratio "${rate[mapped]}" "${rate[sqlite3]}")x (CPU: $(ratio "${rate_cpu[mapped]}" "${rate_cpu[sqlite3]}")x)"
fi
if [ -n "${cpu_of[mapped]:-}" ] && [ -n "${cpu_of[acdlink]:-}" ]; then
  echo "mapping cost: $(awk -v m="${cpu_of[mapped]}" -v a="${cpu_of[acdlink]}" 'BEGIN {printf "%.0f", 100 * (m - a) / a}') % of the unmapped run's CPU time (goal <= 20 %)"
fi

# bench/all.sh's rows: | what | acdlink | peer | ratio | notes |
if [ -n "$rows_file" ]; then
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  krate() { awk -v r="$1" 'BEGIN {printf "%.0fk rows/s", r / 1000}'; }
  what="CSV import, $queues queues x 96 x $days days ($rows_expected rows)"
  row() { # $1: acdlink contender, $2: peer, $3: label of acdlink, $4: notes
    local a=$1 p=$2
    if [ -z "${rate[$a]:-}" ] || [ -z "${rate[$p]:-}" ]; then
      printf '| %s, %s vs %s | failed (see its output) | | | |\n' "$what" "$a" "$p" >>"$rows_file"
      return
    fi
    printf '| %s, %s | %s, CPU %s s | %s: %s, CPU %s s | %sx (CPU %sx) | %s median of %d rounds; load %s |\n' \
      "$what" "$3" "$(krate "${rate[$a]}")" "${cpu_of[$a]}" "$(label "$p")" "$(krate "${rate[$p]}")" \
      "${cpu_of[$p]}" "$(ratio "${rate[$a]}" "${rate[$p]}")" \
      "$(ratio "${rate_cpu[$a]}" "${rate_cpu[$p]}")" "$4" "$repeat" "$load" >>"$rows_file"
  }
  row acdlink sqlite3 "no mappings" ""
  if [ "$duckdb" = 1 ]; then
    row acdlink duckdb_key "no mappings" ""
    row acdlink duckdb "no mappings" ""
  fi
  if [ "$map_queues" -gt 0 ]; then
    cost=
    if [ -n "${cpu_of[mapped]:-}" ] && [ -n "${cpu_of[acdlink]:-}" ]; then
      cost=$(awk -v m="${cpu_of[mapped]}" -v a="${cpu_of[acdlink]}" \
        'BEGIN {printf "mapping costs %.0f %% of the unmapped run'"'"'s CPU (goal <= 20 %%);", 100 * (m - a) / a}')
    fi
    row mapped sqlite3 "${map_queues} x 3 mappings" "$cost"
  fi
fi
