#!/usr/bin/env bash
# Builds the C test programs and C examples with AddressSanitizer + UndefinedBehaviorSanitizer
# (LeakSanitizer on) and runs them against the release libakms.so. The Rust library itself is
# not instrumented; ASan/LSan still see every heap block it allocates, since it uses the C
# allocator, so a leak of a library-owned buffer (a string or akms_bytes never freed, or freed
# twice) fails the run. (valgrind runs the same programs in `make test-c`.)
#
#   scripts/ci-sanitizers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${CC:-cc}
out=tests/c/build-asan
mkdir -p "$out"
cargo build --release
libdir=$PWD/target/release
flags=(-std=c11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer
       -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude)
libs=(-L"$libdir" -lakms -lpthread -Wl,-rpath,"$libdir")

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

passed=0
failed=0
for src in tests/c/test_*.c examples/c/*.c; do
    name=$(basename "$src" .c)
    "$CC" "${flags[@]}" "$src" -o "$out/$name" "${libs[@]}"
    echo "== $name (ASan+UBSan+LSan)"
    # Examples may write files; run them in a scratch directory.
    if (cd "$(mktemp -d)" && "$OLDPWD/$out/$name"); then
        passed=$((passed + 1))
    else
        echo "sanitizers: $name FAILED"
        failed=$((failed + 1))
    fi
done
echo "sanitizers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
