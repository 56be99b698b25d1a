"""Store ownership and the key-management methods."""

from __future__ import annotations

import gc
import re
import warnings

import pytest

import akms
from conftest import sha256

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DIGEST = sha256(b"hello")


def test_library_info() -> None:
    assert re.match(r"^\d+\.\d+\.\d+", akms.library_version())
    assert akms.abi_version() == 1
    assert akms.library_path.endswith("libakms.so")


def test_close_is_idempotent_and_use_after_close_raises() -> None:
    s = akms.Store()
    key_id, version_id = s.create_key("EC_P256", "SIGN/VERIFY")
    assert not s.closed
    s.close()
    s.close()
    assert s.closed
    with pytest.raises(akms.StoreClosedError, match="closed"):
        s.describe_key(key_id)
    with pytest.raises(akms.Error):
        s.asymmetric_sign(key_id, version_id, "ECDSA_SHA_256", DIGEST)
    assert "closed" in repr(s)


def test_context_manager_closes() -> None:
    with akms.Store() as s:
        s.create_key(akms.KeySpec.EC_P256, akms.KeyUsage.SIGN_VERIFY)
    assert s.closed


def test_unclosed_store_is_freed_by_gc_with_a_resource_warning() -> None:
    s = akms.Store()
    s.create_key("EC_P256", "SIGN/VERIFY")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del s
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


def test_stores_are_independent() -> None:
    with akms.Store() as a, akms.Store() as b:
        key_id, _ = a.create_key("EC_P256", "SIGN/VERIFY")
        with pytest.raises(akms.NotFoundError):
            b.describe_key(key_id)


def test_create_and_describe(store: akms.Store) -> None:
    key_id, version_id = store.create_key("EC_P256K", "SIGN/VERIFY", description="my key")
    assert UUID.match(key_id) and UUID.match(version_id)
    meta = store.describe_key(key_id)
    assert meta["KeyId"] == key_id
    assert meta["KeySpec"] == "EC_P256K"
    assert meta["KeyUsage"] == "SIGN/VERIFY"
    assert meta["KeyState"] == "Enabled"
    assert meta["Description"] == "my key"
    assert meta["Origin"] == "Aliyun_KMS"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", meta["CreationDate"])


def test_enum_members_and_strings_are_interchangeable(store: akms.Store) -> None:
    a = store.create_key(akms.KeySpec.EC_P256, akms.KeyUsage.SIGN_VERIFY)
    b = store.create_key("EC_P256", "SIGN/VERIFY")
    assert store.describe_key(a[0])["KeySpec"] == store.describe_key(b[0])["KeySpec"] == akms.KeySpec.EC_P256
    sig = store.asymmetric_sign(*a, akms.Algorithm.ECDSA_SHA_256, b"m", message_type=akms.MessageType.RAW)
    assert store.asymmetric_verify(*a, "ECDSA_SHA_256", b"m", sig, message_type="RAW")
    assert akms.KeyUsage("ENCRYPT/DECRYPT") is akms.KeyUsage.ENCRYPT_DECRYPT
    assert str(akms.Algorithm.SM2PKE) == "SM2PKE" and akms.Algorithm.SM2PKE == "SM2PKE"


def test_unknown_enum_strings_are_invalid_argument(store: akms.Store) -> None:
    with pytest.raises(akms.InvalidArgumentError, match="key spec 'EC_P384'"):
        store.create_key("EC_P384", "SIGN/VERIFY")
    with pytest.raises(ValueError, match="key usage"):
        store.create_key("EC_P256", "SIGN_VERIFY")
    with pytest.raises(akms.InvalidArgumentError, match="SIGN/VERIFY"):  # a usage is not a spec
        store.create_key(akms.KeyUsage.SIGN_VERIFY, "SIGN/VERIFY")


def test_wrong_python_types_raise_type_error(store: akms.Store, make_key) -> None:
    key = make_key("EC_P256", "SIGN/VERIFY")
    with pytest.raises(TypeError):
        store.asymmetric_sign(*key, "ECDSA_SHA_256", "not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.describe_key(b"bytes id")  # type: ignore[arg-type]
    # bytearray and memoryview are accepted as data
    sig = store.asymmetric_sign(*key, "ECDSA_SHA_256", bytearray(DIGEST))
    assert store.asymmetric_verify(*key, "ECDSA_SHA_256", memoryview(DIGEST), sig)


def test_nul_in_string_is_invalid_argument(store: akms.Store) -> None:
    with pytest.raises(akms.InvalidArgumentError):
        store.describe_key("abc\0def")


def test_versions(store: akms.Store) -> None:
    key_id, v1 = store.create_key("EC_P256", "SIGN/VERIFY")
    v2 = store.create_key_version(key_id)
    assert v2 != v1 and UUID.match(v2)
    versions = store.list_key_versions(key_id)
    assert {v["KeyVersionId"] for v in versions} == {v1, v2}
    assert all(v["KeyId"] == key_id and v["CreationDate"] for v in versions)
    # each version is its own key pair; a signature of one does not verify under the other
    sig = store.asymmetric_sign(key_id, v2, "ECDSA_SHA_256", DIGEST)
    assert store.asymmetric_verify(key_id, v2, "ECDSA_SHA_256", DIGEST, sig)
    assert not store.asymmetric_verify(key_id, v1, "ECDSA_SHA_256", DIGEST, sig)
    assert store.get_public_key(key_id, v1) != store.get_public_key(key_id, v2)


def test_list_keys(store: akms.Store) -> None:
    key_id, _ = store.create_key("EC_P256", "SIGN/VERIFY")
    keys = store.list_keys()
    assert isinstance(keys, list) and all(isinstance(k, dict) for k in keys)
    assert key_id in {k["KeyId"] for k in keys}


def test_aliases(store: akms.Store, fresh_key) -> None:
    k1, v1 = fresh_key()
    k2, v2 = fresh_key()
    store.create_alias("alias/test-aliases", k1)
    assert store.describe_key("alias/test-aliases")["KeyId"] == k1
    assert "alias/test-aliases" in store.describe_key(k1)["Aliases"]
    sig = store.asymmetric_sign("alias/test-aliases", v1, "ECDSA_SHA_256", DIGEST)
    assert store.asymmetric_verify(k1, v1, "ECDSA_SHA_256", DIGEST, sig)
    store.update_alias("alias/test-aliases", k2)
    assert store.describe_key("alias/test-aliases")["KeyId"] == k2
    store.delete_alias("alias/test-aliases")
    with pytest.raises(akms.NotFoundError):
        store.describe_key("alias/test-aliases")


def test_enable_disable(store: akms.Store, fresh_key) -> None:
    key_id, version_id = fresh_key()
    store.disable_key(key_id)
    assert store.describe_key(key_id)["KeyState"] == "Disabled"
    with pytest.raises(akms.InvalidStateError):
        store.asymmetric_sign(key_id, version_id, "ECDSA_SHA_256", DIGEST)
    store.get_public_key(key_id, version_id)  # works in every state
    store.enable_key(key_id)
    assert store.describe_key(key_id)["KeyState"] == "Enabled"
    store.asymmetric_sign(key_id, version_id, "ECDSA_SHA_256", DIGEST)


def test_schedule_and_cancel_deletion(store: akms.Store, fresh_key) -> None:
    key_id, version_id = fresh_key()
    store.schedule_key_deletion(key_id, 7)
    meta = store.describe_key(key_id)
    assert meta["KeyState"] == "PendingDeletion" and meta["DeleteDate"]
    with pytest.raises(akms.InvalidStateError):
        store.create_key_version(key_id)
    with pytest.raises(akms.InvalidStateError):
        store.enable_key(key_id)
    store.cancel_key_deletion(key_id)
    assert store.describe_key(key_id)["KeyState"] == "Enabled"
    for bad in (6, 31, -1, 2**32 + 7):
        with pytest.raises(akms.InvalidArgumentError):
            store.schedule_key_deletion(key_id, bad)


def test_public_key_is_pem(store: akms.Store, make_key) -> None:
    pem = store.get_public_key(*make_key("EC_P256", "SIGN/VERIFY"))
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pem.rstrip().endswith("-----END PUBLIC KEY-----")


def test_verify_wrong_signature_is_false_not_error(store: akms.Store, make_key) -> None:
    key = make_key("EC_P256", "SIGN/VERIFY")
    sig = store.asymmetric_sign(*key, "ECDSA_SHA_256", DIGEST)
    assert store.asymmetric_verify(*key, "ECDSA_SHA_256", DIGEST, sig)
    assert not store.asymmetric_verify(*key, "ECDSA_SHA_256", sha256(b"other"), sig)
    assert not store.asymmetric_verify(*key, "ECDSA_SHA_256", DIGEST, b"garbage")
    assert not store.asymmetric_verify(*key, "ECDSA_SHA_256", DIGEST, b"")


def test_library_buffers_are_freed(store: akms.Store, make_key, monkeypatch) -> None:
    from akms import _store

    freed = {"bytes": 0, "str": 0}
    real_bytes_free, real_string_free = _store._bytes_free, _store._string_free

    def count_bytes(b):  # type: ignore[no-untyped-def]
        freed["bytes"] += 1
        real_bytes_free(b)

    def count_str(p):  # type: ignore[no-untyped-def]
        freed["str"] += p.value is not None  # freeing NULL is a no-op
        real_string_free(p)

    monkeypatch.setattr(_store, "_bytes_free", count_bytes)
    monkeypatch.setattr(_store, "_string_free", count_str)
    key = make_key("RSA_2048", "ENCRYPT/DECRYPT")
    freed["str"] = 0
    ct = store.asymmetric_encrypt(*key, "RSAES_OAEP_SHA_256", b"secret")
    assert store.asymmetric_decrypt(*key, "RSAES_OAEP_SHA_256", ct) == b"secret"
    assert store.asymmetric_decrypt(*key, "RSAES_OAEP_SHA_256", store.asymmetric_encrypt(*key, "RSAES_OAEP_SHA_256", b"")) == b""
    assert freed["bytes"] == 4
    store.get_public_key(*key)
    store.describe_key(key[0])
    store.create_key("EC_P256", "SIGN/VERIFY")  # two strings
    assert freed["str"] == 4


def test_close_while_a_call_is_in_flight() -> None:
    import sys
    import threading
    import weakref

    s = akms.Store()
    handle = weakref.ref(s._handle)  # the owner of the C handle
    idle = sys.getrefcount(handle())
    started, result = threading.Event(), {}

    def slow() -> None:
        started.set()
        result["key"] = s.create_key("RSA_2048", "SIGN/VERIFY")  # key generation: milliseconds at least

    t = threading.Thread(target=slow)
    t.start()
    started.wait()
    while t.is_alive() and sys.getrefcount(handle()) == idle:  # until the call holds the handle
        pass
    s.close()  # the handle is freed when the in-flight call returns
    assert s.closed
    t.join()
    assert UUID.match(result["key"][0])
    assert handle() is None  # freed
    with pytest.raises(akms.StoreClosedError):
        s.list_keys()
