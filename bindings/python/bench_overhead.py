#!/usr/bin/env python3
"""Per-call cost of the Python binding against the same call from C.

Not a test: prints microseconds per call for three cheap operations

    describe_key            (a lookup + JSON, no cryptography)
    get_public_key          (EC_P256: encode a PEM)
    asymmetric_verify       (EC_P256, ECDSA_SHA_256, DIGEST)

through (1) akms.Store, (2) bare ctypes calls with the same prototypes, and
(3) a C loop linked against libakms (compiled here with cc, if present).
Each figure is the best of 5 rounds, to damp noise from other load.
The difference (1) - (3) is the binding's overhead per call.

    python bindings/python/bench_overhead.py [--n 20000]
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from ctypes import byref, c_bool, c_void_p
from pathlib import Path
from typing import Callable, Dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))  # run from a checkout without installing

import akms  # noqa: E402
from akms import _ffi  # noqa: E402

REPO = HERE.parents[1]

C_BENCH = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "akms.h"

static double now(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
#define CHECK(x) do { akms_status st_ = (x); if (st_ != AKMS_OK) { \
    fprintf(stderr, "%s: %s\n", #x, akms_last_error_message()); return 1; } } while (0)

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    akms_store *s; char *key, *ver; akms_bytes sig = {0};
    uint8_t digest[32]; memset(digest, 0x5a, sizeof digest);
    CHECK(akms_store_new(&s));
    CHECK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver));
    CHECK(akms_asymmetric_sign(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, digest, 32, &sig));
    /* best of 5 rounds, like the Python side */
    double best[3] = {1e9, 1e9, 1e9}; long m = n / 10 ? n / 10 : 1; bool ok = false;
    for (int r = 0; r < 5; r++) {
        double t = now();
        for (long i = 0; i < n / 5; i++) { char *json; CHECK(akms_describe_key(s, key, &json)); akms_string_free(json); }
        t = (now() - t) / (n / 5) * 1e6; if (t < best[0]) best[0] = t;
        t = now();
        for (long i = 0; i < n / 5; i++) { char *pem; CHECK(akms_get_public_key(s, key, ver, &pem)); akms_string_free(pem); }
        t = (now() - t) / (n / 5) * 1e6; if (t < best[1]) best[1] = t;
        t = now();
        for (long i = 0; i < m / 5; i++) CHECK(akms_asymmetric_verify(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST,
                                                                      digest, 32, sig.data, sig.len, &ok));
        t = (now() - t) / (m / 5) * 1e6; if (t < best[2]) best[2] = t;
    }
    printf("describe_key %.3f\nget_public_key %.3f\nasymmetric_verify %.3f\n", best[0], best[1], best[2]);
    akms_bytes_free(&sig); akms_string_free(key); akms_string_free(ver); akms_store_free(s);
    return ok ? 0 : 1;
}
"""


def per_call_us(fn: Callable[[], object], n: int, rounds: int = 5) -> float:
    """Best of `rounds` rounds of n/rounds calls: the least disturbed by other load."""
    fn()
    per_round = max(1, n // rounds)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(per_round):
            fn()
        best = min(best, (time.perf_counter() - t) / per_round)
    return best * 1e6


def python_numbers(n: int) -> Dict[str, Dict[str, float]]:
    digest = hashlib.sha256(b"bench").digest()
    out: Dict[str, Dict[str, float]] = {"akms.Store": {}, "bare ctypes": {}}
    with akms.Store() as store:
        key_id, version_id = store.create_key("EC_P256", "SIGN/VERIFY")
        sig = store.asymmetric_sign(key_id, version_id, "ECDSA_SHA_256", digest)
        out["akms.Store"]["describe_key"] = per_call_us(lambda: store.describe_key(key_id), n)
        out["akms.Store"]["get_public_key"] = per_call_us(lambda: store.get_public_key(key_id, version_id), n)
        out["akms.Store"]["asymmetric_verify"] = per_call_us(
            lambda: store.asymmetric_verify(key_id, version_id, "ECDSA_SHA_256", digest, sig), max(1, n // 10)
        )

        lib, handle = _ffi.lib, store._ptr
        k, v = key_id.encode(), version_id.encode()

        def raw_describe() -> None:
            p = c_void_p()
            lib.akms_describe_key(handle, k, byref(p))
            lib.akms_string_free(p)

        def raw_pem() -> None:
            p = c_void_p()
            lib.akms_get_public_key(handle, k, v, byref(p))
            lib.akms_string_free(p)

        ok = c_bool()

        def raw_verify() -> None:
            lib.akms_asymmetric_verify(handle, k, v, 3, 0, digest, 32, sig, len(sig), byref(ok))

        out["bare ctypes"]["describe_key"] = per_call_us(raw_describe, n)
        out["bare ctypes"]["get_public_key"] = per_call_us(raw_pem, n)
        out["bare ctypes"]["asymmetric_verify"] = per_call_us(raw_verify, max(1, n // 10))
    return out


def c_numbers(n: int) -> Dict[str, float]:
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    header = REPO / "include" / "akms.h"
    if not cc or not header.is_file():
        print(f"(no C comparison: compiler {cc}, header {header})")
        return {}
    libdir = Path(akms.library_path).parent
    with tempfile.TemporaryDirectory() as d:
        src, exe = Path(d) / "bench.c", Path(d) / "bench"
        src.write_text(C_BENCH)
        subprocess.run(
            [cc, "-O2", "-std=c99", "-D_POSIX_C_SOURCE=199309L", "-I", str(header.parent), str(src),
             "-o", str(exe), "-L", str(libdir), "-lakms", f"-Wl,-rpath,{libdir}"],
            check=True,
        )
        out = subprocess.run([str(exe), str(n)], check=True, capture_output=True, text=True).stdout
    return {name: float(us) for name, us in (line.split() for line in out.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description="akms Python binding per-call overhead")
    parser.add_argument("--n", type=int, default=20000, help="calls per cheap operation (verify runs n/10)")
    args = parser.parse_args()
    print(f"libakms {akms.library_version()} at {akms.library_path}; Python {sys.version.split()[0]}")
    py = python_numbers(args.n)
    c = c_numbers(args.n)
    ops = ["describe_key", "get_public_key", "asymmetric_verify"]
    print(f"{'operation':<20}{'C loop':>10}{'bare ctypes':>13}{'akms.Store':>12}{'overhead':>10}   (us/call)")
    for op in ops:
        cv = c.get(op)
        store_v = py["akms.Store"][op]
        cs = f"{cv:10.2f}" if cv is not None else f"{'-':>10}"
        over = f"{store_v - cv:10.2f}" if cv is not None else f"{'-':>10}"
        print(f"{op:<20}{cs}{py['bare ctypes'][op]:13.2f}{store_v:12.2f}{over}")


if __name__ == "__main__":
    main()
