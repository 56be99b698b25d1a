"""Many threads on one store; the GIL is released during library calls."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import akms
from conftest import sha256

THREADS = 8


def test_eight_threads_on_one_store(store: akms.Store, make_key) -> None:
    ec = make_key("EC_P256", "SIGN/VERIFY")
    rsa_enc = make_key("RSA_2048", "ENCRYPT/DECRYPT")
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> int:
        barrier.wait()
        own_key, own_version = store.create_key("EC_P256K", "SIGN/VERIFY", description=f"thread {n}")
        done = 0
        for i in range(25):
            digest = sha256(f"{n}:{i}".encode())
            sig = store.asymmetric_sign(*ec, "ECDSA_SHA_256", digest)
            assert store.asymmetric_verify(*ec, "ECDSA_SHA_256", digest, sig)
            sig = store.asymmetric_sign(own_key, own_version, "ECDSA_SHA_256", digest)
            assert store.asymmetric_verify(own_key, own_version, "ECDSA_SHA_256", digest, sig)
            pt = digest[: (i % 32)]
            assert store.asymmetric_decrypt(*rsa_enc, "RSAES_OAEP_SHA_256", store.asymmetric_encrypt(*rsa_enc, "RSAES_OAEP_SHA_256", pt)) == pt
            if i % 5 == 0:
                with pytest.raises(akms.NotFoundError):  # errors stay per thread
                    store.describe_key(f"alias/thread-{n}-missing")
                assert store.describe_key(own_key)["Description"] == f"thread {n}"
            done += 1
        alias = f"alias/thread-{n}"
        store.create_alias(alias, own_key)
        assert store.describe_key(alias)["KeyId"] == own_key
        store.delete_alias(alias)
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        assert list(pool.map(worker, range(THREADS))) == [25] * THREADS


def test_calls_overlap_across_threads(store: akms.Store, make_key) -> None:
    """Proof that the GIL is released inside library calls, independent of machine load.

    With the switch interval set huge, a thread holding the GIL keeps it until it
    blocks, so thread B can stamp the clock between thread A's two stamps around a
    call only if A let the GIL go inside that call. Overlapping intervals from two
    threads therefore mean two threads were inside libakms at once.
    """
    key = make_key("RSA_2048", "SIGN/VERIFY")
    digest = sha256(b"overlap")
    intervals: dict = {0: [], 1: []}
    barrier = threading.Barrier(2)

    def worker(n: int) -> None:
        barrier.wait()
        for _ in range(20):
            t0 = time.perf_counter()
            store.asymmetric_sign(*key, "RSA_PKCS1_SHA_256", digest)
            intervals[n].append((t0, time.perf_counter()))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    overlaps = sum(1 for a0, a1 in intervals[0] for b0, b1 in intervals[1] if a0 < b1 and b0 < a1)
    print(f"{overlaps} overlapping call pairs out of 20 x 20")
    assert overlaps > 0, "no two calls overlapped: is the GIL held during library calls?"


def _rsa_sign_wall_time(store: akms.Store, key, threads: int, total: int) -> float:
    digest = sha256(b"timing")
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(total // threads):
            store.asymmetric_sign(*key, "RSA_PKCS1_SHA_256", digest)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - start


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to show overlap")
def test_threads_really_overlap(store: akms.Store, make_key, record_property) -> None:
    """Measure: wall time of two threads sharing N RSA signatures over one thread doing N.

    With the GIL held across calls the ratio would be ~1.0; released, ~0.5 on
    two idle cores. Run pytest with -s to see the figures.
    """
    key = make_key("RSA_3072", "SIGN/VERIFY")
    store.asymmetric_sign(*key, "RSA_PKCS1_SHA_256", sha256(b"warm up"))
    t0 = time.perf_counter()
    store.asymmetric_sign(*key, "RSA_PKCS1_SHA_256", sha256(b"warm up"))
    one = time.perf_counter() - t0
    total = max(8, min(64, int(0.4 / max(one, 1e-4)) // 2 * 2))  # ~0.4 s serial
    ratios = []
    for _ in range(3):
        serial = _rsa_sign_wall_time(store, key, 1, total)
        parallel = _rsa_sign_wall_time(store, key, 2, total)
        ratios.append(parallel / serial)
        print(f"RSA_3072 sign x{total}: serial {serial*1e3:.0f} ms, 2 threads {parallel*1e3:.0f} ms, ratio {ratios[-1]:.2f}")
        if ratios[-1] < 0.8:
            break
    record_property("parallel_over_serial", min(ratios))
    # Informational: on an idle 2-core machine this is ~0.5-0.6. Other processes
    # share the cores, so only a gross regression (calls serialised *and* slowed)
    # fails; test_calls_overlap_across_threads is the proof of overlap.
    assert min(ratios) < 1.5, f"parallel/serial ratios {ratios}"
