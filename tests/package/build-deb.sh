#!/usr/bin/env bash
# Builds the acdlink .deb from the working tree with dpkg-buildpackage, runs lintian on it and
# prints the path of the .deb as the last line of standard output.
#
# The debian/ folder lives in packaging/deb/debian; the build runs in a staging copy of the
# working tree (the files git knows or would add: tracked, modified and new, never ignored
# ones such as build*/), with that folder put in place as debian/. Idempotent: the staging
# copy is made anew on every run; the civetweb source is fetched once and kept.
#
# Environment (all optional):
#   ACDLINK_DEB_OUT              output folder (default: build/deb); the .deb lands there
#   ACDLINK_DEB_VERSION          package version other than debian/changelog's, e.g. 0.1.0+up1
#                                (adds a changelog entry in the staging copy; for upgrade tests)
#   ACDLINK_WEB_DIST             a prebuilt console (vite output) instead of building web/
#   ACDLINK_CIVETWEB_SOURCE_DIR  an unpacked civetweb source instead of fetching one
#   ACDLINK_DEB_TREE=head        build the committed tree (git archive HEAD) instead of the
#                                working tree, with the working tree's packaging/deb/,
#                                docs/acdlink.8 and docs/man/ (for testing packaging changes
#                                while the daemon is being edited)
#   ACDLINK_DEB_LINTIAN=0        skip lintian
#   ACDLINK_DEB_KEEP=1           keep the staging copy (OUT/stage) after a successful build
#
# Network: only Debian's archive (apt-get for missing tools and build dependencies, and
# 'apt-get source civetweb' when no earlier build has it). The console is built offline from
# web/node_modules when it is there; otherwise from build/web-dist (an earlier build's output);
# only when neither exists does the build run 'npm ci' (the npm registry).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${ACDLINK_DEB_OUT:-$ROOT/build/deb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE_PARENT="$OUT/stage"
LOG="$OUT/build.log"
BUILD_TIMEOUT=${ACDLINK_DEB_BUILD_TIMEOUT:-1800}

say() { echo "build-deb: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- tools -------------------------------------------------------------------------------
need_pkgs=()
for p in dpkg-dev debhelper fakeroot lintian; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${need_pkgs[*]}; install them (apt-get install ${need_pkgs[*]})"
  say "installing ${need_pkgs[*]}"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}" >/dev/null
fi

# --- staging copy of the working tree ------------------------------------------------------
version=$(dpkg-parsechangelog -l "$ROOT/packaging/deb/debian/changelog" -S Version)
[ -n "${ACDLINK_DEB_VERSION:-}" ] && version=$ACDLINK_DEB_VERSION
upstream=${version%%+*}
rm -rf "$STAGE_PARENT"
STAGE="$STAGE_PARENT/acdlink-$upstream"
mkdir -p "$STAGE"
if [ "${ACDLINK_DEB_TREE:-worktree}" = head ]; then
  git -C "$ROOT" archive --format=tar HEAD | tar -C "$STAGE" -xf -
  mkdir -p "$STAGE/packaging/deb" "$STAGE/docs/man"
  cp -a "$ROOT/packaging/deb/." "$STAGE/packaging/deb/"
  cp -a "$ROOT/docs/acdlink.8" "$STAGE/docs/acdlink.8"
  cp -a "$ROOT/docs/man/." "$STAGE/docs/man/"
  say "source: git HEAD $(git -C "$ROOT" rev-parse --short HEAD) with the working tree's packaging files"
elif git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # tracked (as they are now) and untracked-but-not-ignored files; deleted ones are skipped
  (cd "$ROOT" && git ls-files -z -c -o --exclude-standard) |
    (cd "$ROOT" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
    (cd "$ROOT" && tar --null -T - -cf -) | tar -C "$STAGE" -xf -
else
  tar -C "$ROOT" --exclude='./build*' --exclude=node_modules --exclude=./acdlink-data \
      --exclude=./web/dist -cf - . | tar -C "$STAGE" -xf -
fi
rm -rf "$STAGE/debian"
cp -a "$ROOT/packaging/deb/debian" "$STAGE/debian"

if [ -n "${ACDLINK_DEB_VERSION:-}" ]; then
  {
    printf 'acdlink (%s) unstable; urgency=medium\n\n' "$ACDLINK_DEB_VERSION"
    printf '  * Build %s of the working tree (test build).\n\n' "$ACDLINK_DEB_VERSION"
    printf ' -- %s  %s\n\n' \
      "$(dpkg-parsechangelog -l "$STAGE/debian/changelog" -S Maintainer)" "$(date -R)"
    cat "$STAGE/debian/changelog"
  } > "$STAGE/debian/changelog.new"
  mv "$STAGE/debian/changelog.new" "$STAGE/debian/changelog"
fi

# --- civetweb source: given, an earlier build's, or apt-get source (Debian's archive) --------
cw=${ACDLINK_CIVETWEB_SOURCE_DIR:-}
if [ -z "$cw" ]; then
  cache="$OUT/civetweb"
  found=$(ls -d "$cache"/civetweb-*/src/civetweb.c 2>/dev/null | head -n 1 || true)
  if [ -z "$found" ]; then
    mkdir -p "$cache"
    prev=$(ls -d "$ROOT"/build/_deps/civetweb/civetweb-*/src/civetweb.c 2>/dev/null | head -n 1 || true)
    if [ -n "$prev" ]; then
      say "civetweb: copying the source an earlier build fetched (${prev%/src/civetweb.c})"
      cp -a "${prev%/src/civetweb.c}" "$cache/"
    else
      say "civetweb: apt-get source civetweb (needs a deb-src entry: scripts/install-deps adds one)"
      (cd "$cache" && timeout 600 apt-get source -qq civetweb) || die "apt-get source civetweb failed"
    fi
    found=$(ls -d "$cache"/civetweb-*/src/civetweb.c 2>/dev/null | head -n 1 || true)
    [ -n "$found" ] || die "no civetweb source in $cache"
  fi
  cw=${found%/src/civetweb.c}
fi
export ACDLINK_CIVETWEB_SOURCE_DIR=$cw

# --- console: given, built offline from web/node_modules, an earlier build's, or npm ci -----
profiles=()
if [ -n "${ACDLINK_WEB_DIST:-}" ]; then
  [ -f "$ACDLINK_WEB_DIST/index.html" ] || die "ACDLINK_WEB_DIST=$ACDLINK_WEB_DIST has no index.html"
  ACDLINK_WEB_DIST=$(cd "$ACDLINK_WEB_DIST" && pwd)
  say "console: prebuilt, from $ACDLINK_WEB_DIST"
elif [ -d "$ROOT/web/node_modules" ] && command -v npm >/dev/null 2>&1; then
  say "console: built from web/ with the installed web/node_modules (offline)"
  cp -a "$ROOT/web/node_modules" "$STAGE/web/node_modules"
elif [ -f "$ROOT/build/web-dist/index.html" ]; then
  ACDLINK_WEB_DIST="$ROOT/build/web-dist"
  say "console: prebuilt, from build/web-dist (an earlier build's output; may be older than web/)"
else
  say "console: built from web/ with 'npm ci' (needs the npm registry)"
fi
if [ -n "${ACDLINK_WEB_DIST:-}" ]; then
  export ACDLINK_WEB_DIST
  profiles=(-Ppkg.acdlink.prebuilt-web)
else
  unset ACDLINK_WEB_DIST
fi

# --- build dependencies -----------------------------------------------------------------------
if ! (cd "$STAGE" && dpkg-checkbuilddeps "${profiles[@]}" >/dev/null 2>&1); then
  [ "$(id -u)" -eq 0 ] || die "build dependencies missing: $(cd "$STAGE" && dpkg-checkbuilddeps "${profiles[@]}" 2>&1 || true)"
  say "installing the build dependencies from debian/control"
  timeout 600 apt-get update -qq
  bp=()
  [ ${#profiles[@]} -gt 0 ] && bp=(--build-profiles=pkg.acdlink.prebuilt-web)
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get build-dep -y -qq --no-install-recommends \
    "${bp[@]}" "$STAGE" >/dev/null
fi

# --- build ------------------------------------------------------------------------------------
say "building acdlink $version in $STAGE (log: $LOG)"
t0=$(date +%s)
if ! (cd "$STAGE" && timeout "$BUILD_TIMEOUT" dpkg-buildpackage -us -uc -b "${profiles[@]}") >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  die "dpkg-buildpackage failed (full log: $LOG)"
fi
t1=$(date +%s)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="$OUT/acdlink_${version}_${arch}.deb"
changes="$OUT/acdlink_${version}_${arch}.changes"
rm -f "$deb" "$changes"
for f in "$STAGE_PARENT"/acdlink*_"${version}"_*; do
  mv -f "$f" "$OUT/"
done
[ -f "$deb" ] || die "no $deb after the build"
grep -q -- '-D_FORTIFY_SOURCE=2' "$LOG" || die "the compile lines lack -D_FORTIFY_SOURCE=2"
say "built in $((t1 - t0)) s: $deb ($(stat -c %s "$deb") bytes)"

# --- lintian ----------------------------------------------------------------------------------
if [ "${ACDLINK_DEB_LINTIAN:-1}" != 0 ]; then
  # warnings and errors fail the build; info and pedantic tags are shown only
  lrc=0
  timeout 600 lintian --fail-on error,warning --display-info --pedantic "$changes" \
    >"$OUT/lintian.raw" 2>&1 || lrc=$?
  grep -v '^running with root privileges' "$OUT/lintian.raw" >"$OUT/lintian.txt" || true
  rm -f "$OUT/lintian.raw"
  if [ "$lrc" -ne 0 ]; then
    cat "$OUT/lintian.txt" >&2
    die "lintian found warnings or errors (see $OUT/lintian.txt)"
  fi
  if [ -s "$OUT/lintian.txt" ]; then
    say "lintian: no warnings or errors; info/pedantic tags:"
    sed 's/^/  /' "$OUT/lintian.txt" >&2
  else
    say "lintian: clean"
  fi
fi

[ "${ACDLINK_DEB_KEEP:-0}" = 1 ] || rm -rf "$STAGE_PARENT"
echo "$deb"
