#!/usr/bin/env bash
# Agent states in real time (bench/realtime.mjs): AGENTS agents, a writer committing RATE state
# changes per second (and a burst of BURST_RATE per second) into a throwaway PostgreSQL and a
# throwaway MariaDB, one after the other, the daemon following the table every second
# (settings.incremental, overlap OVERLAP s) and delivering to a strict https-json receiver
# (or its injixo-api endpoint, --target).
# Prints per engine, as JSON: latency from commit to the receiver's acceptance (p50, p99, max,
# at the steady rate and in the burst), states lost, duplicated and out of order per agent, the
# daemon's CPU share of one core and its CPU seconds (over the run, in the burst and 30 s after
# it, and per 1,000 states staged: the same writing for every binary, so less bound to the
# load than the shares), its RSS every 30 s, a flat-memory verdict (`memory`: the
# peak RSS and the RSS slope over the last half of the steady phase, flat at <= 0.25 MiB a
# minute), the machine's load average, and how
# far the writer fell behind its schedule (a line on stderr when a row was committed more than
# 1 s late); then a timeline, a line per 30 s: rows committed, the writer's worst lag, polls,
# rows read and states staged per poll, batches and states the receiver accepted, the backlog,
# the latency of the rows committed then, CPU and RSS, and what the memory is made of (from the
# daemon's metrics: anonymous RSS, the arenas taken and in use, SQLite and its page slabs,
# connections, threads).
#
# Usage: bench/realtime.sh [--short|--full] [--engine postgresql|mariadb] [--agents 10000]
#                          [--rate 300] [--seconds S] [--overlap 120] [--burst-rate R]
#                          [--burst-seconds 30] [--burst-at S] [--kill-every N]
#                          [--writers 2] [--window 30] [--max-states N] [--prefill-states N]
#                          [--profile OUT] [--agent-days whole|changes]
#                          [--target https-json|injixo-api]
#                          [--log-level debug] [--daemon-log FILE]
#   --full         10,000 agents, 300 changes/s for 600 s, 3,000/s for 30 s from 300 s on
#                  (the default)
#   --short        10,000 agents, 300 changes/s for 60 s, 3,000/s for 10 s from 30 s on
#   --small        1,000 agents at 50 changes/s for 20 s, no burst
#   --engine E     only this engine (default: postgresql, then mariadb)
#   --kill-every N kill -9 the daemon every N seconds and start it again (the JSON's kills_at:
#                  when each came, the backlog then, the restart's and next batch's time)
#   --writers N    writer sessions (each agent's states go through one of them; default 2)
#   --window S     seconds per line of the timeline printed after the JSON (default 30)
#   --max-states N settings.incremental.max_states_per_poll (default: not sent, the daemon's)
#   --prefill-states N  each agent's day already holds N states before the timed run (inserted
#                  in batches over today's hours before now; the run starts once the daemon has
#                  staged and delivered them): what a change costs late in a long day
#   --agent-days A the https-json target's agent_days: changes (the default: a day the receiver
#                  holds goes as its changed tail) or whole (every change sends the agent's day
#                  whole; the setting is not sent, so a binary that does not know it runs too)
#   --target T     https-json (the default) or injixo-api: the receiver's agent-statuses
#                  endpoint, which gets the spans that differ from what it last accepted and
#                  keeps them by agent and start; the same checks (lost, duplicated, out of
#                  order from what the receiver holds); --agent-days does not apply
#   --profile OUT  the daemon under `perf record` (DWARF call graphs) while the writer writes
#                  and until the receiver holds every state, into OUT (OUT.ENGINE with both
#                  engines); read it with `perf report -i OUT --no-children`
#   --log-level L  the daemon's log level (debug: the uploader logs the time each batch took
#                  to build, send and record)
#   --daemon-log FILE  the daemon's stderr into FILE (FILE.ENGINE with both engines)
# Later options override the mode's. Environment: ACDLINK_BIN (default build/acdlink). Needs
# PostgreSQL 15 with psqlODBC and mariadb-server with odbc-mariadb (scripts/install-deps).
# Loopback only; the temporary folders are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--agents 10000 --rate 300 --seconds 600 --burst-rate 3000 --burst-seconds 30 --burst-at 300)
args=()
engines=(postgresql mariadb)
profile=
dlog=
while [ $# -gt 0 ]; do
  case $1 in
    --full) ;;
    --short) mode=(--agents 10000 --rate 300 --seconds 60 --burst-rate 3000 --burst-seconds 10 --burst-at 30) ;;
    --small) mode=(--agents 1000 --rate 50 --seconds 20 --burst-rate 0) ;;
    --engine) engines=("$2"); shift ;;
    --agents | --rate | --seconds | --overlap | --kill-every | --burst-rate | --burst-seconds | --burst-at | --writers | --window | --max-states | --prefill-states | --agent-days | --target)
      args+=("$1" "$2"); shift ;;
    --profile) profile=$(realpath -m "$2"); shift ;;
    --log-level) args+=("$1" "$2"); shift ;;
    --daemon-log) dlog=$(realpath -m "$2"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for e in "${engines[@]}"; do
  p=()
  if [ -n "$profile" ]; then
    p=(--profile "$profile")
    [ "${#engines[@]}" -eq 1 ] || p=(--profile "$profile.$e")
  fi
  if [ -n "$dlog" ]; then
    if [ "${#engines[@]}" -eq 1 ]; then p+=(--daemon-log "$dlog"); else p+=(--daemon-log "$dlog.$e"); fi
  fi
  node bench/realtime.mjs --engine "$e" "${mode[@]}" "${args[@]}" "${p[@]}"
done
