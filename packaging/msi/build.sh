#!/usr/bin/env bash
# build.sh: builds acdlink.exe for Windows x64 with mingw-w64 and packs it into an MSI.
#
# Usage: packaging/msi/build.sh
# Prints the path of the .msi as the last line of standard output.
#
# Steps: packaging/msi/deps.sh (OpenSSL, SQLite and jansson cross-built from Debian's source
# packages, cached in the build folder), a CMake build with the toolchain file mingw64.cmake
# (civetweb compiled in as on Linux, ODBC from Windows' odbc32, ICU from Windows' icu.dll),
# then wixl (Debian's msitools) with acdlink.wxs.
#
# Environment (all optional):
#   ACDLINK_MSI_OUT       build folder (default: build-msi); the .msi and acdlink.exe land there
#   ACDLINK_MSI_VERSION   the MSI's version other than the project's (for upgrade tests)
#   ACDLINK_WEB_DIST      a prebuilt console (vite output); default build/web-dist when an
#                         earlier Linux build left one, otherwise the build runs npm in web/
#   ACDLINK_CIVETWEB_SOURCE_DIR  an unpacked civetweb source instead of 'apt-get source'
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/packaging/msi
OUT=${ACDLINK_MSI_OUT:-$ROOT/build-msi}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HOST=x86_64-w64-mingw32

say() { echo "build-msi: $*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in wixl $HOST-gcc-posix $HOST-dlltool $HOST-strip; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps installs it)"
done

"$HERE/deps.sh" "$OUT" >&2

args=(-DCMAKE_TOOLCHAIN_FILE="$HERE/mingw64.cmake" -DACDLINK_W64_PREFIX="$OUT/_deps/w64"
      -DCMAKE_BUILD_TYPE=Release -DACDLINK_TESTS=OFF)
web=${ACDLINK_WEB_DIST:-}
if [ -z "$web" ] && [ -f "$ROOT/build/web-dist/index.html" ]; then
  web=$ROOT/build/web-dist
fi
if [ -n "$web" ]; then
  args+=(-DACDLINK_WEB_DIST="$web")
fi
cw=${ACDLINK_CIVETWEB_SOURCE_DIR:-}
if [ -z "$cw" ]; then
  cw=$( (find "$ROOT/build/_deps/civetweb" -mindepth 1 -maxdepth 1 -type d -name 'civetweb-*' \
          2>/dev/null || true) | sort | tail -1)
fi
if [ -n "$cw" ]; then
  args+=(-DACDLINK_CIVETWEB_SOURCE_DIR="$cw")
fi

say "configuring (log: $OUT/cmake.log)"
cmake -S "$ROOT" -B "$OUT/build" "${args[@]}" >"$OUT/cmake.log" 2>&1 ||
  die "configure failed; see $OUT/cmake.log"
say "compiling"
cmake --build "$OUT/build" -j"$(nproc)" >>"$OUT/cmake.log" 2>&1 ||
  die "the build failed; see $OUT/cmake.log"
$HOST-strip -o "$OUT/acdlink.exe" "$OUT/build/acdlink.exe"

version=${ACDLINK_MSI_VERSION:-$(sed -n 's/^project(acdlink VERSION \([0-9.]*\).*/\1/p' \
                                   "$ROOT/CMakeLists.txt")}
[ -n "$version" ] || die "no version in CMakeLists.txt's project()"
msi=$OUT/acdlink-$version-x64.msi
# wixl resolves File/@Source relative to the working folder (absolute paths fail)
(cd "$OUT" && wixl -a x64 -D Version="$version" -D Exe=acdlink.exe -o "$msi" "$HERE/acdlink.wxs") >&2 ||
  die "wixl failed"
say "built $(basename "$msi") ($(du -k "$msi" | cut -f1) KB)"
echo "$msi"
