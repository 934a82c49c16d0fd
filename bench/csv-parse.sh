#!/usr/bin/env bash
# CSV reader throughput beside a naive memchr line splitter, in one run on this machine (the
# ratio is what counts; absolute figures vary with the machine and its load).
# Compiles bench/csv-parse.c with the reader's sources at -O2, generates a seeded interval file
# of MB megabytes (default 100) in a temporary folder, reads it 3 times with each (after one
# warm-up round), prints the best MB/s of each and the ratio, and removes the file again.
# Usage: bench/csv-parse.sh [MB]     Environment: CC (default cc), CSV_BENCH_FILE (keep the
# generated file at this path instead, to reuse it in later runs).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
"$cc" -std=c11 -O2 -DNDEBUG -Idaemon -I. -o "$work/csv-parse" bench/csv-parse.c \
    adapters/csv/csv.c daemon/core/err.c $(pkg-config --cflags --libs icu-uc)
file=${CSV_BENCH_FILE:-$work/intervals.csv}
"$work/csv-parse" "$file" "$mb"
