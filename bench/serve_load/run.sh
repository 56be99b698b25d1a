#!/usr/bin/env bash
# akms serve against local-kms, in the same run, under the same SigV4-signing load generator:
# Sign on a P-256 key, Sign on an RSA-2048 key, GetPublicKey; N keep-alive clients, fixed time.
# Both servers and the generator run inside a network namespace of their own (unshare -n, only
# lo up): local-kms binds every interface.
#
#   bench/serve_load/run.sh [SECONDS_PER_ROW] [CLIENTS]      default: 10 s, 16 clients
#
# Needs root (unshare), Go, and a Rust toolchain. Builds akms (release), the generator (Rust, its
# own package here, target/ beside it), and local-kms (go install, pinned) into a temp dir.
# AKMS_SERVE_ARGS adds options to akms serve (e.g. "--store FILE" instead of the default
# --memory). Not run in CI.
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
    AKMS_BENCH_INNER=1 AKMS_BENCH_TMP="$tmp" unshare -n "$(pwd)/run.sh" "$@"
    exit
fi

ip link set lo up
akms=$(cd ../.. && pwd)/target/release/akms
echo '{"AccessKeys": [{"AccessKeyId": "bench", "AccessKeySecret": "bench-secret"}]}' > "$tmp/creds.json"
# shellcheck disable=SC2086
"$akms" serve ${AKMS_SERVE_ARGS:---memory} --listen 127.0.0.1:0 --credentials "$tmp/creds.json" --audit-log "$tmp/audit.jsonl" > "$tmp/akms.out" &
akms_pid=$!
PORT=18090 KMS_REGION=us-east-1 KMS_DATA_PATH="$tmp/lkms" "$tmp/local-kms" > "$tmp/lkms.log" 2>&1 &
lkms_pid=$!
trap 'kill $akms_pid $lkms_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q 'listening on' "$tmp/akms.out" 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/18090) 2>/dev/null && break
    sleep 0.1
done
akms_url=$(sed -n 's/^akms serve: listening on //p' "$tmp/akms.out")

echo "serve_load: $clients keep-alive clients, ${secs}s per row, $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
"$tmp/serve_load" --clients "$clients" --seconds "$secs" ${AKMS_BENCH_ROWS:+--rows "$AKMS_BENCH_ROWS"} \
    --target "akms=$akms_url@$akms_pid" --target "local-kms=http://127.0.0.1:18090@$lkms_pid"
