#!/bin/sh
# run.sh: builds the libFuzzer targets (if needed) and runs each for FUZZ_SECONDS seconds.
#
#   tests/fuzz/run.sh [TARGET...]      default: every tests/fuzz/fuzz_*.c
#
# Environment: FUZZ_SECONDS (default 20) per target, FUZZ_RUNS (unset: no limit) executions
# after which a target stops before its time is up, FUZZ_JOBS (default 2: the build machine's
# cores) targets at once, FUZZ_BUILD_DIR (default build-fuzz in the repository), FUZZ_CC
# (default clang-14), ACDLINK_CIVETWEB_SOURCE_DIR (passed to CMake when set). Prints per target
# the executions, libFuzzer's coverage (cov: edges, ft: features), the corpus size and the
# crashes found, and ends with "N passed, M failed" counting targets, like the other suites.
# The seeds in tests/fuzz/corpus/<target>/ are copied into $FUZZ_BUILD_DIR/corpus/<target>,
# which keeps what the fuzzer finds from run to run (runs never write into the repository);
# crashes land in $FUZZ_BUILD_DIR/artifacts/. Exits non-zero when any target crashes, leaks,
# times out or fails to build. scripts/fuzz is the long run.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_PER=${FUZZ_SECONDS:-20}
all_targets=$(cd "$(dirname "$0")" && ls fuzz_*.c | sed -e 's/^fuzz_//' -e 's/\.c$//' | grep -v '^stubs$' | tr '\n' ' ')
TARGETS=${*:-$all_targets}
FUZZ_CC=${FUZZ_CC:-clang-14}

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    echo "run.sh: $FUZZ_CC not found; install clang-14 libclang-rt-14-dev llvm-14" >&2
    exit 2
fi

mkdir -p "$BUILD"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    set -- -DACDLINK_FUZZ=ON -DACDLINK_TESTS=OFF -DACDLINK_WERROR=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
    if [ -n "${ACDLINK_CIVETWEB_SOURCE_DIR:-}" ]; then
        set -- "$@" "-DACDLINK_CIVETWEB_SOURCE_DIR=$ACDLINK_CIVETWEB_SOURCE_DIR"
    elif ! ls "$BUILD"/_deps/civetweb/civetweb-*/src/civetweb.c >/dev/null 2>&1; then
        # copy a civetweb source tree another build folder has fetched (saves an apt-get
        # source; a copy, so removing that folder later does not break this one)
        for d in "$ROOT"/build*/_deps/civetweb/civetweb-*/src/civetweb.c; do
            if [ -f "$d" ]; then
                mkdir -p "$BUILD/_deps/civetweb"
                cp -R "$(dirname "$(dirname "$d")")" "$BUILD/_deps/civetweb/"
                break
            fi
        done
    fi
    CC=$FUZZ_CC cmake -S "$ROOT" -B "$BUILD" "$@" >"$BUILD/configure.log" 2>&1 || {
        cat "$BUILD/configure.log" >&2
        rm -f "$BUILD/CMakeCache.txt"
        exit 2
    }
else
    # pick up fuzz targets added since the folder was configured
    cmake "$BUILD" >"$BUILD/configure.log" 2>&1 || {
        cat "$BUILD/configure.log" >&2
        exit 2
    }
fi
build_targets=""
for t in $TARGETS; do
    build_targets="$build_targets fuzz_$t"
done
# shellcheck disable=SC2086 # word splitting of the target list is intended
cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target $build_targets >"$BUILD/build.log" 2>&1 || {
    tail -n 40 "$BUILD/build.log" >&2
    echo "run.sh: build failed (see $BUILD/build.log)" >&2
    exit 2
}

# A smaller use-after-free quarantine than ASan's 256 MB: a freed block is still caught while
# the next 16 MB are allocated, and short inputs run two to three times as fast (fewer fresh
# pages to fault in per execution). An ASAN_OPTIONS set by the caller wins.
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
export ASAN_OPTIONS

failed=""
npassed=0
nfailed=0
JOBS=${FUZZ_JOBS:-2}
mkdir -p "$BUILD/artifacts"
marker="$BUILD/.run-start"
: >"$marker"

# Inputs longer than this are cut; a backup archive needs room for its five entries.
max_len_of() {
    case $1 in
    archive) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

run_one() {
    t=$1
    bin="$BUILD/tests/fuzz/fuzz_$t"
    corpus="$BUILD/corpus/$t"
    log="$BUILD/fuzz_$t.log"
    mkdir -p "$corpus"
    if [ -d "$ROOT/tests/fuzz/corpus/$t" ]; then
        cp -n "$ROOT/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
    fi
    rc=0
    date +%s >"$BUILD/fuzz_$t.start"
    runs=
    if [ -n "${FUZZ_RUNS:-}" ]; then
        runs="-runs=$FUZZ_RUNS"
    fi
    # shellcheck disable=SC2086 # $runs is empty or one word
    # -timeout: one input slower than 10 s is a finding too; leaks are reported at exit.
    "$bin" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len_of "$t")" -print_final_stats=1 \
        -artifact_prefix="$BUILD/artifacts/$t-" $runs "$corpus" >"$log" 2>&1 || rc=$?
    echo "$rc" >"$BUILD/fuzz_$t.rc"
    date +%s >"$BUILD/fuzz_$t.end"
}

# FUZZ_JOBS targets at a time, each one process: every core busy, and each target's figures
# its own.
# shellcheck disable=SC2086 # word splitting of the target list is intended
set -- $TARGETS
while [ $# -gt 0 ]; do
    i=0
    while [ $# -gt 0 ] && [ "$i" -lt "$JOBS" ]; do
        run_one "$1" &
        shift
        i=$((i + 1))
    done
    wait
done

printf '%-11s %12s %7s %7s %7s %7s %8s  %s\n' target executions cov ft corpus crashes seconds result
for t in $TARGETS; do
    log="$BUILD/fuzz_$t.log"
    rc=$(cat "$BUILD/fuzz_$t.rc" 2>/dev/null || echo 99)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then
        execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    fi
    cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
    ft=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\2/p' "$log" | tail -n 1)
    took=$SECONDS_PER
    if [ -f "$BUILD/fuzz_$t.start" ] && [ -f "$BUILD/fuzz_$t.end" ]; then
        took=$(($(cat "$BUILD/fuzz_$t.end") - $(cat "$BUILD/fuzz_$t.start")))
    fi
    ncorpus=$(find "$BUILD/corpus/$t" -type f | wc -l)
    ncrash=$(find "$BUILD/artifacts" -type f -name "$t-*" -newer "$marker" | wc -l)
    if [ "$rc" -eq 0 ]; then
        result=ok
        npassed=$((npassed + 1))
    else
        result="FAILED (exit $rc, see $log)"
        failed="$failed $t"
        nfailed=$((nfailed + 1))
    fi
    printf '%-11s %12s %7s %7s %7s %7s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "$ncorpus" "$ncrash" "$took" "$result"
done

if [ -n "$failed" ]; then
    echo "run.sh: failing targets:$failed" >&2
    for t in $failed; do
        grep -m 5 -E "ERROR|invariant failed|runtime error|Test unit written" \
            "$BUILD/fuzz_$t.log" >&2 || true
    done
    echo "$npassed passed, $nfailed failed"
    exit 1
fi
echo "run.sh: every target ran for ${SECONDS_PER}s without a crash"
echo "$npassed passed, $nfailed failed"
