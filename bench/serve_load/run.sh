#!/usr/bin/env bash
# akms serve against local-kms, in the same run, under the same SigV4-signing load generator:
# Sign on a P-256 key, Sign on an RSA-2048 key, GetPublicKey; N keep-alive clients, fixed time.
# Both servers and the generator run inside a network namespace of their own (unshare -n, only
# lo up): local-kms binds every interface.
#
#   bench/serve_load/run.sh [SECONDS_PER_ROW] [CLIENTS]      default: 10 s, 16 clients
#
# One run prints a table per CPU placement (AKMS_BENCH_PLACEMENTS, default "split,shared"), each
# with every row against both servers. For each placement both servers are started afresh under
# taskset -c, so that each sizes its thread pools for the CPUs it is given (tokio's workers and
# akms's RSA threads; the Go runtime's GOMAXPROCS), and the generator runs under taskset -c:
#   split   servers on CPU 0, the generator on CPU 1 with --spin (its event loop busy-polls, so
#           the server's send never has to wake a sleeping generator thread: on loopback that
#           wake-up is charged to the server's system time, a cost a real network never puts on
#           it). Skipped on a machine with fewer than 2 CPUs.
#   shared  servers and generator on all CPUs, the generator's poll blocking as usual.
#
# Needs root (unshare), Go, taskset, and a Rust toolchain. Builds akms (release), the generator
# (Rust, its own package here, target/ beside it), and local-kms (go install, pinned) into a temp
# dir. AKMS_SERVE_ARGS adds options to akms serve (e.g. "--store FILE" instead of the default
# --memory); AKMS_BENCH_ROWS picks rows (e.g. "sign-p256,getpublickey"). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
clients=${2:-16}
LOCAL_KMS_VERSION=v0.0.0-20260228092603-2a5e92d09ab6
tmp=${AKMS_BENCH_TMP:-}

if [ -z "${AKMS_BENCH_INNER:-}" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd ../.. && cargo build --release -q -p akms-cli)
    cargo build --release -q --manifest-path Cargo.toml
    cp target/release/serve_load "$tmp/serve_load"
    GOBIN="$tmp" go install "github.com/nsmithuk/local-kms@$LOCAL_KMS_VERSION"
    # The library's own rate for the two Sign rows, on one CPU (bench.c; needs the OpenSSL
    # headers): what the server's figures are measured against.
    if make -s -C .. build/bench > /dev/null 2>&1; then
        echo "the library in-process (bench/build/bench, one CPU, ops/s):"
        taskset -c 0 ../build/bench -t 0.5 -r 3 -C -f _SHA_256 2>/dev/null |
            grep -E '^\| (EC_P256|RSA_2048) \| (ECDSA_SHA_256|RSA_PKCS1_SHA_256) \| sign' |
            awk -F' *[|] *' '{ printf "  %s %s sign: akms %s/s, OpenSSL %s/s\n", $2, $3, $5, $6 }'
    fi
    AKMS_BENCH_INNER=1 AKMS_BENCH_TMP="$tmp" unshare -n "$(pwd)/run.sh" "$@"
    exit
fi

ip link set lo up
akms=$(cd ../.. && pwd)/target/release/akms
echo '{"AccessKeys": [{"AccessKeyId": "bench", "AccessKeySecret": "bench-secret"}]}' > "$tmp/creds.json"
akms_pid= lkms_pid=
stop_servers() {
    kill $akms_pid $lkms_pid 2>/dev/null || true
    wait $akms_pid $lkms_pid 2>/dev/null || true
}
trap stop_servers EXIT

# Starts both servers on CPUs $1, so that each sizes its thread pools (tokio's workers and
# akms's RSA threads; Go's GOMAXPROCS) for the CPUs it is given, as it would be deployed.
start_servers() {
    rm -f "$tmp/akms.out"
    # shellcheck disable=SC2086
    taskset -c "$1" "$akms" serve ${AKMS_SERVE_ARGS:---memory} --listen 127.0.0.1:0 \
        --credentials "$tmp/creds.json" --audit-log "$tmp/audit.jsonl" > "$tmp/akms.out" &
    akms_pid=$!
    PORT=18090 KMS_REGION=us-east-1 KMS_DATA_PATH="$tmp/lkms-$1" taskset -c "$1" "$tmp/local-kms" \
        > "$tmp/lkms.log" 2>&1 &
    lkms_pid=$!
    for _ in $(seq 100); do
        grep -q 'listening on' "$tmp/akms.out" 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/18090) 2>/dev/null && break
        sleep 0.1
    done
    akms_url=$(sed -n 's/^akms serve: listening on //p' "$tmp/akms.out")
}

echo "serve_load: $clients keep-alive clients, ${secs}s per row, $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
last_cpu=$(($(nproc) - 1))
placements=${AKMS_BENCH_PLACEMENTS:-split,shared}
for placement in ${placements//,/ }; do
    case $placement in
        split)
            if [ "$last_cpu" -lt 1 ]; then
                echo "placement split: skipped, it needs 2 CPUs"
                continue
            fi
            server_cpus=0 gen_cpus=1 spin=--spin
            heading="placement split: servers on CPU 0, generator on CPU 1 (--spin)" ;;
        shared)
            server_cpus=0-$last_cpu gen_cpus=0-$last_cpu spin=
            heading="placement shared: servers and generator on all CPUs" ;;
        *)
            echo "run.sh: unknown placement $placement (split, shared)" >&2
            exit 1 ;;
    esac
    start_servers "$server_cpus"
    echo
    echo "$heading"
    echo
    # shellcheck disable=SC2086
    taskset -c "$gen_cpus" "$tmp/serve_load" $spin --clients "$clients" --seconds "$secs" \
        ${AKMS_BENCH_ROWS:+--rows "$AKMS_BENCH_ROWS"} \
        --target "akms=$akms_url@$akms_pid" --target "local-kms=http://127.0.0.1:18090@$lkms_pid"
    stop_servers
done
