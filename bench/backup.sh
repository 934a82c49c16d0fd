#!/usr/bin/env bash
# Backup and restore of a data folder with acdlink beside the obvious peers, in one run on the
# same database (the ratios are what counts; absolute figures vary with the machine and load).
#
#   backup  (a) acdlink backup FILE: online snapshot (SQLite backup API), SHA-256 of every
#               entry, manifest, ustar archive written and synced
#           (b) peer: sqlite3 DB ".backup snap.db" (then journal_mode=DELETE, one file, as
#               acdlink's snapshot), tar cf of it, the key file and the certificate, the
#               archive synced (no digests, no manifest)
#   restore (c) acdlink restore FILE --data-dir NEW: every entry streamed into staging, SHA-256
#               checked against the manifest, PRAGMA quick_check, the key file loaded, files
#               moved into place, the database opened (migrations: none to apply)
#           (d) peer: tar xf into a folder, then sqlite3 -readonly "PRAGMA quick_check" (read-only
#               as acdlink opens it: a writable connection takes several times longer)
#
# The database is a real acdlink database (made by `acdlink serve`) grown with N rows in the
# audit table by the sqlite3 shell (about 120 bytes each); --rows sets N (default 1,000,000).
#
# Usage: bench/backup.sh [--rows N] [--small] [--repeat R]
#   --small     100,000 rows
#   --repeat R  run every contender R times, interleaved; the table shows the median
# Environment: ACDLINK_BIN (default build/acdlink). Needs sqlite3, tar, curl.
# Loopback only; the daemon and the temporary folder are removed at the end.
set -euo pipefail
bin=${ACDLINK_BIN:-}
[ -n "$bin" ] && bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
bin=${bin:-$PWD/build/acdlink}
rows=1000000 repeat=3
while [ $# -gt 0 ]; do
  case $1 in
    --rows) rows=$2; shift ;;
    --small) rows=100000 ;;
    --repeat) repeat=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for tool in sqlite3 tar curl; do
  command -v "$tool" >/dev/null || { echo "backup.sh: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/acdlink-bench-backup-XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp "$bin" "$work/acdlink"
bin=$work/acdlink
data=$work/data

# a real data folder: database, key file, certificate
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -skf "https://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
sqlite3 "$data/acdlink.db" "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
  WHERE i < $rows) INSERT INTO audit (ts, actor, actor_kind, client, action, target, outcome,
  detail) SELECT 1764000000 + i, 'bench-user-' || (i % 50), 'user', '127.0.0.1', 'source.update',
  'Source ' || (i % 200), 'ok', '{\"id\":' || i || ',\"settings\":\"changed\"}' FROM c;"
db_mb=$(( $(stat -c %s "$data/acdlink.db") / 1048576 ))

now() { date +%s.%N; }
declare -A times
run() { # name command...
  local t0 t1
  t0=$(now)
  "${@:2}" >/dev/null 2>&1
  t1=$(now)
  times[$1]="${times[$1]:-} $(echo "$t1 - $t0" | bc -l)"
}
for r in $(seq 1 "$repeat"); do
  rm -rf "$work/a.tar" "$work/b.tar" "$work/snap.db" "$work/restored" "$work/peer"
  run backup_acdlink "$bin" backup "$work/a.tar" --data-dir "$data"
  run backup_peer bash -c "sqlite3 '$data/acdlink.db' \".backup '$work/snap.db'\" &&
    sqlite3 '$work/snap.db' 'PRAGMA journal_mode=DELETE' >/dev/null &&
    tar cf '$work/b.tar' -C '$work' snap.db -C '$data' secret.key tls/cert.pem tls/key.pem && sync '$work/b.tar'"
  run restore_acdlink "$bin" restore "$work/a.tar" --data-dir "$work/restored"
  run restore_peer bash -c "mkdir -p '$work/peer' && tar xf '$work/b.tar' -C '$work/peer' &&
    sqlite3 -readonly '$work/peer/snap.db' 'PRAGMA quick_check' | grep -qx ok"
done
[ -f "$work/restored/acdlink.db" ] || { echo "backup.sh: the acdlink restore failed" >&2; exit 1; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf 'database: %s rows of audit, %d MiB; median of %d runs\n' "$rows" "$db_mb" "$repeat"
printf '%-10s %10s %10s %10s  %s\n' step acdlink peer ratio "(acdlink / peer)"
for step in backup restore; do
  a=$(echo "${times[${step}_acdlink]}" | median)
  p=$(echo "${times[${step}_peer]}" | median)
  printf '%-10s %9.2fs %9.2fs %9.2fx\n' "$step" "$a" "$p" "$(echo "$a / $p" | bc -l)"
done
printf 'archive: acdlink %d MiB, peer %d MiB\n' $(( $(stat -c %s "$work/a.tar") / 1048576 )) \
  $(( $(stat -c %s "$work/b.tar") / 1048576 ))
