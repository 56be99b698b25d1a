"""Several worker processes on one store file, as under gunicorn: ``multiprocessing`` with the
``spawn`` start method, each worker opening the store itself (SPEC "Sharing a store")."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import akms
from conftest import needs, sha256

pytestmark = needs("akms_store_open")

PASS = b"multiprocess passphrase"
DIGEST = sha256(b"shared")
RACES = 10


def worker(path: str, index: int) -> Tuple[List[str], Dict[str, str]]:
    """Creates keys, races for shared alias names, signs with other workers' keys."""
    mine: List[str] = []
    won: Dict[str, str] = {}
    with akms.Store.open(path, PASS) as store:
        for j in range(5):
            key_id, _ = store.create_key("EC_P256", "SIGN/VERIFY", description=f"w{index}")
            mine.append(key_id)
            store.create_alias(f"alias/w{index}-{j}", key_id)
        for r in range(RACES):
            try:
                store.create_alias(f"alias/shared-{r}", mine[r % len(mine)])
                won[f"alias/shared-{r}"] = mine[r % len(mine)]
            except akms.AlreadyExistsError:
                pass
        # Every key this worker can see, its own and the others' so far, signs and verifies.
        for meta in store.list_keys():
            version = store.list_key_versions(meta["KeyId"])[0]["KeyVersionId"]
            sig = store.asymmetric_sign(meta["KeyId"], version, "ECDSA_SHA_256", DIGEST)
            assert store.asymmetric_verify(meta["KeyId"], version, "ECDSA_SHA_256", DIGEST, sig)
    return mine, won


def test_four_spawned_workers_share_one_store_file(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.akms")
    akms.Store.open(path, PASS).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(worker, [(path, i) for i in range(4)])
    with akms.Store.open(path, PASS) as store:
        keys = {m["KeyId"] for m in store.list_keys()}
        assert keys == {k for mine, _ in results for k in mine}
        assert len(keys) == 20
        for i, (mine, _) in enumerate(results):
            for j, key_id in enumerate(mine):
                assert store.describe_key(f"alias/w{i}-{j}")["KeyId"] == key_id
        for r in range(RACES):
            name = f"alias/shared-{r}"
            winners = [won[name] for _, won in results if name in won]
            assert len(winners) == 1, (name, winners)
            assert store.describe_key(name)["KeyId"] == winners[0]


_INHERITED: "akms.Store | None" = None


def forked_worker(index: int) -> Tuple[List[str], Dict[str, str]]:
    """Uses the store the parent opened before forking (gunicorn's preload_app)."""
    assert _INHERITED is not None
    mine = [_INHERITED.create_key("EC_P256", "SIGN/VERIFY")[0] for _ in range(8)]
    won: Dict[str, str] = {}
    for r in range(RACES):
        try:
            _INHERITED.create_alias(f"alias/forked-{r}", mine[r % len(mine)])
            won[f"alias/forked-{r}"] = mine[r % len(mine)]
        except akms.AlreadyExistsError:
            pass
    return mine, won


def test_a_store_opened_before_fork_is_safe_in_every_forked_worker(tmp_path: Path) -> None:
    global _INHERITED
    path = str(tmp_path / "preload.akms")
    with akms.Store.open(path, PASS) as store:
        _INHERITED = store
        try:
            with multiprocessing.get_context("fork").Pool(4) as pool:
                results = pool.map(forked_worker, range(4))
        finally:
            _INHERITED = None
        expected = {k for mine, _ in results for k in mine}
        assert len(expected) == 32
        # The parent's handle sees every worker's keys; so does a fresh open.
        assert {m["KeyId"] for m in store.list_keys()} == expected
    with akms.Store.open(path, PASS) as fresh:
        assert {m["KeyId"] for m in fresh.list_keys()} == expected
        for r in range(RACES):
            name = f"alias/forked-{r}"
            winners = [won[name] for _, won in results if name in won]
            assert len(winners) == 1, (name, winners)
            assert fresh.describe_key(name)["KeyId"] == winners[0]


def follower(path: str, conn) -> None:  # type: ignore[no-untyped-def]
    """Answers sign requests on `conn` until it reads None."""
    with akms.Store.open(path, PASS) as store:
        conn.send("ready")
        while (request := conn.recv()) is not None:
            key, version = request
            try:
                store.asymmetric_sign(key, version, "ECDSA_SHA_256", DIGEST)
                conn.send("ok")
            except akms.Error as e:
                conn.send(type(e).__name__)


def test_a_change_in_one_process_is_seen_by_the_next_call_of_another(tmp_path: Path) -> None:
    path = str(tmp_path / "fresh.akms")
    ctx = multiprocessing.get_context("spawn")
    with akms.Store.open(path, PASS) as store:
        key_id, version = store.create_key("EC_P256", "SIGN/VERIFY")
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=follower, args=(path, theirs))
        proc.start()
        try:
            assert ours.recv() == "ready"
            for _ in range(10):
                store.disable_key(key_id)
                ours.send((key_id, version))
                assert ours.recv() == "InvalidStateError"
                store.enable_key(key_id)
                ours.send((key_id, version))
                assert ours.recv() == "ok"
        finally:
            ours.send(None)
            proc.join(30)
    assert proc.exitcode == 0


def test_the_multi_worker_example_runs(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "python" / "multi_worker.py"
    env = dict(os.environ, AKMS_PASSPHRASE="example passphrase")
    out = subprocess.run(
        [sys.executable, str(example), str(tmp_path / "example.akms"), "--workers", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "workers signed" in out.stdout and "after the rotation" in out.stdout, out.stdout
