#!/usr/bin/env bash
# Integration test of the acdlink .deb under a real systemd: boots a debootstrapped Debian 12
# root with systemd-nspawn, installs the package there and checks the service, its sandbox,
# the API over verified HTTPS, an upgrade with data in place, stop, remove and purge.
# Prints one line per check and "N passed, M failed" at the end; exits non-zero on failure.
#
# Needs root, systemd-container and debootstrap (installed from Debian's archive when missing).
# Environment (all optional):
#   ACDLINK_NSPAWN_CACHE  where the base root is kept and reused (default: build/nspawn-root)
#   ACDLINK_DEB           the .deb to test (default: built with tests/package/build-deb.sh)
#   ACDLINK_DEB_UPGRADE   a .deb with a higher version, for the upgrade (default: built from
#                         the same tree as <version>+nspawn1)
#   ACDLINK_DEB_TREE      passed to build-deb.sh (head: build the committed tree)
# The container has its own network namespace with only a loopback interface, so the daemon's
# port never meets the host's; package downloads (debootstrap, missing runtime libraries) use
# Debian's archive from /etc/apt/sources.list.d/debian.sources. Each run works on a throwaway
# overlay (or copy) of the cached root and stops everything it started.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${ACDLINK_NSPAWN_CACHE:-$ROOT/build/nspawn-root}
SUITE=bookworm
PORT=8443
T_START=$(date +%s)

pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
note() { echo "  $*" >&2; }
finish() {
  echo "nspawn test took $(( $(date +%s) - T_START )) s"
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
  exit $?
}
abort() { bad "$*"; cleanup; finish; }

[ "$(id -u)" -eq 0 ] || { echo "nspawn-test: needs root (debootstrap, systemd-nspawn)" >&2; bad "run as root"; finish; }

# --- tools --------------------------------------------------------------------------------
need=()
for p in systemd-container debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "nspawn-test: installing ${need[*]}" >&2
  timeout 600 apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
      "${need[@]}" >/dev/null || { bad "install ${need[*]}"; finish; }
fi

# --- the two packages ----------------------------------------------------------------------
DEB=${ACDLINK_DEB:-}
DEB2=${ACDLINK_DEB_UPGRADE:-}
if [ -z "$DEB" ]; then
  t0=$(date +%s)
  if DEB=$(ACDLINK_DEB_OUT="$ROOT/build/deb" "$ROOT/tests/package/build-deb.sh" | tail -n 1) &&
     [ -f "$DEB" ]; then
    ok "build the .deb ($(basename "$DEB"), $(stat -c %s "$DEB") bytes, $(( $(date +%s) - t0 )) s, lintian clean)"
  else
    bad "build the .deb"; finish
  fi
fi
V1=$(dpkg-deb -f "$DEB" Version)
if [ -z "$DEB2" ]; then
  t0=$(date +%s)
  if DEB2=$(ACDLINK_DEB_OUT="$ROOT/build/deb-upgrade" ACDLINK_DEB_VERSION="$V1+nspawn1" \
            ACDLINK_DEB_LINTIAN=0 "$ROOT/tests/package/build-deb.sh" | tail -n 1) && [ -f "$DEB2" ]; then
    ok "build the upgrade .deb ($(basename "$DEB2"), $(( $(date +%s) - t0 )) s)"
  else
    bad "build the upgrade .deb"; finish
  fi
fi
V2=$(dpkg-deb -f "$DEB2" Version)
if dpkg --compare-versions "$V2" gt "$V1"; then
  ok "upgrade version $V2 is higher than $V1"
else
  bad "upgrade version $V2 is not higher than $V1"; finish
fi

# --- the cached base root -------------------------------------------------------------------
mirror=$(awk '
  /^Types:/ {t=$0} /^URIs:/ {u=$2} /^Suites:/ {s=$0}
  /^[[:space:]]*$/ { if (!f && t ~ /(^| )deb( |$)/ && s ~ / '"$SUITE"'( |$)/ && u != "") {print u; f=1} t=s=u="" }
  END { if (!f && t ~ /(^| )deb( |$)/ && s ~ / '"$SUITE"'( |$)/ && u != "") print u }' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

# runtime dependencies of both packages: the first alternative of each, without versions
deps=$( { dpkg-deb -f "$DEB" Depends; echo ,; dpkg-deb -f "$DEB2" Depends; } | tr ',' '\n' |
        sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u)
base_pkgs="systemd systemd-sysv dbus curl $deps"

nspawn_run() { # non-booted command in a root (with the host's network, for apt)
  local t=$1 r=$2; shift 2
  timeout "$t" systemd-nspawn -q -D "$r" --register=no --keep-unit --pipe "$@" </dev/null
}

t0=$(date +%s)
if [ ! -f "$CACHE/.complete" ]; then
  echo "nspawn-test: debootstrap $SUITE from $mirror into $CACHE/root" >&2
  rm -rf "$CACHE/root"
  mkdir -p "$CACHE"
  if ! timeout 900 debootstrap --variant=minbase --include="$(echo $base_pkgs | tr ' ' ',')" \
        "$SUITE" "$CACHE/root" "$mirror" >"$CACHE/debootstrap.log" 2>&1; then
    tail -n 20 "$CACHE/debootstrap.log" >&2
    bad "debootstrap $SUITE (log: $CACHE/debootstrap.log)"; finish
  fi
  # a quiet, quick boot: no getty on the console of the container
  ln -sf /dev/null "$CACHE/root/etc/systemd/system/console-getty.service"
  echo acdlink-test > "$CACHE/root/etc/hostname"
  touch "$CACHE/.complete"
  how="made by debootstrap"
else
  how="reused"
fi
missing=()
for p in $base_pkgs; do
  dpkg-query --admindir="$CACHE/root/var/lib/dpkg" -W -f='${Status}' "$p" 2>/dev/null |
    grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "nspawn-test: adding ${missing[*]} to the cached root" >&2
  nspawn_run 600 "$CACHE/root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends ${missing[*]}" >"$CACHE/apt.log" 2>&1 ||
    { tail -n 20 "$CACHE/apt.log" >&2; bad "install ${missing[*]} into the cached root"; finish; }
  how="$how, added ${missing[*]}"
fi
ok "base root $CACHE/root ($how, $(( $(date +%s) - t0 )) s)"

# --- a throwaway root for this run -----------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acdlink-nspawn.XXXXXX")
R="$WORK/root"
mkdir -p "$R" "$WORK/upper" "$WORK/work"
NSPID=""
CPID=""
OVERLAY=0
cleanup() {
  if [ -n "$NSPID" ] && kill -0 "$NSPID" 2>/dev/null; then
    [ -n "$CPID" ] && timeout 10 nsenter -t "$CPID" -a systemctl poweroff --no-block >/dev/null 2>&1
    for _ in $(seq 1 100); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$NSPID" 2>/dev/null; then
      kill -TERM "$NSPID" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.2; done
    fi
    if kill -0 "$NSPID" 2>/dev/null; then
      [ -n "$CPID" ] && kill -KILL "$CPID" 2>/dev/null # ends the container's whole PID namespace
      kill -KILL "$NSPID" 2>/dev/null
    fi
    wait "$NSPID" 2>/dev/null
  fi
  NSPID=""
  if [ "$OVERLAY" = 1 ]; then
    umount "$R" 2>/dev/null || umount -l "$R" 2>/dev/null
    OVERLAY=0
  fi
  [ -n "${WORK:-}" ] && [ -d "$WORK" ] && rm -rf "$WORK"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT TERM

if mount -t overlay overlay \
     -o "lowerdir=$CACHE/root,upperdir=$WORK/upper,workdir=$WORK/work" "$R" 2>/dev/null; then
  OVERLAY=1
else
  cp -a "$CACHE/root/." "$R/" || abort "copy the cached root"
fi
cp "$DEB" "$R/root/acdlink-1.deb" && cp "$DEB2" "$R/root/acdlink-2.deb" || abort "copy the packages"

# --- boot ----------------------------------------------------------------------------------
t0=$(date +%s)
systemd-nspawn -q -D "$R" --register=no --keep-unit --private-network -b --console=read-only \
  </dev/null >"$WORK/console.log" 2>&1 &
NSPID=$!
for _ in $(seq 1 150); do # the container's init: nspawn's child that runs systemd
  for c in $(ps -o pid= --ppid "$NSPID" 2>/dev/null); do
    [ "$(cat /proc/"$c"/comm 2>/dev/null)" = systemd ] && CPID=$c
  done
  [ -n "$CPID" ] && break
  kill -0 "$NSPID" 2>/dev/null || break
  sleep 0.2
done
[ -n "$CPID" ] || { cat "$WORK/console.log" >&2; abort "boot: no systemd in the container"; }

cx() { # a command inside the booted container, bounded in time: cx SECONDS CMD...
  local t=$1; shift
  timeout "$t" nsenter -t "$CPID" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    HOME=/root "$@"
}
state=""
for _ in $(seq 1 90); do # the bus may not be up yet: ask again until systemd answers
  state=$(cx 90 systemctl is-system-running --wait 2>/dev/null)
  case "$state" in running | degraded | maintenance | stopping | offline) break ;; esac
  [ $(( $(date +%s) - t0 )) -ge 90 ] && break
  sleep 1
done
if [ "$state" = running ] || [ "$state" = degraded ]; then
  ok "boot systemd in the container ($state, $(( $(date +%s) - t0 )) s)"
  [ "$state" = degraded ] && note "failed units: $(cx 10 systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
else
  cat "$WORK/console.log" >&2
  abort "boot systemd in the container (state: ${state:-none})"
fi

journal() { cx 20 journalctl -u acdlink --no-pager -n "${1:-30}" -o cat | sed 's/^/  journal: /' >&2; }
wait_active() { # until acdlink.service is active, at most $1 s
  local i s
  for i in $(seq 1 $(( $1 * 5 ))); do
    s=$(cx 5 systemctl is-active acdlink 2>/dev/null)
    [ "$s" = active ] && return 0
    [ "$s" = failed ] && return 1
    sleep 0.2
  done
  return 1
}
api() { # api METHOD PATH [JSON]: prints the body, then the status code on the last line
  local m=$1 p=$2 body=${3:-}
  if [ -n "$body" ]; then
    printf '%s' "$body" | cx 20 curl -sS --max-time 15 --cacert /var/lib/acdlink/tls/cert.pem \
      -X "$m" -H 'Content-Type: application/json' --data-binary @- -w '\n%{http_code}' \
      "https://127.0.0.1:$PORT$p"
  else
    cx 20 curl -sS --max-time 15 --cacert /var/lib/acdlink/tls/cert.pem -X "$m" \
      -w '\n%{http_code}' "https://127.0.0.1:$PORT$p"
  fi
}
login() { # login USER PASSWORD: 0 when the API answers 200 with a csrf_token
  local out
  out=$(api POST /api/v1/auth/login "{\"username\":\"$1\",\"password\":\"$2\"}" 2>&1)
  if [ "$(tail -n 1 <<<"$out")" = 200 ] && grep -q '"csrf_token"' <<<"$out"; then
    return 0
  fi
  note "login $1: $(tr '\n' ' ' <<<"$out" | cut -c 1-300)"
  return 1
}
wait_https() { # until GET /api/v1/health answers 200, at most $1 s
  local i
  for i in $(seq 1 $(( $1 * 2 ))); do
    [ "$(api GET /api/v1/health 2>/dev/null | tail -n 1)" = 200 ] && return 0
    sleep 0.5
  done
  return 1
}

# --- install ---------------------------------------------------------------------------------
t0=$(date +%s)
if out=$(cx 120 dpkg -i /root/acdlink-1.deb 2>&1); then
  ok "dpkg -i $(basename "$DEB") under a running systemd ($(( $(date +%s) - t0 )) s)"
else
  echo "$out" | sed 's/^/  dpkg: /' >&2; journal; abort "dpkg -i $(basename "$DEB")"
fi
if grep -q 'initial-admin-password' <<<"$out" && grep -q 'acdlink user passwd' <<<"$out"; then
  ok "install tells how to log in (password file, acdlink user passwd)"
else
  echo "$out" | sed 's/^/  dpkg: /' >&2; bad "install tells how to log in"
fi
if wait_active 30; then
  ok "acdlink.service is active after install"
else
  journal; bad "acdlink.service is active after install ($(cx 5 systemctl is-active acdlink))"
fi
props=$(cx 10 systemctl show acdlink -p Type -p NotifyAccess -p StatusText -p User -p MainPID)
if grep -qx 'Type=notify' <<<"$props" && grep -qx 'StatusText=serving the console and API' <<<"$props"; then
  ok "Type=notify: the daemon reported READY=1 with its status"
else
  bad "Type=notify readiness ($(tr '\n' ' ' <<<"$props"))"
fi
if cx 10 journalctl -u acdlink --no-pager -o cat | grep -q 'listening on https://'; then
  ok "the daemon logs to the journal (journalctl -u acdlink)"
else
  bad "the daemon logs to the journal"
fi
health=$(api GET /api/v1/health 2>/dev/null | head -n 1)
if grep -q '"tzdata_source":"system"' <<<"$health"; then
  ok "time zones from the tzdata package: $(grep -o '"tzdata":"[^"]*"' <<<"$health")"
else
  bad "time zones from the tzdata package (health: $health)"
fi
if out=$(cx 60 systemd-analyze verify --man=no acdlink.service 2>&1) && [ -z "$out" ]; then
  ok "systemd-analyze verify acdlink.service: no complaints"
else
  note "$out"; bad "systemd-analyze verify acdlink.service"
fi
if [ "$(cx 5 systemctl is-enabled acdlink 2>/dev/null)" = enabled ]; then
  ok "acdlink.service is enabled"
else
  bad "acdlink.service is enabled"
fi
mainpid=$(sed -n 's/^MainPID=//p' <<<"$props")
st=$(cx 5 cat "/proc/${mainpid:-0}/status" 2>/dev/null)
uid=$(awk '/^Uid:/ {print $2}' <<<"$st")
acdl_uid=$(cx 5 getent passwd acdlink | cut -d: -f3)
if [ -n "$uid" ] && [ "$uid" = "$acdl_uid" ] && grep -qE '^NoNewPrivs:[[:space:]]+1' <<<"$st" &&
   grep -qE '^Seccomp:[[:space:]]+2' <<<"$st" && grep -qE '^CapEff:[[:space:]]+0+$' <<<"$st"; then
  ok "runs as the system user acdlink (uid $uid) with no capabilities, NoNewPrivs, seccomp"
else
  bad "process sandbox (uid ${uid:-?} vs acdlink ${acdl_uid:-?}; $(grep -E '^(NoNewPrivs|Seccomp|CapEff)' <<<"$st" | tr '\n' ' '))"
fi
sec=$(cx 60 systemd-analyze security acdlink 2>&1)
score=$(sed -n 's/.*Overall exposure level for acdlink.service: \([0-9.]*\).*/\1/p' <<<"$sec")
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
  ok "systemd-analyze security acdlink: exposure $score (at most 2.0)"
else
  tail -n 5 <<<"$sec" >&2; bad "systemd-analyze security acdlink: exposure ${score:-unknown} (at most 2.0)"
fi
perm=$(cx 5 stat -c '%U:%G %a' /var/lib/acdlink 2>/dev/null)
pwperm=$(cx 5 stat -c '%U %a' /var/lib/acdlink/initial-admin-password 2>/dev/null)
if [ "$perm" = "acdlink:acdlink 750" ] && [ "$pwperm" = "acdlink 600" ]; then
  ok "state in /var/lib/acdlink ($perm), initial-admin-password $pwperm"
else
  bad "state permissions (/var/lib/acdlink: ${perm:-missing}; password file: ${pwperm:-missing})"
fi
if cx 5 grep -qx '/etc/acdlink/acdlink.conf' /var/lib/dpkg/info/acdlink.conffiles; then
  ok "/etc/acdlink/acdlink.conf is a conffile"
else
  bad "/etc/acdlink/acdlink.conf is a conffile"
fi
missing_man=""
for sub in serve service user token run backup restore import-xlink config version; do
  cx 5 test -f "/usr/share/man/man1/acdlink-$sub.1.gz" || missing_man="$missing_man acdlink-$sub.1"
done
if [ -z "$missing_man" ] && cx 5 test -f /usr/share/man/man8/acdlink.8.gz; then
  ok "manual pages installed: acdlink(8) and one acdlink-SUBCOMMAND(1) per subcommand"
else
  bad "manual pages installed (missing:${missing_man:- acdlink.8})"
fi

if wait_https 20; then
  h=$(api GET /api/v1/health)
  ok "GET /api/v1/health over HTTPS verified with the generated certificate: $(head -n 1 <<<"$h" | cut -c 1-100)"
else
  api GET /api/v1/health 2>&1 | sed 's/^/  curl: /' >&2; journal; bad "GET /api/v1/health over verified HTTPS"
fi
admin_pw=$(cx 5 cat /var/lib/acdlink/initial-admin-password 2>/dev/null | head -n 1)
if [ -n "$admin_pw" ] && login admin "$admin_pw"; then
  ok "POST /api/v1/auth/login as admin with the initial password"
else
  bad "POST /api/v1/auth/login as admin with the initial password"
fi

# --- upgrade with data in place ------------------------------------------------------------------
user_pw="upgrade-check-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
if out=$(printf '%s\n' "$user_pw" | cx 30 runuser -u acdlink -- acdlink user add keeper --role operator \
           --password-stdin --config /etc/acdlink/acdlink.conf 2>&1) && login keeper "$user_pw"; then
  ok "user created with 'runuser -u acdlink -- acdlink user add' logs in"
else
  note "$out"; bad "user created with 'acdlink user add' logs in"
fi
cert_before=$(cx 10 sha256sum /var/lib/acdlink/tls/cert.pem | cut -d' ' -f1)
key_before=$(cx 10 sha256sum /var/lib/acdlink/secret.key 2>/dev/null | cut -d' ' -f1)
pid_before=$(cx 5 systemctl show -p MainPID --value acdlink)
t0=$(date +%s)
if out=$(cx 120 dpkg -i /root/acdlink-2.deb 2>&1) &&
   [ "$(cx 5 dpkg-query -W -f='${Version}' acdlink)" = "$V2" ]; then
  ok "upgrade $V1 -> $V2 with dpkg -i ($(( $(date +%s) - t0 )) s)"
else
  echo "$out" | sed 's/^/  dpkg: /' >&2; bad "upgrade $V1 -> $V2"
fi
if wait_active 30 && wait_https 20; then
  pid_after=$(cx 5 systemctl show -p MainPID --value acdlink)
  if [ "$pid_after" != "$pid_before" ]; then
    ok "service restarted by the upgrade and answers (pid $pid_before -> $pid_after)"
  else
    bad "service restarted by the upgrade (same pid $pid_after)"
  fi
else
  journal; bad "service active and answering after the upgrade"
fi
if login keeper "$user_pw"; then
  ok "the user created before the upgrade logs in after it"
else
  bad "the user created before the upgrade logs in after it"
fi
if login admin "$admin_pw"; then
  ok "admin still logs in with its password after the upgrade"
else
  bad "admin still logs in with its password after the upgrade"
fi
cert_after=$(cx 10 sha256sum /var/lib/acdlink/tls/cert.pem | cut -d' ' -f1)
key_after=$(cx 10 sha256sum /var/lib/acdlink/secret.key 2>/dev/null | cut -d' ' -f1)
if [ -n "$cert_before" ] && [ "$cert_before" = "$cert_after" ] && [ "$key_before" = "$key_after" ]; then
  ok "certificate and secrets key unchanged by the upgrade"
else
  bad "certificate and secrets key unchanged by the upgrade"
fi

# --- stop, remove, purge -----------------------------------------------------------------------
t0=$(date +%s%N)
if cx 30 systemctl stop acdlink; then
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  sp=$(cx 10 systemctl show acdlink -p Result -p ExecMainCode -p ExecMainStatus | tr '\n' ' ')
  if grep -q 'Result=success' <<<"$sp" && grep -q 'ExecMainStatus=0' <<<"$sp" &&
     cx 10 journalctl -u acdlink --no-pager -o cat -n 20 | grep -q 'main: stopped'; then
    ok "systemctl stop is clean ($ms ms; $sp)"
  else
    journal 10; bad "systemctl stop is clean ($ms ms; $sp)"
  fi
else
  bad "systemctl stop acdlink returned an error"
fi
cx 30 systemctl start acdlink >/dev/null 2>&1
wait_active 30 || bad "start again after stop"
if out=$(cx 120 dpkg -r acdlink 2>&1); then
  s=$(cx 5 systemctl is-active acdlink 2>/dev/null)
  left=$(cx 10 sh -c 'for p in /proc/[0-9]*; do [ "$(stat -c %U "$p" 2>/dev/null)" = acdlink ] && echo "${p#/proc/}"; done')
  if [ "$s" != active ] && [ -z "$left" ] && cx 5 test -f /var/lib/acdlink/acdlink.db &&
     cx 5 test -f /etc/acdlink/acdlink.conf; then
    ok "dpkg -r stops the service ($s) and keeps state and configuration"
  else
    bad "dpkg -r stops the service (state ${s:-?}, processes of acdlink: ${left:-none})"
  fi
else
  echo "$out" | sed 's/^/  dpkg: /' >&2; bad "dpkg -r acdlink"
fi
if out=$(cx 120 dpkg -P acdlink 2>&1); then
  if ! cx 5 test -e /var/lib/acdlink && ! cx 5 test -e /etc/acdlink/acdlink.conf &&
     cx 5 getent passwd acdlink >/dev/null; then
    ok "dpkg -P removes /var/lib/acdlink and the configuration, keeps the system user"
  else
    bad "dpkg -P: /var/lib/acdlink $(cx 5 test -e /var/lib/acdlink && echo left || echo gone), user $(cx 5 getent passwd acdlink >/dev/null && echo kept || echo gone)"
  fi
else
  echo "$out" | sed 's/^/  dpkg: /' >&2; bad "dpkg -P acdlink"
fi

# --- shut down ----------------------------------------------------------------------------------
cx 10 systemctl poweroff --no-block >/dev/null 2>&1
for _ in $(seq 1 150); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$NSPID" 2>/dev/null; then
  bad "container powered off within 30 s"
else
  wait "$NSPID" 2>/dev/null
  NSPID=""
  ok "container powered off"
fi
cleanup
finish
