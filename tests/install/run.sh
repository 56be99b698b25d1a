#!/usr/bin/env bash
# make test-install: akms installed as a user would install it, and used from outside the
# repository. Into a staging DESTDIR: every file at its place, the SONAME, only akms_* exported,
# and uninstall removing everything. Into a temporary PREFIX: a C program built with
# `pkg-config --cflags --libs akms` (shared) and one linked statically (pkg-config --static),
# the C++ test against the installed akms.hpp, the Go binding built with -tags akms_pkgconfig,
# and the installed akms command.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/install
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MAKE=${MAKE:-make}
step() { echo "== test-install: $*"; }
die() { echo "test-install: FAIL: $*" >&2; exit 1; }

abi=$(sed -n 's/^pub const AKMS_ABI_VERSION: u32 = \([0-9]*\);/\1/p' "$repo/src/ffi/version.rs")
[ -n "$abi" ] || die "no AKMS_ABI_VERSION in src/ffi/version.rs"
files=(lib/libakms.so.$abi lib/libakms.so lib/libakms.a include/akms.h include/akms.hpp
       lib/pkgconfig/akms.pc bin/akms)

step "make install DESTDIR (staging) PREFIX=/opt/akms"
$MAKE -s -C "$repo" install PREFIX=/opt/akms DESTDIR="$work/stage" >/dev/null
staged=$work/stage/opt/akms
for f in "${files[@]}"; do [ -e "$staged/$f" ] || die "$f is not installed"; done
[ "$(readlink "$staged/lib/libakms.so")" = "libakms.so.$abi" ] || die "libakms.so is not a link to libakms.so.$abi"
grep -qx 'prefix=/opt/akms' "$staged/lib/pkgconfig/akms.pc" || die "akms.pc names another prefix"
readelf -d "$staged/lib/libakms.so.$abi" | grep -q "Library soname: \[libakms.so.$abi\]" \
  || die "SONAME is not libakms.so.$abi: $(readelf -d "$staged/lib/libakms.so.$abi" | grep SONAME)"
others=$(nm -D --defined-only "$staged/lib/libakms.so.$abi" | awk '{print $NF}' | grep -v '^akms_' || true)
[ -z "$others" ] || die "libakms.so exports symbols other than akms_*: $others"
exported=$(nm -D --defined-only "$staged/lib/libakms.so.$abi" | grep -c ' akms_')
echo "   SONAME libakms.so.$abi; $exported symbols exported, all akms_*"
$MAKE -s -C "$repo" uninstall PREFIX=/opt/akms DESTDIR="$work/stage"
left=$(find "$work/stage" -type f -o -type l)
[ -z "$left" ] || die "make uninstall left: $left"

prefix=$work/prefix
step "make install PREFIX=$prefix"
$MAKE -s -C "$repo" install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
app=$work/app
mkdir -p "$app"
cp "$here/app.c" "$app/"
cd "$app"

step "C, shared: cc app.c \$(pkg-config --cflags --libs akms)"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror app.c -o app $(pkg-config --cflags --libs akms) -Wl,-rpath,"$prefix/lib"
readelf -d app | grep -q "Shared library: \[libakms.so.$abi\]" || die "app does not need libakms.so.$abi"
out=$(./app)
echo "   $out"
[ "$out" = "abi=$abi version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1) valid=true" ] \
  || die "app printed $out"

step "C, static: libakms.a with pkg-config --static"
static_libs=$(pkg-config --static --libs akms | sed 's/-lakms\b/-l:libakms.a/')
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror app.c -o app_static $(pkg-config --cflags akms) $static_libs
if readelf -d app_static | grep -q 'libakms'; then die "app_static needs a shared libakms"; fi
env -u LD_LIBRARY_PATH ./app_static | grep -q "valid=true" || die "app_static failed"
echo "   $(env -u LD_LIBRARY_PATH ./app_static)"

step "C++: tests/cpp against the installed akms.hpp"
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -Werror "$repo/tests/cpp/test_store.cpp" -o test_store \
  $(pkg-config --cflags --libs akms) -Wl,-rpath,"$prefix/lib"
AKMS_KDF_PARAMS=m=8,t=1,p=1 ./test_store
grep -q "$prefix/include" <(c++ -std=c++17 -H -fsyntax-only $(pkg-config --cflags akms) "$repo/tests/cpp/test_store.cpp" 2>&1 | grep 'akms.hpp') \
  || die "the C++ test did not use the installed akms.hpp"

step "Go: the binding with -tags akms_pkgconfig"
mkdir -p "$work/gomod"
cp "$here/main.go.txt" "$work/gomod/main.go"
printf 'module akms-installed\n\ngo 1.24\n\nrequire akms v0.0.0\n\nreplace akms => %s\n' \
  "$repo/bindings/go" > "$work/gomod/go.mod"
(cd "$work/gomod" && CGO_LDFLAGS="-Wl,-rpath,$prefix/lib" go build -tags akms_pkgconfig -o "$work/gobin" .)
runpath=$(readelf -d "$work/gobin" | grep -E 'RUNPATH|RPATH' || true)
case "$runpath" in
  *target/release*) die "the Go program links the repository's library: $runpath" ;;
  *"$prefix/lib"*) ;;
  *) die "the Go program has no rpath to $prefix/lib: $runpath" ;;
esac
echo "   $("$work/gobin")"

step "the installed akms command"
"$prefix/bin/akms" --version
AKMS_PASSPHRASE=x AKMS_KDF_PARAMS=m=8,t=1,p=1 "$prefix/bin/akms" --store "$work/s.akms" list-keys

$MAKE -s -C "$repo" uninstall PREFIX="$prefix"
for f in "${files[@]}"; do [ ! -e "$prefix/$f" ] || die "make uninstall left $f"; done
step "ok"
