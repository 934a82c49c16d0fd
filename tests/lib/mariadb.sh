#!/bin/sh
# mariadb.sh: a throwaway MariaDB server on 127.0.0.1 for tests (its own data folder, socket and
# port in a temporary folder; never reads /etc/mysql, never touches the distribution's service).
#
#   mariadb.sh run       start a server, print "PORT <n>", "SOCKET <path>" and "DIR <dir>" on
#                        stdout, then wait until standard input is closed (EOF) and stop the
#                        server and remove its folder. A test keeps a pipe to our stdin open
#                        while it needs the server, so the server also goes away when the test
#                        crashes.
#   mariadb.sh start     start a server and print the same lines; leaves it running
#   mariadb.sh stop DIR  stop the server started by "start" and remove DIR
#
# The server: Debian's mariadbd (its files under /dev/shm when there is one, else $TMPDIR), a
# database "acd", a user "app" with password $MARIADB_TEST_PASSWORD (default below: ; { } and =
# in one value, like pg.sh's) allowed from 127.0.0.1 and over the socket, root over the socket without a password (to load fixtures with
# the mariadb client: mariadb --no-defaults -S SOCKET -u root acd), the session time zone UTC
# (+00:00), no binary log, small InnoDB buffers and no flushing at commit.
# As root the server runs as the "mysql" user (mariadbd refuses root); otherwise as the caller.
# Exits 2 with a message on stderr when MariaDB is not installed: the tests must fail then.
set -eu

PASSWORD=${MARIADB_TEST_PASSWORD:-'pw;with{braces}=x'}
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "mariadb.sh: $1 not found; apt-get install mariadb-server mariadb-client" >&2
        exit 2
    }
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u mysql -- "$@"
    else
        "$@"
    fi
}

# The server's options; the data folder, socket and port come from DIR and $1.
server_opts() {
    echo "--no-defaults --datadir=$DIR/data --socket=$DIR/sock --port=$1 \
--bind-address=127.0.0.1 --pid-file=$DIR/mariadb.pid --log-error=$DIR/error.log \
--skip-name-resolve --skip-log-bin --default-time-zone=+00:00 --character-set-server=utf8mb4 \
--collation-server=utf8mb4_general_ci $(innodb_opts) --performance-schema=OFF --max-connections=50"
}

# Small and unsafe storage settings: the data is thrown away.
innodb_opts() {
    echo "--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-use-native-aio=0"
}

# The folder for the server's files: a memory file system when there is one (fsync costs
# nothing there, which makes mariadb-install-db three times faster), else $TMPDIR.
base_dir() {
    if [ -n "${MARIADB_TEST_TMPDIR:-}" ]; then
        echo "$MARIADB_TEST_TMPDIR"
    elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}

ping_server() {
    mariadb-admin --no-defaults -S "$DIR/sock" -u root --connect-timeout=2 ping >/dev/null 2>&1
}

start_server() {
    [ -x "$MARIADBD" ] || {
        echo "mariadb.sh: MariaDB server not installed ($MARIADBD); apt-get install mariadb-server" >&2
        exit 2
    }
    need mariadb-install-db
    need mariadb-admin
    need mariadb
    if [ "$(id -u)" -eq 0 ] && ! id mysql >/dev/null 2>&1; then
        echo "mariadb.sh: running as root but there is no 'mysql' user to run the server" >&2
        exit 2
    fi
    DIR=$(mktemp -d "$(base_dir)/acdl-mariadb-XXXXXX")
    chmod 0755 "$DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown mysql: "$DIR"
    fi
    user_opt=""
    if [ "$(id -u)" -eq 0 ]; then
        user_opt="--user=mysql"
    fi
    # shellcheck disable=SC2086,SC2046 # the options are words on purpose
    if ! as_owner mariadb-install-db --no-defaults --datadir="$DIR/data" $user_opt \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        --skip-log-bin $(innodb_opts) >"$DIR/install.log" 2>&1; then
        echo "mariadb.sh: mariadb-install-db failed:" >&2
        cat "$DIR/install.log" >&2
        rm -rf "$DIR"
        exit 1
    fi
    # a free port: try from a base derived from our pid; mariadbd exits at once when it is taken
    base=$((21000 + ($$ * 11) % 30000))
    i=0
    while [ $i -lt 30 ]; do
        port=$((base + i * 17))
        # the redirections by exec: a redirected function call would leave dash's saved copies
        # of our stdout open in the server, and "run"'s $(start_server) would wait for them
        # shellcheck disable=SC2046
        (
            exec </dev/null >/dev/null 2>&1
            as_owner "$MARIADBD" $(server_opts "$port") $user_opt
        ) &
        pid=$!
        tries=0
        while [ $tries -lt 300 ]; do # 30 s at most
            if ping_server; then
                break
            fi
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            sleep 0.1
            tries=$((tries + 1))
        done
        if ping_server; then
            if ! mariadb --no-defaults -S "$DIR/sock" -u root >"$DIR/setup.log" 2>&1 <<EOF; then
CREATE DATABASE acd CHARACTER SET utf8mb4;
CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '$(printf '%s' "$PASSWORD" | sed "s/'/''/g")';
CREATE USER 'app'@'localhost' IDENTIFIED BY '$(printf '%s' "$PASSWORD" | sed "s/'/''/g")';
GRANT ALL ON acd.* TO 'app'@'127.0.0.1';
GRANT ALL ON acd.* TO 'app'@'localhost';
EOF
                echo "mariadb.sh: setting up the database failed:" >&2
                cat "$DIR/setup.log" >&2
                stop_server "$DIR"
                exit 1
            fi
            echo "PORT $port"
            echo "SOCKET $DIR/sock"
            echo "DIR $DIR"
            return 0
        fi
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        if ! grep -q -i "bind on tcp/ip port\|address already in use" "$DIR/error.log" 2>/dev/null; then
            break
        fi
        : >"$DIR/error.log"
        i=$((i + 1))
    done
    echo "mariadb.sh: could not start MariaDB; log:" >&2
    tail -n 20 "$DIR/error.log" >&2 || true
    rm -rf "$DIR"
    exit 1
}

stop_server() {
    d=$1
    case "$d" in
    */acdl-mariadb-*) ;;
    *)
        echo "mariadb.sh: refusing to stop/remove $d (not made by mariadb.sh)" >&2
        exit 2
        ;;
    esac
    if [ -f "$d/mariadb.pid" ]; then
        pid=$(cat "$d/mariadb.pid")
        # SIGKILL: the data is thrown away, so nothing needs flushing
        kill -9 "$pid" 2>/dev/null || true
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
            sleep 0.05
            n=$((n + 1))
        done
    fi
    rm -rf "$d"
}

case "${1:-}" in
run)
    out=$(start_server)
    echo "$out"
    DIR=$(echo "$out" | sed -n 's/^DIR //p')
    trap 'stop_server "$DIR"' EXIT
    trap 'exit 1' INT TERM HUP
    # wait for EOF on stdin (the test closed its end or died)
    cat >/dev/null || true
    ;;
start)
    start_server
    ;;
stop)
    [ $# -eq 2 ] || {
        echo "usage: mariadb.sh stop DIR" >&2
        exit 2
    }
    stop_server "$2"
    ;;
*)
    echo "usage: mariadb.sh run | start | stop DIR" >&2
    exit 2
    ;;
esac
