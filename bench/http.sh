#!/usr/bin/env bash
# http.sh: API throughput with wrk over keep-alive connections with a Bearer token, side by
# side with nginx serving the very same bodies (saved from the daemon) with the same
# certificate and key: GET /api/v1/health, a 50-queue page (GET /api/v1/queues?limit=50) and
# one queue-day of results (GET /api/v1/results), over HTTPS and over plain HTTP (a second
# daemon with --plain-http on loopback). Rounds are interleaved (every request kind, daemon
# then nginx, per round); the table gives the medians of the rounds and the ratio.
#
#   bench/http.sh [--short|--full] [--miss|--commits] [--rows FILE] [--profile health|queues|results]
#
# --short: 3 rounds of 2 s per measurement; --full (default): 5 rounds of 6 s. HTTP_ROUNDS,
# HTTP_SECONDS, HTTP_CONNECTIONS (default 16) and HTTP_THREADS (wrk's, default 2) override.
# --rows FILE appends the summary rows of bench/all.sh's table. Needs wrk, nginx, sqlite3 and
# curl (scripts/install-deps --bench). Everything runs on loopback in a temp folder, removed
# at the end, with the processes it started. ACDLINK_BIN picks the binary (build/acdlink).
# --profile NAME: instead of the rounds, one wrk run of HTTP_SECONDS (default 10) against the
# HTTPS daemon's NAME request under `perf record -g` of the daemon, then perf's summary; the
# data stays in $HTTP_PROFILE_OUT (default $TMPDIR/acdlink-bench-profile).
# --miss: every request misses the daemon's answer cache: wrk adds a parameter the routes
# ignore (&miss=THREAD-N, counting) to each request, so no two requests have the same cache
# key and each answer is read from the database, written and kept again (nginx gets the same
# query, which it ignores). Health is never cached, so it is the same in both modes.
# --commits: while wrk runs, another process (a sqlite3 shell per database) commits a change to
# a table no route reads HTTP_COMMITS_HZ (default 100) times a second, as an import's commits
# do: answers that depend on every commit are retired by each, the queue routes' are not.
# HTTP_BEFORE=BIN: a third daemon, of binary BIN (an earlier build copied aside), serves a copy
# of the same data over HTTPS and is measured in every round beside the others for the queue
# list and the result day; a second table gives before and after side by side, with ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full rows_out="" profile="" miss=0 commits=0
while [ $# -gt 0 ]; do
  case $1 in
  --short) mode=short ;;
  --full) mode=full ;;
  --miss) miss=1 ;;
  --commits) commits=1 ;;
  --rows)
    rows_out=$2
    shift
    ;;
  --profile)
    profile=$2
    shift
    ;;
  *)
    echo "http.sh: unknown argument $1 (use --short, --full, --miss, --commits, --rows FILE, --profile NAME)" >&2
    exit 2
    ;;
  esac
  shift
done
if [ $mode = short ]; then
  rounds=${HTTP_ROUNDS:-3} secs=${HTTP_SECONDS:-2}
else
  rounds=${HTTP_ROUNDS:-5} secs=${HTTP_SECONDS:-6}
fi
conns=${HTTP_CONNECTIONS:-16} wthreads=${HTTP_THREADS:-2}
bin=${ACDLINK_BIN:-build/acdlink}
for tool in wrk nginx sqlite3 curl; do
  command -v $tool >/dev/null || {
    echo "http.sh: $tool missing: scripts/install-deps --bench" >&2
    exit 1
  }
done
[ -x "$bin" ] || {
  echo "http.sh: $bin missing: build first (or set ACDLINK_BIN)" >&2
  exit 1
}

work=$(mktemp -d)
pids=() writers=()
cleanup() {
  touch "$work/stop" # the --commits writers end
  for p in "${writers[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Sets the variable named $1 to a port nobody listens on (counting up from a random start).
port_next=$((20000 + RANDOM % 20000))
free_port() {
  while (exec 3<>"/dev/tcp/127.0.0.1/$port_next") 2>/dev/null; do
    port_next=$((port_next + 1))
  done
  printf -v "$1" %s $port_next
  port_next=$((port_next + 1))
}
wait_up() { # url [curl options]
  local url=$1
  shift
  for _ in $(seq 100); do
    curl -fs "$@" "$url" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "http.sh: $url did not answer; the daemons' log:" >&2
  tail -5 "$work/acdlink.log" >&2
  return 1
}
serve() { # data-dir port [options]
  local dir=$1 port=$2
  shift 2
  "$bin" serve --data-dir "$dir" --listen "127.0.0.1:$port" --log-level warn "$@" \
    2>>"$work/acdlink.log" &
  pids+=($!)
}

# 1. A daemon with 60 queues and one queue-day of results (96 intervals x 3 value types).
free_port port_a
serve "$work/a" "$port_a"
ca=(--cacert "$work/a/tls/cert.pem")
wait_up "https://localhost:$port_a/api/v1/health" "${ca[@]}"
tok=$("$bin" token create bench --role admin --data-dir "$work/a" 2>/dev/null)
auth=(-H "Authorization: Bearer $tok")
zones=(Europe/Berlin America/New_York Asia/Tokyo Europe/Paris Australia/Sydney)
posts=()
for i in $(seq 1 60); do # one curl, one connection
  [ $i -gt 1 ] && posts+=(--next)
  posts+=(-fs "${ca[@]}" "${auth[@]}" -H 'Content-Type: application/json' -o /dev/null --data-binary
    "$(printf '{"identifier":"Q-%04d","name":"Line %d \\u2013 \\"Premium\\" %s","channel":"calls","interval_minutes":15,"time_zone":"%s"}' \
      "$i" "$i" "sales" "${zones[(i - 1) % 5]}")"
    "https://localhost:$port_a/api/v1/queues")
done
curl "${posts[@]}"
day=2026-03-10
sqlite3 -cmd '.timeout 10000' "$work/a/acdlink.db" <<SQL
WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 95)
INSERT INTO results (queue_id, value_type_id, interval_start, value, updated_at)
SELECT q.id, v.id, strftime('%s', '$day') - 3600 + n * 900,
       CASE v.key WHEN 'offered' THEN 5 + (n * 7) % 31 WHEN 'handled' THEN 4 + (n * 5) % 29
                  ELSE 180 + ((n * 37) % 240) + (n % 7) / 8.0 END,
       0
FROM i, value_types v, wfm_queues q
WHERE v.key IN ('offered', 'handled', 'aht') AND q.identifier = 'Q-0001';
SQL
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
pids=()
cp -a "$work/a" "$work/p"
before=${HTTP_BEFORE:-}
[ -z "$before" ] || cp -a "$work/a" "$work/b"

free_port port_s
free_port port_p
free_port port_ns
free_port port_np
serve "$work/a" "$port_s"
serve "$work/p" "$port_p" --plain-http
wait_up "https://localhost:$port_s/api/v1/health" "${ca[@]}"
wait_up "http://127.0.0.1:$port_p/api/v1/health"
if [ -n "$before" ]; then
  free_port port_b
  bin_after=$bin bin=$before
  serve "$work/b" "$port_b"
  bin=$bin_after
  wait_up "https://localhost:$port_b/api/v1/health" "${ca[@]}"
fi

# wrk's script for --miss: a query parameter no route reads, different on every request.
wrk_args=()
if [ $miss = 1 ]; then
  cat >"$work/miss.lua" <<'LUA'
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "miss=" .. tid .. "-" .. n)
end
LUA
  wrk_args=(-s "$work/miss.lua")
fi

# 2. nginx serving the daemon's bodies, with the daemon's certificate and key and ciphers.
names=(health queues results)
paths=("/api/v1/health" "/api/v1/queues?limit=50" "/api/v1/results?queue=Q-0001&from=$day&to=$day")
mkdir -p "$work/www"
for k in 0 1 2; do
  curl -fs "${ca[@]}" "${auth[@]}" "https://localhost:$port_s${paths[k]}" >"$work/www/${names[k]}.json"
done
chmod 755 "$work" "$work/www"
chmod 644 "$work"/www/*.json
mkdir -p "$work/nginx-tmp"
cat >"$work/nginx.conf" <<CONF
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body;
  proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi;
  uwsgi_temp_path $work/nginx-tmp/uwsgi;
  scgi_temp_path $work/nginx-tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  types { application/json json; }
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
  ssl_session_cache shared:bench:1m;
  server {
    listen 127.0.0.1:$port_ns ssl;
    ssl_certificate $work/a/tls/cert.pem;
    ssl_certificate_key $work/a/tls/key.pem;
    root $work/www;
  }
  server {
    listen 127.0.0.1:$port_np;
    root $work/www;
  }
}
CONF
nginx -q -c "$work/nginx.conf" -p "$work" -g 'daemon on;'
wait_up "https://localhost:$port_ns/health.json" "${ca[@]}"
for k in 1 2; do # the same bytes from both (health changes from one answer to the next)
  cmp -s <(curl -fs "${ca[@]}" "https://localhost:$port_ns/${names[k]}.json") \
    <(curl -fs "${ca[@]}" "${auth[@]}" "https://localhost:$port_s${paths[k]}") || {
    echo "http.sh: nginx and acdlink answer ${names[k]} differently" >&2
    exit 1
  }
done

# --commits: one writer per database, each a sqlite3 shell fed a commit at a steady rate.
if [ $commits = 1 ]; then
  hzc=${HTTP_COMMITS_HZ:-100}
  gap=$(awk -v h="$hzc" 'BEGIN {print 1 / h}')
  for dir in "$work/a" "$work/p" ${before:+"$work/b"}; do
    sqlite3 -cmd '.timeout 10000' "$dir/acdlink.db" 'CREATE TABLE bench_commits (n INTEGER); INSERT INTO bench_commits VALUES (0);'
    (
      exec {nap}<> <(:) # read -t on it waits without starting a process (sleep would)
      {
        echo 'PRAGMA synchronous = OFF;' # the writer's commits cost no fsync
        while [ ! -e "$work/stop" ]; do
          echo 'UPDATE bench_commits SET n = n + 1;'
          read -r -t "$gap" -u "$nap" || true
        done
      } | sqlite3 -cmd '.timeout 10000' "$dir/acdlink.db" >/dev/null
    ) &
    writers+=($!)
  done
  commits_t0=$SECONDS
fi

if [ -n "$profile" ]; then
  k=-1
  for i in 0 1 2; do
    [ "${names[i]}" = "$profile" ] && k=$i
  done
  [ $k -ge 0 ] || {
    echo "http.sh: --profile takes health, queues or results" >&2
    exit 2
  }
  command -v perf >/dev/null || {
    echo "http.sh: perf missing (Debian package linux-perf)" >&2
    exit 1
  }
  out_dir=${HTTP_PROFILE_OUT:-${TMPDIR:-/tmp}/acdlink-bench-profile}
  mkdir -p "$out_dir"
  secs=${HTTP_SECONDS:-10}
  perf record -q -g -o "$out_dir/perf.data" -p "${pids[0]}" -- sleep $((secs + 1)) 2>/dev/null &
  perf_pid=$!
  sleep 0.5
  wrk -t"$wthreads" -c"$conns" -d"${secs}s" --latency "${wrk_args[@]}" "${auth[@]}" \
    "https://127.0.0.1:$port_s${paths[k]}" | grep -E 'Requests/sec|99%'
  wait $perf_pid || true
  echo "--- self ---"
  perf report -i "$out_dir/perf.data" --no-children --sort dso,symbol --stdio -g none \
    2>/dev/null | grep -E '^ +[0-9]' | head -40 || true
  echo "--- by library ---"
  perf report -i "$out_dir/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
    grep -E '^ +[0-9]' | head -12 || true
  echo "profile: $out_dir/perf.data (perf report -i $out_dir/perf.data)"
  exit 0
fi

# 3. Interleaved rounds. One wrk run prints "req/s p99-ms cpu-us-per-request" or fails; the
# CPU time (user + system) of the server's processes during the run makes the comparison hold
# on a busy machine too, where a daemon with more threads than nginx has workers would get a
# larger share of the cores.
cpu_ticks() { # pid... -> their user + system clock ticks
  local sum=0 p
  for p in "$@"; do
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo $sum
}
hz=$(getconf CLK_TCK)
measure() { # url pid...
  local out url=$1 c0 c1
  shift
  c0=$(cpu_ticks "$@")
  out=$(wrk -t"$wthreads" -c"$conns" -d"${secs}s" --latency "${wrk_args[@]}" "${auth[@]}" "$url")
  c1=$(cpu_ticks "$@")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
    echo "http.sh: errors from $url:" >&2
    echo "$out" >&2
    return 1
  fi
  awk -v ticks=$((c1 - c0)) -v hz="$hz" \
    '/requests in/ {n = $1}
     /Requests\/sec/ {rps = $2}
     $1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                  ms = u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v}
     END {printf "%.0f %.2f %.1f\n", rps, ms, (n > 0 ? ticks / hz * 1e6 / n : 0)}' <<<"$out"
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

declare -A res
transports=(https http)
for r in $(seq 1 "$rounds"); do
  for t in "${transports[@]}"; do
    for k in 0 1 2; do
      if [ "$t" = https ]; then
        ua="https://127.0.0.1:$port_s${paths[k]}" un="https://127.0.0.1:$port_ns/${names[k]}.json"
        apid=${pids[0]}
      else
        ua="http://127.0.0.1:$port_p${paths[k]}" un="http://127.0.0.1:$port_np/${names[k]}.json"
        apid=${pids[1]}
      fi
      res[a,$t,$k]+="$(measure "$ua" "$apid")"$'\n'
      res[n,$t,$k]+="$(measure "$un" $(pgrep -P "$(cat "$work/nginx.pid")"))"$'\n'
      if [ -n "$before" ] && [ "$t" = https ] && [ $k -gt 0 ]; then
        res[b,$t,$k]+="$(measure "https://127.0.0.1:$port_b${paths[k]}" "${pids[2]}")"$'\n'
      fi
    done
  done
  echo "http.sh: round $r of $rounds done" >&2
done

col() { awk -v c="$1" 'NF {print $c}' | median; }
{
  echo
  echo "wrk -t$wthreads -c$conns, keep-alive, $secs s per run, medians of $rounds interleaved rounds;"
  [ $miss = 1 ] && echo "every request a miss of the answer cache (--miss);"
  [ $commits = 1 ] && echo "another process commits to another table meanwhile (--commits): \
$(sqlite3 -cmd '.timeout 10000' "$work/a/acdlink.db" 'SELECT n FROM bench_commits') commits in \
$((SECONDS - commits_t0)) s to the HTTPS daemon's database, asked for ${hzc}/s;"
  echo "CPU: the server's user + system time per request; ratios are acdlink's over nginx's"
  echo "(throughput) and nginx's over acdlink's (CPU), so above 1 is better for acdlink"
  echo
  echo "| Request | Body | Transport | acdlink req/s | nginx req/s | Ratio | acdlink CPU us/req | nginx CPU us/req | CPU ratio | acdlink p99 ms | nginx p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >&2
for t in "${transports[@]}"; do
  for k in 0 1 2; do
    size=$(stat -c %s "$work/www/${names[k]}.json")
    a=$(col 1 <<<"${res[a,$t,$k]}") n=$(col 1 <<<"${res[n,$t,$k]}")
    ap=$(col 2 <<<"${res[a,$t,$k]}") np=$(col 2 <<<"${res[n,$t,$k]}")
    ac=$(col 3 <<<"${res[a,$t,$k]}") nc=$(col 3 <<<"${res[n,$t,$k]}")
    ratio=$(awk -v a="$a" -v n="$n" 'BEGIN {printf "%.2f", (n > 0 ? a / n : 0)}')
    cratio=$(awk -v a="$ac" -v n="$nc" 'BEGIN {printf "%.2f", (a > 0 ? n / a : 0)}')
    hsize=$(awk -v s="$size" 'BEGIN {print (s >= 1024 ? sprintf("%.1f KB", s / 1024) : s " B")}')
    tr=$([ "$t" = https ] && echo HTTPS || echo HTTP)
    printf '| GET %s | %s | %s | %.0f | %.0f | %sx | %s | %s | %sx | %s | %s |\n' "${paths[k]%%\?*}" \
      "$hsize" "$tr" "$a" "$n" "$ratio" "$ac" "$nc" "$cratio" "$ap" "$np" >&2
    if [ -n "$rows_out" ]; then
      printf '| %s GET %s (%s), wrk -c%s keep-alive | %.0f req/s, %s us CPU/req, p99 %s ms | nginx, same bytes: %.0f req/s, %s us CPU/req, p99 %s ms | %sx (CPU %sx) | medians of %s rounds of %s s |\n' \
        "$tr" "${paths[k]%%&*}" "$hsize" "$conns" "$a" "$ac" "$ap" "$n" "$nc" "$np" "$ratio" \
        "$cratio" "$rounds" "$secs" >>"$rows_out"
    fi
  done
done
if [ -n "$before" ]; then
  {
    echo
    echo "before ($before) and after ($bin), HTTPS, measured alternately in the same rounds;"
    echo "ratios: after's throughput over before's, before's CPU over after's (above 1: after is better)"
    echo
    echo "| Request | before req/s | after req/s | Ratio | before CPU us/req | after CPU us/req | CPU ratio |"
    echo "|---|---|---|---|---|---|---|"
  } >&2
  for k in 1 2; do
    a=$(col 1 <<<"${res[a,https,$k]}") b=$(col 1 <<<"${res[b,https,$k]}")
    ac=$(col 3 <<<"${res[a,https,$k]}") bc=$(col 3 <<<"${res[b,https,$k]}")
    printf '| GET %s | %.0f | %.0f | %sx | %s | %s | %sx |\n' "${paths[k]%%\?*}" "$b" "$a" \
      "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')" "$bc" "$ac" \
      "$(awk -v a="$ac" -v b="$bc" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}')" >&2
  done
fi
