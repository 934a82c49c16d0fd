#!/usr/bin/env bash
# run.sh: the Windows build tested under wine64 (the "msi" suite of scripts/test).
#
# 1. packaging/msi/build.sh cross-builds acdlink.exe and the MSI (dependencies cached in the
#    build folder), and a second MSI of the same program with a higher version (the upgrade).
# 2. Wine 8 has no icu.dll (Windows 10 and later ship one): icu_forward.c becomes a wine
#    library that hands acdlink's ICU calls to the host's ICU; icu.spec must export exactly
#    the names of packaging/msi/icu.def, the import list the Windows build links against.
# 3. A fresh wine prefix, that icu.dll in its system32, then msi.test.mjs.
# Ends with node's TAP summary; exits non-zero when anything failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/msi
OUT=${ACDLINK_MSI_OUT:-$ROOT/build-msi}

for tool in wine wineboot wineserver winegcc winebuild sqlite3 node; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/install-deps)" >&2; exit 1; }
done

t0=$(date +%s)
msi=$(ACDLINK_MSI_OUT=$OUT "$ROOT/packaging/msi/build.sh" | tail -1)
version=$(basename "$msi" | sed -E 's/^acdlink-([0-9.]+)-x64\.msi$/\1/')
upgrade_version=${version%.*}.$((${version##*.} + 1))
msi_upgrade=$(ACDLINK_MSI_OUT=$OUT ACDLINK_MSI_VERSION=$upgrade_version \
  "$ROOT/packaging/msi/build.sh" | tail -1)
t1=$(date +%s)
echo "run.sh: build $((t1 - t0)) s: $(basename "$msi"), $(basename "$msi_upgrade")"

# Nothing of ours reaches a wine process: the daemon refuses unknown ACDLINK_* variables.
for v in $(compgen -e | grep '^ACDLINK_' || true); do
  unset "$v"
done

def_names=$(sed -n '/^EXPORTS/,$p' "$ROOT/packaging/msi/icu.def" | tail -n +2 | sort)
spec_names=$(awk '$1 == "@" { sub(/\(.*/, "", $3); print $3 }' "$HERE/icu.spec" | sort)
if [ "$def_names" != "$spec_names" ]; then
  echo "run.sh: tests/msi/icu.spec and packaging/msi/icu.def list different ICU calls:" >&2
  diff <(echo "$def_names") <(echo "$spec_names") >&2 || true
  exit 1
fi
icu=$OUT/wine-icu
mkdir -p "$icu"
if [ ! -f "$icu/icu.dll.so" ] || [ "$HERE/icu_forward.c" -nt "$icu/icu.dll.so" ] ||
   [ "$HERE/icu.spec" -nt "$icu/icu.dll.so" ]; then
  winegcc -shared -O2 -Wall -Werror -o "$icu/icu.dll" "$HERE/icu.spec" "$HERE/icu_forward.c" \
    -licui18n -licuuc
  winebuild -m64 --dll --fake-module -E "$HERE/icu.spec" -F icu.dll -o "$icu/icu-fake.dll"
fi

prefix=$(mktemp -d /tmp/acdlink-wine-XXXXXX)
export WINEPREFIX=$prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export WINEDLLPATH=$icu
cleanup() {
  wineserver -k 2>/dev/null || true # this prefix's server and its processes only
  rm -rf "$prefix"
}
trap cleanup EXIT
wineboot --init >/dev/null 2>&1
# Let the set-up session end: a second services.exe would start beside the lingering one,
# and the two would disagree about which services exist.
wineserver -w
cp "$icu/icu-fake.dll" "$prefix/drive_c/windows/system32/icu.dll"
# Wine ends services.exe with the last ordinary wine process: one waits for the whole run.
# It starts the wine session, so the session's daemons get no pipe of ours (they would keep
# a caller's pipe open forever).
wine cmd /c "ping -n 3600 127.0.0.1 > nul" </dev/null >/dev/null 2>&1 &
for _ in $(seq 60); do
  wine sc query eventlog >/dev/null 2>&1 && break
  sleep 0.5
done
t2=$(date +%s)
echo "run.sh: wine prefix $((t2 - t1)) s"

rc=0
MSI_TEST_EXE=$OUT/acdlink.exe MSI_TEST_PACKAGE=$msi MSI_TEST_UPGRADE=$msi_upgrade \
  node --test --test-reporter=tap "$HERE/msi.test.mjs" || rc=$?
echo "run.sh: tests $(($(date +%s) - t2)) s; whole suite $(($(date +%s) - t0)) s"
exit $rc
