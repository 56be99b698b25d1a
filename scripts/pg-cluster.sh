#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and benchmarks of PostgreSQL stores.
#
#   scripts/pg-cluster.sh start DIR [PID]      create (first time) and start a cluster in DIR;
#                                              prints its URI on standard output; with PID, a
#                                              watcher destroys the cluster once PID has exited
#                                              (however it ended: a test killed, a panic)
#   scripts/pg-cluster.sh stop DIR [MODE]      stop it (MODE: fast (default), immediate)
#   scripts/pg-cluster.sh uri DIR              print the URI of the cluster in DIR
#   scripts/pg-cluster.sh destroy DIR          stop it if running, remove DIR
#
# The cluster listens on 127.0.0.1 only, on a free port chosen at creation (kept in DIR/port,
# so a stopped cluster starts again on the same port), with password authentication
# (scram-sha-256) for the user `akms` and TLS on, with a self-signed certificate for
# localhost / 127.0.0.1 (DIR/ca.crt: give it as sslrootcert= to verify it). The server refuses
# to run as root, so when run as root the cluster belongs to the `postgres` user
# (runuser -u postgres --). The URI (DIR/uri) is
#   postgresql://akms:PASSWORD@127.0.0.1:PORT/akms?sslmode=require
# Needs initdb and pg_ctl (Debian: package postgresql, binaries in /usr/lib/postgresql/V/bin).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,8p' "$0" >&2; exit 2; }
if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi

# initdb, pg_ctl, psql: from PATH, else Debian's versioned directory (newest first).
pg_bin() {
    if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        [ -x "$d/$1" ] && { echo "$d/$1"; return; }
    done
    echo "pg-cluster: $1 not found (install PostgreSQL: apt-get install postgresql)" >&2
    exit 1
}

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running() {
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$(pg_bin pg_ctl)" -D "$dir/data" status >/dev/null 2>&1
}

create() {
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    local password port
    password=$(openssl rand -hex 16)
    port=$(free_port)
    if [ "$(id -u)" = 0 ]; then
        # The owner must reach DIR (a root-made temp dir is 0700) and own its files.
        chmod 0755 "$dir"
        chown postgres: "$dir"
    fi
    umask 077
    printf '%s\n' "$password" >"$dir/password"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/password"
    as_owner "$(pg_bin initdb)" -D "$dir/data" -U akms --pwfile="$dir/password" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A self-signed CA (DIR/ca.crt) and the server's certificate from it, for localhost and
    # 127.0.0.1 (a CA certificate cannot serve as the server's own: rustls refuses it).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=akms test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=localhost" -keyout "$dir/data/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 30 -extfile "$dir/server.ext" -out "$dir/data/server.crt" 2>/dev/null
    chmod 0644 "$dir/ca.crt"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/data/server.key" "$dir/data/server.crt"; fi
    cat >>"$dir/data/postgresql.conf" <<EOF

# scripts/pg-cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
max_connections = 200
EOF
    # TCP on 127.0.0.1 only, password (SCRAM) for everyone; the socket is for the owner.
    cat >"$dir/data/pg_hba.conf" <<EOF
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
EOF
    echo "$port" >"$dir/port"
    echo "postgresql://akms:$password@127.0.0.1:$port/akms?sslmode=require" >"$dir/uri"
    start_server
    PGPASSWORD=$password "$(pg_bin psql)" -q -h 127.0.0.1 -p "$port" -U akms -d postgres \
        -c "CREATE DATABASE akms" >/dev/null
}

start_server() {
    as_owner "$(pg_bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { tail -20 "$dir/server.log" >&2; exit 1; }
}

# Destroys the cluster once process $1 has exited, in the background, detached.
watch_owner() {
    local pid=$1 self
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    setsid bash -c "while kill -0 $pid 2>/dev/null; do sleep 1; done; '$self' destroy '$dir'" \
        </dev/null >/dev/null 2>&1 &
}

case "$cmd" in
    start)
        if [ -f "$dir/uri" ]; then
            running || start_server
        else
            create
        fi
        if [ -n "${3:-}" ]; then watch_owner "$3"; fi
        cat "$dir/uri"
        ;;
    stop)
        mode=${3:-fast}
        if running; then
            as_owner "$(pg_bin pg_ctl)" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
        fi
        ;;
    uri)
        cat "$dir/uri"
        ;;
    destroy)
        if running; then
            as_owner "$(pg_bin pg_ctl)" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null || true
        fi
        rm -rf "$dir"
        ;;
    *)
        sed -n '2,8p' "$0" >&2
        exit 2
        ;;
esac
