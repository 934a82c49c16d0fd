#!/usr/bin/env bash
# all.sh: runs the benchmarks, each beside its peer in one run, and prints one Markdown table
# (the README's performance table). Every entry is a script taking --short or --full and
# --rows FILE, to which it appends its table rows "| what | acdlink | peer | ratio | notes |";
# its own detailed output goes to standard error.
#
#   bench/all.sh [--short|--full] [NAME...]    default: --short, every entry
#
# --short is a quick check (a few seconds per measurement, still interleaved rounds and
# medians); --full gives the figures for the README. Everything runs on loopback in temp
# folders that each script removes. Exits non-zero when an entry failed (its row says so).
set -uo pipefail
cd "$(dirname "$0")/.."

# name:script
entries=(
  "http:bench/http.sh"
  "odbc:bench/odbc.sh"
  "day5000:bench/day5000.sh"
  "import:bench/import.sh"
)

mode=--short
names=()
for a in "$@"; do
  case $a in
  --short | --full) mode=$a ;;
  -h | --help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  -*)
    echo "all.sh: unknown option $a (use --short or --full)" >&2
    exit 2
    ;;
  *) names+=("$a") ;;
  esac
done

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
failed=0
for e in "${entries[@]}"; do
  name=${e%%:*} script=${e#*:}
  if [ ${#names[@]} -gt 0 ] && [[ " ${names[*]} " != *" $name "* ]]; then
    continue
  fi
  echo "== $name ($script $mode)" >&2
  if ! "$script" "$mode" --rows "$rows"; then
    printf '| %s | failed (see its output) | | | |\n' "$name" >>"$rows"
    failed=1
  fi
done

echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), bench/all.sh $mode:"
echo
echo "| Benchmark | acdlink | Peer | Ratio | Notes |"
echo "|---|---|---|---|---|"
cat "$rows"
exit $failed
