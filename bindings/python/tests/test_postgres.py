"""A PostgreSQL store through the Python binding: ``Store.open`` with a ``postgresql://``
location, every operation once, reopen, a wrong passphrase. Runs when ``AKMS_TEST_PG_URI``
names a database (``make test-pg`` starts a private cluster and sets it); skipped otherwise."""

from __future__ import annotations

import os
import uuid

import pytest

import akms
from conftest import openssl, sha256

URI = os.environ.get("AKMS_TEST_PG_URI", "")
pytestmark = pytest.mark.skipif(not URI, reason="AKMS_TEST_PG_URI is not set (make test-pg sets it)")

PASS = b"python postgres passphrase"
DIGEST = sha256(b"postgres")


def store_uri() -> str:
    return f"{URI}{'&' if '?' in URI else '?'}akms_store=py-{uuid.uuid4().hex[:12]}"


def test_every_operation_on_a_postgres_store() -> None:
    uri = store_uri()
    pem = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256").stdout
    der = openssl("pkcs8", "-topk8", "-nocrypt", "-outform", "DER", input=pem).stdout
    with akms.Store.open(uri, passphrase=PASS) as s:
        key, v1 = s.create_key("EC_P256", "SIGN/VERIFY", description="python on pg")
        v2 = s.create_key_version(key)
        enc, enc_v = s.create_key("EC_SM2", "ENCRYPT/DECRYPT")
        imp, imp_v = s.import_key("SIGN/VERIFY", der, description="imported")
        imp_v2 = s.import_key_version(imp, der)
        s.create_alias("alias/py-pg", key)
        with pytest.raises(akms.AlreadyExistsError):
            s.create_alias("alias/py-pg", enc)
        s.create_alias("alias/py-moved", key)
        s.update_alias("alias/py-moved", imp)
        s.create_alias("alias/py-gone", imp)
        s.delete_alias("alias/py-gone")
        sig = s.asymmetric_sign("alias/py-pg", v2, "ECDSA_SHA_256", DIGEST)
        raw_sig = s.asymmetric_sign("alias/py-moved", imp_v2, "ECDSA_SHA_256", b"raw", message_type="RAW")
        ct = s.asymmetric_encrypt(enc, enc_v, "SM2PKE", b"secret")
        pem = s.get_public_key(key, v1)
        csr = s.generate_csr(key, v1, "CN=pg.example,O=Acme", dns_names=["pg.example"])
        assert csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
        s.disable_key(enc)
        s.schedule_key_deletion(imp, 7)
        s.cancel_key_deletion(imp)
        s.schedule_key_deletion(imp, 30)

    with pytest.raises(akms.CorruptStoreError):
        akms.Store.open(uri, b"wrong passphrase")
    with akms.Store.open(uri, PASS) as s:
        meta = s.describe_key("alias/py-pg")
        assert meta["KeyId"] == key and meta["Description"] == "python on pg"
        states = {m["KeyId"]: m["KeyState"] for m in s.list_keys()}
        assert states == {key: "Enabled", enc: "Disabled", imp: "PendingDeletion"}
        assert s.describe_key("alias/py-moved")["KeyId"] == imp
        with pytest.raises(akms.NotFoundError):
            s.describe_key("alias/py-gone")
        assert {v["KeyVersionId"] for v in s.list_key_versions(imp)} == {imp_v, imp_v2}
        assert s.get_public_key(key, v1) == pem
        assert s.asymmetric_verify(key, v2, "ECDSA_SHA_256", DIGEST, sig)
        s.cancel_key_deletion(imp)
        assert s.asymmetric_verify(imp, imp_v2, "ECDSA_SHA_256", b"raw", raw_sig, message_type="RAW")
        s.enable_key(enc)
        assert s.asymmetric_decrypt(enc, enc_v, "SM2PKE", ct) == b"secret"


def test_malformed_location_is_invalid_argument() -> None:
    with pytest.raises(akms.InvalidArgumentError):
        akms.Store.open("postgresql://u@h/db?akms_store=no.dots", PASS)


_INHERITED = None  # the parent's store, used by forked workers


def _forked_worker(index: int) -> str:
    """Uses the store the parent opened before forking (a pre-forking server)."""
    assert _INHERITED is not None
    key, version = _INHERITED.create_key("EC_P256", "SIGN/VERIFY", description=f"forked {index}")
    _INHERITED.create_alias(f"alias/forked-{index}", key)
    sig = _INHERITED.asymmetric_sign(key, version, "ECDSA_SHA_256", DIGEST)
    assert _INHERITED.asymmetric_verify(key, version, "ECDSA_SHA_256", DIGEST, sig)
    # The parent's key, made before the fork, is there too.
    assert _INHERITED.describe_key("alias/parent")["Description"] == "parent"
    return key


def test_a_store_opened_before_fork_works_in_forked_workers() -> None:
    import multiprocessing
    import time

    global _INHERITED
    uri = store_uri()
    with akms.Store.open(uri, PASS) as s:
        parent_key, _ = s.create_key("EC_P256", "SIGN/VERIFY", description="parent")
        s.create_alias("alias/parent", parent_key)
        _INHERITED = s
        try:
            with multiprocessing.get_context("fork").Pool(2) as pool:
                keys = pool.map(_forked_worker, range(4))
        finally:
            _INHERITED = None
        # The parent follows the workers' changes (its own connections were never touched).
        deadline = time.monotonic() + 10
        while {m["KeyId"] for m in s.list_keys()} != {parent_key, *keys}:
            assert time.monotonic() < deadline, "the parent never saw the workers' keys"
            time.sleep(0.01)
        assert s.describe_key("alias/forked-3")["KeyId"] == keys[3]
        s.create_key("EC_P256", "SIGN/VERIFY")  # and its own changes still work
