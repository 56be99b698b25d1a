"""``Store.open``: a persistent store, encrypted at rest."""

from __future__ import annotations

from pathlib import Path

import pytest

import akms
from conftest import needs, sha256

pytestmark = needs("akms_store_open")

DIGEST = sha256(b"persist")


def test_keys_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "keys.akms"
    with akms.Store.open(path, passphrase=b"correct horse") as s:
        key_id, v1 = s.create_key("EC_P256", "SIGN/VERIFY", description="durable")
        v2 = s.create_key_version(key_id)
        s.create_alias("alias/durable", key_id)
        s.disable_key(key_id)
        pem = s.get_public_key(key_id, v2)
    assert path.is_file()
    with akms.Store.open(str(path), "correct horse") as s:  # str path and str passphrase
        meta = s.describe_key("alias/durable")
        assert meta["KeyId"] == key_id and meta["Description"] == "durable" and meta["KeyState"] == "Disabled"
        assert {v["KeyVersionId"] for v in s.list_key_versions(key_id)} == {v1, v2}
        assert s.get_public_key(key_id, v2) == pem
        s.enable_key(key_id)
        sig = s.asymmetric_sign(key_id, v2, "ECDSA_SHA_256", DIGEST)
        assert s.asymmetric_verify(key_id, v2, "ECDSA_SHA_256", DIGEST, sig)


def test_private_material_is_not_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.akms"
    with akms.Store.open(path, b"pw") as s:
        s.create_key("EC_P256", "SIGN/VERIFY", description="a-very-recognisable-description")
    assert b"a-very-recognisable-description" not in path.read_bytes()


def test_tampered_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "keys.akms"
    with akms.Store.open(path, b"pw") as s:
        s.create_key("EC_P256", "SIGN/VERIFY")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(akms.CorruptStoreError):
        akms.Store.open(path, b"pw")


def test_a_second_open_shares_the_file_and_close_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "keys.akms"
    s = akms.Store.open(path, b"pw")
    t = akms.Store.open(path, b"pw")
    key_id, _ = t.create_key("EC_P256", "SIGN/VERIFY")
    t.close()
    assert s.describe_key(key_id)["KeyId"] == key_id
    s.close()
    with akms.Store.open(path, b"pw") as again:
        assert again.describe_key(key_id)["KeyId"] == key_id
