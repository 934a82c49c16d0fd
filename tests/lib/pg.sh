#!/bin/sh
# pg.sh: a throwaway PostgreSQL cluster on 127.0.0.1 for tests (never touches /etc or the
# distribution's own clusters).
#
#   pg.sh run            start a cluster, print "PORT <n>" and "DIR <dir>" on stdout, then wait
#                        until standard input is closed (EOF) and stop the cluster and remove
#                        its folder. A test keeps a pipe to our stdin open while it needs the
#                        cluster, so the cluster also goes away when the test crashes.
#   pg.sh start          start a cluster and print "PORT <n>" and "DIR <dir>"; leaves it running
#   pg.sh stop DIR       stop the cluster started by "start" and remove DIR
#
# The cluster: PostgreSQL 15 (or the newest found) from /usr/lib/postgresql/*/bin or $PG_BINDIR,
# superuser "app" with password $PG_TEST_PASSWORD (default below; the ODBC test uses it to check
# that values with ; and braces survive the connection string), scram-sha-256 over TCP and trust
# on the Unix socket in DIR, fsync=off, a free port chosen from a range.
# initdb refuses to run as root, so as root the server runs as the "postgres" user (runuser).
# Exits 2 with a message on stderr when PostgreSQL is not installed: the tests must fail then.
set -eu

PASSWORD=${PG_TEST_PASSWORD:-'pw;with{braces}=x'}

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then
        echo "$PG_BINDIR"
        return 0
    fi
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
        echo /usr/lib/postgresql/15/bin
        return 0
    fi
    best=""
    bestv=0
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] || continue
        v=$(basename "$(dirname "$d")")
        case $v in *[!0-9]*) continue ;; esac
        if [ "$v" -gt "$bestv" ]; then
            best=$d
            bestv=$v
        fi
    done
    [ -n "$best" ] || return 1
    echo "$best"
}

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_cluster() {
    BIN=$(find_bindir) || {
        echo "pg.sh: PostgreSQL server not installed (no initdb in /usr/lib/postgresql/*/bin);" \
            "apt-get install postgresql" >&2
        exit 2
    }
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "pg.sh: running as root but there is no 'postgres' user to run the server" >&2
        exit 2
    fi
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/acdl-pg-XXXXXX")
    chmod 0755 "$DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$DIR"
    fi
    pwfile="$DIR/pwfile"
    printf '%s\n' "$PASSWORD" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$pwfile"
    fi
    chmod 0600 "$pwfile"
    if ! as_owner "$BIN/initdb" -D "$DIR/data" -U app --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=trust --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$DIR/initdb.log" 2>&1; then
        echo "pg.sh: initdb failed:" >&2
        cat "$DIR/initdb.log" >&2
        rm -rf "$DIR"
        exit 1
    fi
    rm -f "$pwfile"
    # a free port: try from a base derived from our pid; pg_ctl fails fast when it is taken
    base=$((20000 + ($$ * 7) % 30000))
    i=0
    while [ $i -lt 30 ]; do
        port=$((base + i * 13))
        if as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w -t 20 \
            -o "-k $DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off \
                -c full_page_writes=off -c synchronous_commit=off" \
            start >/dev/null 2>&1; then
            echo "PORT $port"
            echo "DIR $DIR"
            return 0
        fi
        i=$((i + 1))
    done
    echo "pg.sh: could not start PostgreSQL on any port tried; log:" >&2
    tail -n 20 "$DIR/pg.log" >&2 || true
    rm -rf "$DIR"
    exit 1
}

stop_cluster() {
    d=$1
    BIN=$(find_bindir) || exit 2
    case "$d" in
    */acdl-pg-*) ;;
    *)
        echo "pg.sh: refusing to stop/remove $d (not made by pg.sh)" >&2
        exit 2
        ;;
    esac
    if [ -f "$d/data/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$d/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$d"
}

case "${1:-}" in
run)
    out=$(start_cluster)
    echo "$out"
    DIR=$(echo "$out" | sed -n 's/^DIR //p')
    trap 'stop_cluster "$DIR"' EXIT
    trap 'exit 1' INT TERM HUP
    # wait for EOF on stdin (the test closed its end or died)
    cat >/dev/null || true
    ;;
start)
    start_cluster
    ;;
stop)
    [ $# -eq 2 ] || {
        echo "usage: pg.sh stop DIR" >&2
        exit 2
    }
    stop_cluster "$2"
    ;;
*)
    echo "usage: pg.sh run | start | stop DIR" >&2
    exit 2
    ;;
esac
