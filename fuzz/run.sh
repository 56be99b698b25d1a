#!/usr/bin/env bash
# Builds every cargo-fuzz target (AddressSanitizer, optimized) and runs each for a bounded time,
# starting from its committed seeds. Fails on the first crash, leak, timeout or out-of-memory;
# prints the executions each target reached.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      default: 30 s, every target
#
# Works on the stable toolchain: RUSTC_BOOTSTRAP=1 lets it take the -Zsanitizer flags that
# cargo fuzz passes. Installs cargo-fuzz (pinned) when it is missing. A crashing input is kept in
# fuzz/artifacts/<target>/; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -O <target> fuzz/artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
shift || true
export RUSTC_BOOTSTRAP=1
CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    # Every [[bin]] of fuzz/Cargo.toml but the seed generator.
    mapfile -t targets < <(cargo fuzz list | grep -vx make_seeds)
fi

start=$(date +%s)
cargo fuzz build -O
echo "fuzz: build took $(( $(date +%s) - start )) s"

logs=fuzz/logs
mkdir -p "$logs"
summary=()
status=0
for t in "${targets[@]}"; do
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus"
    dirs=("$corpus")
    [ -d "fuzz/seeds/$t" ] && dirs+=("fuzz/seeds/$t")
    echo "== fuzz $t for ${secs}s"
    # -timeout: one input taking 20 s is a hang; -rss_limit_mb: the machine has room, ASan
    # quarantine needs some. Leaks are reported by LeakSanitizer after each input.
    if cargo fuzz run -O "$t" "${dirs[@]}" -- \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        tail -60 "$logs/$t.log"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1 || true)
    cov=$({ grep -o 'cov: [0-9]*' "$logs/$t.log" || true; } | tail -1 | cut -d' ' -f2)
    line=$(printf '%-12s %-7s executions=%-9s coverage=%s' "$t" "$result" "${execs:-?}" "${cov:-?}")
    echo "$line"
    summary+=("$line")
done

echo "== fuzz summary (${secs}s per target, $(( $(date +%s) - start )) s in all)"
printf '%s\n' "${summary[@]}"
exit $status
