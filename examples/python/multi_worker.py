#!/usr/bin/env python3
"""Several worker processes signing with one akms store file, as under gunicorn.

    AKMS_PASSPHRASE=... python examples/python/multi_worker.py keys.akms [--workers 4]

Each worker (started with multiprocessing's "spawn" method, as a pre-fork server's workers
would open their own resources) opens the same store file and signs requests with the key
behind ``alias/service``. Halfway through, the master rotates the key: it creates a new key and
points the alias at it. Every worker's next request signs with the new key, with no restart and
no message to the workers: each call sees every change committed before it started.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os

import akms

ALIAS = "alias/service"


def worker(path: str, requests: "multiprocessing.Queue", answers: "multiprocessing.Queue") -> None:
    with akms.Store.open(path, os.environ["AKMS_PASSPHRASE"].encode()) as store:
        while (request := requests.get()) is not None:
            key = store.describe_key(ALIAS)["KeyId"]  # whichever key the alias names now
            version = store.list_key_versions(key)[-1]["KeyVersionId"]
            digest = hashlib.sha256(request.encode()).digest()
            store.asymmetric_sign(key, version, "ECDSA_SHA_256", digest)
            answers.put((os.getpid(), key))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    passphrase = os.environ["AKMS_PASSPHRASE"].encode()
    with akms.Store.open(args.store, passphrase) as store:
        first, _ = store.create_key("EC_P256", "SIGN/VERIFY", description="service key")
        try:
            store.create_alias(ALIAS, first)
        except akms.AlreadyExistsError:
            store.update_alias(ALIAS, first)
        ctx = multiprocessing.get_context("spawn")
        requests, answers = ctx.Queue(), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(args.store, requests, answers)) for _ in range(args.workers)]
        for p in procs:
            p.start()

        def serve(n: int) -> set:
            for i in range(n):
                requests.put(f"request {i}")
            return {answers.get(timeout=60) for _ in range(n)}

        before = serve(4 * args.workers)
        print(f"{len({pid for pid, _ in before})} workers signed with {first}")
        second, _ = store.create_key("EC_P256", "SIGN/VERIFY", description="rotated")
        store.update_alias(ALIAS, second)  # the rotation: one call, in the master
        after = serve(4 * args.workers)
        assert {key for _, key in after} == {second}, after
        print(f"after the rotation every request signed with {second}")
        for _ in procs:
            requests.put(None)
        for p in procs:
            p.join()


if __name__ == "__main__":
    main()
