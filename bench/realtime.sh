#!/usr/bin/env bash
# Agent states in real time (bench/realtime.mjs): AGENTS agents, a writer committing RATE state
# changes per second into a throwaway PostgreSQL for SECONDS, the daemon following the table
# every second (settings.incremental, overlap OVERLAP s) and delivering to a strict https-json
# receiver. Prints latency from commit to the receiver's acceptance (p50, p99, max), states
# lost, duplicated and out of order per agent, the daemon's CPU share of one core and its peak
# RSS, as JSON.
#
# Usage: bench/realtime.sh [--agents 10000] [--rate 300] [--seconds 120] [--overlap 10]
#                          [--kill-every 0] [--small]
#   --small        1,000 agents at 50 changes/s for 20 s
#   --kill-every N kill -9 the daemon every N seconds and start it again
# Environment: ACDLINK_BIN (default build/acdlink). Needs PostgreSQL 15 and psqlODBC
# (scripts/install-deps). Loopback only; the temporary folders are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --small) args+=(--agents 1000 --rate 50 --seconds 20) ;;
    --agents | --rate | --seconds | --overlap | --kill-every) args+=("$1" "$2"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
exec node bench/realtime.mjs "${args[@]}"
