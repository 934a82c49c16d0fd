#!/usr/bin/env bash
# Throughput of GET /api/v1/health with keep-alive, side by side with nginx serving a static
# JSON file of the same size, in one run on this machine (the ratio is what counts; absolute
# figures vary with the machine and its load). Also reports acdlink's idle RSS and binary size.
# Needs wrk and nginx-light (apt-get install wrk nginx-light). Loopback only, bounded in time.
# Usage: bench/http-health.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
bin=${ACDLINK_BIN:-build/acdlink}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx missing: apt-get install nginx-light" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  [ -n "${apid:-}" ] && kill "$apid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

port_a=18711 port_s=18712 port_n=18713
"$bin" serve --data-dir "$work/data" --listen 127.0.0.1:$port_a --log-level warn 2>"$work/a.log" &
apid=$!
for _ in $(seq 50); do
  curl -fs --cacert "$work/data/tls/cert.pem" "https://localhost:$port_a/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
body=$(curl -fs --cacert "$work/data/tls/cert.pem" "https://localhost:$port_a/api/v1/health")
mkdir -p "$work/www"
printf '%s' "$body" >"$work/www/health.json"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port_n;
    location / { root $work/www; default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.3

rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")
run() { wrk -t2 -c16 -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }

a_https=$(run "https://127.0.0.1:$port_a/api/v1/health")
kill "$apid"; wait "$apid" 2>/dev/null || true
"$bin" serve --data-dir "$work/data" --listen 127.0.0.1:$port_s --plain-http --log-level warn \
  2>"$work/s.log" &
apid=$!
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port_s/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
a_http=$(run "http://127.0.0.1:$port_s/api/v1/health")
n_http=$(run "http://127.0.0.1:$port_n/health.json")
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")

size=$(stat -c %s "$bin")
stripped=$(strip -o "$work/stripped" "$bin" && stat -c %s "$work/stripped")
printf 'binary: %s bytes (%s stripped)\n' "$size" "$stripped"
printf 'acdlink RSS idle: %s KiB; after the HTTP run: %s KiB\n' "$rss_idle" "$rss_after"
printf '%-40s %10s req/s\n' "acdlink /api/v1/health, HTTPS keep-alive" "$a_https"
printf '%-40s %10s req/s\n' "acdlink /api/v1/health, HTTP keep-alive" "$a_http"
printf '%-40s %10s req/s\n' "nginx static file, HTTP keep-alive" "$n_http"
awk -v a="$a_http" -v n="$n_http" 'BEGIN {printf "ratio acdlink/nginx (HTTP): %.2f\n", a / n}'
