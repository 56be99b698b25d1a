#!/usr/bin/env python3
"""Per-call cost of the Python binding over the same call from C.

Not a test (nothing is asserted): prints, for each operation, the median time per
call from C, from a bare ctypes call (this benchmark's own prototypes: what any
ctypes caller pays) and through ``akms.Store``, and the median of the paired
difference Store - C, which is the binding's overhead per call. A fourth series
makes the same C call once per iteration of a Python loop (timed inside C): the
difference to the tight C loop is what caches and branch predictors cooled by
any Python code between calls cost the library itself.

Both sides run in this one process, on the same store, key and inputs: the C
loops are a small shared library compiled here with ``cc`` and linked against the
very libakms that ``akms`` loaded, called once per round through ctypes (timed
inside C). Each round runs the four series of ``n`` calls one after the other, in
a new (seeded) random order each round. Time is the thread's CPU time on both sides
(CLOCK_THREAD_CPUTIME_ID, ``time.thread_time``), so time spent preempted by other
load is not counted; rounds are short and many, so the medians skip the rounds
that other load still disturbed (caches, the sibling core), and the pairing
cancels slow drifts.

    python bindings/python/bench_overhead.py [--rounds 201] [--scale 1.0]

Keys: EC_P256 (ECDSA_SHA_256, DIGEST) for sign and verify, RSA_2048
(RSAES_OAEP_SHA_256, 32-byte plaintext) for encrypt and decrypt; the store holds
those two keys when list_keys runs.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from ctypes import POINTER, c_char_p, c_double, c_long, c_size_t, c_uint32, c_void_p
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
if os.environ.get("AKMS_BENCH_INSTALLED") != "1":
    sys.path.insert(0, str(HERE / "src"))  # this checkout's binding, not an installed one

import akms  # noqa: E402
from akms import _ffi  # noqa: E402

REPO = HERE.parents[1]

C_LOOPS = r"""
#include <stdint.h>
#include <time.h>
#include "akms.h"

/* This thread's CPU time, like Python's time.thread_time(); for single calls the monotonic
   clock instead (a vDSO read, where the CPU-time clock is a system call that would weigh on
   a 1 µs call). */
static clockid_t clock_id = CLOCK_THREAD_CPUTIME_ID;
void use_monotonic_clock(int on) { clock_id = on ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID; }
static double now(void) {
    struct timespec ts; clock_gettime(clock_id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
/* Each loop makes n calls as a C program would (freeing every output) and returns the
   seconds they took, or -1 if a call failed. */
#define LOOP(body) do { double t = now(); for (long i = 0; i < n; i++) { body } return now() - t; } while (0)
#define OK(x) if ((x) != AKMS_OK) return -1;

double loop_describe_key(akms_store *s, const char *key, long n) {
    LOOP(char *j; OK(akms_describe_key(s, key, &j)) akms_string_free(j););
}
double loop_list_keys(akms_store *s, long n) {
    LOOP(char *j; OK(akms_list_keys(s, &j)) akms_string_free(j););
}
double loop_list_key_versions(akms_store *s, const char *key, long n) {
    LOOP(char *j; OK(akms_list_key_versions(s, key, &j)) akms_string_free(j););
}
double loop_get_public_key(akms_store *s, const char *key, const char *ver, long n) {
    LOOP(char *p; OK(akms_get_public_key(s, key, ver, &p)) akms_string_free(p););
}
double loop_sign(akms_store *s, const char *key, const char *ver, uint32_t alg,
                 const uint8_t *d, size_t len, long n) {
    LOOP(akms_bytes b = {0}; OK(akms_asymmetric_sign(s, key, ver, alg, AKMS_MESSAGE_DIGEST, d, len, &b))
         akms_bytes_free(&b););
}
double loop_verify(akms_store *s, const char *key, const char *ver, uint32_t alg,
                   const uint8_t *d, size_t len, const uint8_t *sig, size_t sig_len, long n) {
    LOOP(bool ok = false; OK(akms_asymmetric_verify(s, key, ver, alg, AKMS_MESSAGE_DIGEST, d, len, sig, sig_len, &ok))
         if (!ok) return -1;);
}
double loop_encrypt(akms_store *s, const char *key, const char *ver, uint32_t alg,
                    const uint8_t *pt, size_t len, long n) {
    LOOP(akms_bytes b = {0}; OK(akms_asymmetric_encrypt(s, key, ver, alg, pt, len, &b)) akms_bytes_free(&b););
}
double loop_decrypt(akms_store *s, const char *key, const char *ver, uint32_t alg,
                    const uint8_t *ct, size_t len, long n) {
    LOOP(akms_bytes b = {0}; OK(akms_asymmetric_decrypt(s, key, ver, alg, ct, len, &b)) akms_bytes_free(&b););
}
"""

_S = _ffi.store_p
_B = c_char_p
SIGNATURES = {
    "loop_describe_key": [_S, _B, c_long],
    "loop_list_keys": [_S, c_long],
    "loop_list_key_versions": [_S, _B, c_long],
    "loop_get_public_key": [_S, _B, _B, c_long],
    "loop_sign": [_S, _B, _B, c_uint32, _B, c_size_t, c_long],
    "loop_verify": [_S, _B, _B, c_uint32, _B, c_size_t, _B, c_size_t, c_long],
    "loop_encrypt": [_S, _B, _B, c_uint32, _B, c_size_t, c_long],
    "loop_decrypt": [_S, _B, _B, c_uint32, _B, c_size_t, c_long],
}


_loops: Any = None  # the compiled loops library


def compile_loops(workdir: Path) -> ctypes.CDLL:
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    header = REPO / "include" / "akms.h"
    if not cc or not header.is_file():
        raise SystemExit(f"bench_overhead: needs a C compiler (found {cc}) and {header}")
    lib = Path(akms.library_path)
    src, so = workdir / "loops.c", workdir / "loops.so"
    src.write_text(C_LOOPS)
    subprocess.run(
        [cc, "-O2", "-std=c11", "-D_POSIX_C_SOURCE=199309L", "-shared", "-fPIC", "-I", str(header.parent),
         str(src), "-o", str(so), str(lib), f"-Wl,-rpath,{lib.parent}"],
        check=True,
    )
    global _loops
    loops = _loops = ctypes.CDLL(str(so))
    loops.use_monotonic_clock.argtypes, loops.use_monotonic_clock.restype = [ctypes.c_int], None
    for name, argtypes in SIGNATURES.items():
        fn = getattr(loops, name)
        fn.argtypes, fn.restype = argtypes, c_double
    return loops


Op = Tuple[Callable[[int], float], Callable[[], object], Callable[[], object], int]
# (C loop of n calls, one bare ctypes call, one akms.Store call, n)


def python_loop(call: Callable[[], object], n: int) -> float:
    t = time.thread_time()
    for _ in range(n):
        call()
    return time.thread_time() - t


def cold_c_loop(c_loop: Callable[[int], float], n: int) -> float:
    """n single C calls, each timed inside C, one per iteration of a Python loop: the C call
    alone, but starting from the caches and predictors that Python's work between calls leaves."""
    total = 0.0
    _loops.use_monotonic_clock(1)
    try:
        for _ in range(n):
            total += c_loop(1)
    finally:
        _loops.use_monotonic_clock(0)
    return total


def measure(op: Op, rounds: int) -> Tuple[float, float, float, float, float, float]:
    """Median µs per call: C (tight loop), C (one call per Python iteration), bare ctypes,
    akms.Store, and the paired differences Store - C and Store - C one per iteration."""
    c_loop, bare, call, n = op
    c_loop(max(1, n // 10))  # warm up every path
    python_loop(bare, max(1, n // 10))
    python_loop(call, max(1, n // 10))
    series: Dict[str, List[float]] = {"c": [], "cold": [], "bare": [], "store": []}
    steps = [("c", lambda: c_loop(n)), ("cold", lambda: cold_c_loop(c_loop, n)),
             ("bare", lambda: python_loop(bare, n)), ("store", lambda: python_loop(call, n))]
    order = random.Random(0)  # a new order each round: no series always follows the same one
    for _ in range(rounds):
        order.shuffle(steps)
        for name, step in steps:
            t = step()
            if t < 0:
                raise SystemExit("bench_overhead: a C call failed")
            series[name].append(t / n * 1e6)
    over = [p - c for p, c in zip(series["store"], series["c"])]
    over_cold = [p - c for p, c in zip(series["store"], series["cold"])]
    med = statistics.median
    return (med(series["c"]), med(series["cold"]), med(series["bare"]), med(series["store"]),
            med(over), med(over_cold))


class _Bytes(ctypes.Structure):
    _fields_ = [("data", POINTER(ctypes.c_char)), ("len", c_size_t)]


def bare_library() -> ctypes.CDLL:
    """The loaded libakms again, with this benchmark's own prototypes (the store as void *):
    what a minimal ctypes caller pays, independent of the binding's version."""
    lib = ctypes.CDLL(akms.library_path)
    out, v = POINTER(c_char_p), c_void_p
    for name, args in {
        "akms_describe_key": [v, c_char_p, out], "akms_list_keys": [v, out],
        "akms_list_key_versions": [v, c_char_p, out], "akms_get_public_key": [v, c_char_p, c_char_p, out],
        "akms_asymmetric_sign": [v, c_char_p, c_char_p, c_uint32, c_uint32, c_char_p, c_size_t, POINTER(_Bytes)],
        "akms_asymmetric_verify": [v, c_char_p, c_char_p, c_uint32, c_uint32, c_char_p, c_size_t, c_char_p,
                                   c_size_t, POINTER(ctypes.c_bool)],
        "akms_asymmetric_encrypt": [v, c_char_p, c_char_p, c_uint32, c_char_p, c_size_t, POINTER(_Bytes)],
        "akms_asymmetric_decrypt": [v, c_char_p, c_char_p, c_uint32, c_char_p, c_size_t, POINTER(_Bytes)],
    }.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, c_uint32
    lib.akms_string_free.argtypes, lib.akms_string_free.restype = [c_void_p], None
    lib.akms_bytes_free.argtypes, lib.akms_bytes_free.restype = [POINTER(_Bytes)], None
    return lib


def operations(store: akms.Store, loops: ctypes.CDLL, scale: float) -> Dict[str, Op]:
    ec_key, ec_ver = store.create_key("EC_P256", "SIGN/VERIFY")
    rsa_key, rsa_ver = store.create_key("RSA_2048", "ENCRYPT/DECRYPT")
    digest = hashlib.sha256(b"bench").digest()
    sig = store.asymmetric_sign(ec_key, ec_ver, "ECDSA_SHA_256", digest)
    plaintext = digest
    ciphertext = store.asymmetric_encrypt(rsa_key, rsa_ver, "RSAES_OAEP_SHA_256", plaintext)
    handle = getattr(store, "_handle", None)  # the C handle (older bindings kept it in _ptr)
    h = handle.ptr if handle is not None else getattr(store, "_ptr")
    ek, ev, rk, rv = ec_key.encode(), ec_ver.encode(), rsa_key.encode(), rsa_ver.encode()
    ecdsa, oaep = akms.Algorithm.ECDSA_SHA_256.code, akms.Algorithm.RSAES_OAEP_SHA_256.code

    def n(base: int) -> int:
        return max(3, int(base * scale))

    # The akms.Store calls are partials (called from C, no Python frame of their own), as if
    # written in the loop itself; the bare ctypes calls are small functions.
    raw = bare_library()
    hv = ctypes.cast(h, c_void_p)

    def bare_str(fn: Any, *args: Any) -> Callable[[], object]:
        def call() -> object:
            out = c_char_p()
            fn(hv, *args, out)
            value = out.value
            raw.akms_string_free(out)
            return value
        return call

    def bare_bytes(fn: Any, *args: Any) -> Callable[[], object]:
        def call() -> object:
            out = _Bytes()
            fn(hv, *args, out)
            value = out.data[:out.len]
            raw.akms_bytes_free(out)
            return value
        return call

    def bare_verify() -> object:
        ok = ctypes.c_bool()
        raw.akms_asymmetric_verify(hv, ek, ev, ecdsa, 0, digest, len(digest), sig, len(sig), ok)
        return ok.value

    return {
        "describe_key": (lambda k: loops.loop_describe_key(h, ek, k), bare_str(raw.akms_describe_key, ek),
                         partial(store.describe_key, ec_key), n(200)),
        "list_keys": (lambda k: loops.loop_list_keys(h, k), bare_str(raw.akms_list_keys), store.list_keys, n(200)),
        "list_key_versions": (lambda k: loops.loop_list_key_versions(h, ek, k),
                              bare_str(raw.akms_list_key_versions, ek),
                              partial(store.list_key_versions, ec_key), n(200)),
        "get_public_key": (lambda k: loops.loop_get_public_key(h, ek, ev, k),
                           bare_str(raw.akms_get_public_key, ek, ev),
                           partial(store.get_public_key, ec_key, ec_ver), n(200)),
        "asymmetric_sign": (lambda k: loops.loop_sign(h, ek, ev, ecdsa, digest, len(digest), k),
                            bare_bytes(raw.akms_asymmetric_sign, ek, ev, ecdsa, 0, digest, len(digest)),
                            partial(store.asymmetric_sign, ec_key, ec_ver, "ECDSA_SHA_256", digest), n(20)),
        "asymmetric_verify": (lambda k: loops.loop_verify(h, ek, ev, ecdsa, digest, len(digest), sig, len(sig), k),
                              bare_verify,
                              partial(store.asymmetric_verify, ec_key, ec_ver, "ECDSA_SHA_256", digest, sig), n(20)),
        "asymmetric_encrypt": (lambda k: loops.loop_encrypt(h, rk, rv, oaep, plaintext, len(plaintext), k),
                               bare_bytes(raw.akms_asymmetric_encrypt, rk, rv, oaep, plaintext, len(plaintext)),
                               partial(store.asymmetric_encrypt, rsa_key, rsa_ver, "RSAES_OAEP_SHA_256", plaintext),
                               n(20)),
        "asymmetric_decrypt": (lambda k: loops.loop_decrypt(h, rk, rv, oaep, ciphertext, len(ciphertext), k),
                               bare_bytes(raw.akms_asymmetric_decrypt, rk, rv, oaep, ciphertext, len(ciphertext)),
                               partial(store.asymmetric_decrypt, rsa_key, rsa_ver, "RSAES_OAEP_SHA_256", ciphertext),
                               n(3)),
    }


BOUNDS = {"describe_key": 5.0, "list_keys": 5.0, "list_key_versions": 5.0}  # µs; every other: 3.0
#: Operations whose rounds are long and noisy (an RSA private-key operation) get more rounds.
MORE_ROUNDS = {"asymmetric_decrypt": 10}


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="akms Python binding per-call overhead over C")
    parser.add_argument("--rounds", type=int, default=201, help="rounds per operation (medians over them)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the calls per round")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"libakms {akms.library_version()} at {akms.library_path}; Python {sys.version.split()[0]}; "
          f"{args.rounds} rounds; load average {load:.2f}")
    with tempfile.TemporaryDirectory() as d, akms.Store() as store:
        loops = compile_loops(Path(d))
        ops = operations(store, loops, args.scale)
        print(f"{'operation':<19}{'calls':>6}{'C':>9}{'C 1/iter':>10}{'bare ctypes':>12}{'akms.Store':>11}"
              f"{'overhead':>10}{'bound':>6}{'over 1/iter':>12}")
        for name, op in ops.items():
            c, cold, b, p, over, over_cold = measure(op, args.rounds * MORE_ROUNDS.get(name, 1))
            print(f"{name:<19}{op[3]:>6}{c:9.2f}{cold:10.2f}{b:12.2f}{p:11.2f}{over:10.2f}"
                  f"{BOUNDS.get(name, 3.0):6.1f}{over_cold:12.2f}")
        print("µs of CPU per call, medians over the rounds. overhead = akms.Store - C (a tight C loop);\n"
              "C 1/iter = the C call alone (monotonic clock) but made once per Python loop iteration, so from\n"
              "the cold caches that Python leaves between calls; over 1/iter = akms.Store - C 1/iter.")


if __name__ == "__main__":
    main()
