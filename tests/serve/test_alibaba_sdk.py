"""akms serve through the official Alibaba Cloud KMS SDK (alibabacloud-kms20160120), with each
of its request signatures: ACS3-HMAC-SHA256 (default), the RPC signature ("v2"), ACS3-HMAC-SM3."""

import base64
import os

import pytest
from alibabacloud_kms20160120 import models as m

import outside
from conftest import ADMIN, SIGNATURES, SIGNER, alibaba_client

MSG = b"akms serve, Alibaba Cloud SDK \xe4\xb8\xad\xe6\x96\x87"
b64 = lambda b: base64.b64encode(b).decode()


@pytest.fixture(scope="module")
def keys(server):
    """One key per (spec, usage), made once: (key id, version id, PEM public key)."""
    c = alibaba_client(server)
    made = {}

    def get(spec, usage):
        if (spec, usage) not in made:
            md = c.create_key(m.CreateKeyRequest(key_spec=spec, key_usage=usage, description=f"{spec} test")).body.key_metadata
            assert md.key_spec == spec and md.key_usage == usage and md.key_state == "Enabled"
            pem = c.get_public_key(m.GetPublicKeyRequest(key_id=md.key_id, key_version_id=md.primary_key_version)).body.public_key
            made[(spec, usage)] = (md.key_id, md.primary_key_version, pem)
        return made[(spec, usage)]

    return get


def code_of(call):
    with pytest.raises(Exception) as e:
        call()
    return e.value.code, getattr(e.value, "status_code", None)


@pytest.mark.parametrize("sig_alg", SIGNATURES, ids=["ACS3-HMAC-SHA256", "v2", "ACS3-HMAC-SM3"])
@pytest.mark.parametrize("spec,alg", outside.SIGN_CASES)
def test_sign_verifies_outside_and_verify_checks(server, keys, spec, alg, sig_alg):
    key_id, version, pem = keys(spec, "SIGN/VERIFY")
    c = alibaba_client(server, sig_alg)
    digest = outside.digest_for(alg, pem, MSG)
    r = c.asymmetric_sign(m.AsymmetricSignRequest(key_id=key_id, key_version_id=version, algorithm=alg, digest=b64(digest))).body
    assert (r.key_id, r.key_version_id) == (key_id, version) and r.request_id
    sig = base64.b64decode(r.value)
    assert outside.verify(pem, alg, MSG, sig)
    ok = c.asymmetric_verify(m.AsymmetricVerifyRequest(
        key_id=key_id, key_version_id=version, algorithm=alg, digest=b64(digest), value=b64(sig))).body
    assert ok.value is True
    tampered = bytearray(sig)
    tampered[len(tampered) // 2] ^= 1
    bad = c.asymmetric_verify(m.AsymmetricVerifyRequest(
        key_id=key_id, key_version_id=version, algorithm=alg, digest=b64(digest), value=b64(bytes(tampered)))).body
    assert bad.value is False


@pytest.mark.parametrize("sig_alg", SIGNATURES, ids=["ACS3-HMAC-SHA256", "v2", "ACS3-HMAC-SM3"])
@pytest.mark.parametrize("spec,alg", outside.ENCRYPT_CASES)
def test_encrypt_outside_decrypts_through_sdk(server, keys, spec, alg, sig_alg):
    key_id, version, pem = keys(spec, "ENCRYPT/DECRYPT")
    c = alibaba_client(server, sig_alg)
    pt = os.urandom(100)
    ct = outside.encrypt(pem, alg, pt)
    r = c.asymmetric_decrypt(m.AsymmetricDecryptRequest(key_id=key_id, key_version_id=version, algorithm=alg, ciphertext_blob=b64(ct))).body
    assert base64.b64decode(r.plaintext) == pt
    # And the SDK's encrypt round-trips.
    ct2 = c.asymmetric_encrypt(m.AsymmetricEncryptRequest(key_id=key_id, key_version_id=version, algorithm=alg, plaintext=b64(pt))).body
    r2 = c.asymmetric_decrypt(m.AsymmetricDecryptRequest(key_id=key_id, key_version_id=version, algorithm=alg, ciphertext_blob=ct2.ciphertext_blob)).body
    assert base64.b64decode(r2.plaintext) == pt


def test_public_key_is_pem_and_describe_matches(server, keys):
    key_id, version, pem = keys("EC_P256", "SIGN/VERIFY")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    c = alibaba_client(server)
    md = c.describe_key(m.DescribeKeyRequest(key_id=key_id)).body.key_metadata
    assert md.key_id == key_id and md.arn.endswith(f":key/{key_id}") and md.creation_date.endswith("Z")
    assert md.origin == "Aliyun_KMS" and md.primary_key_version == version


def test_key_versions(server):
    c = alibaba_client(server, "v2")
    md = c.create_key(m.CreateKeyRequest(key_spec="EC_P256K", key_usage="SIGN/VERIFY")).body.key_metadata
    v2 = c.create_key_version(m.CreateKeyVersionRequest(key_id=md.key_id)).body.key_version
    assert v2.key_id == md.key_id and v2.key_version_id != md.primary_key_version
    lst = c.list_key_versions(m.ListKeyVersionsRequest(key_id=md.key_id, page_size=1, page_number=2)).body
    assert lst.total_count == 2 and lst.page_number == 2 and lst.page_size == 1
    assert [v.key_version_id for v in lst.key_versions.key_version] == [v2.key_version_id]
    d = c.describe_key_version(m.DescribeKeyVersionRequest(key_id=md.key_id, key_version_id=v2.key_version_id)).body
    assert d.key_version.creation_date == v2.creation_date
    assert code_of(lambda: c.describe_key_version(m.DescribeKeyVersionRequest(
        key_id=md.key_id, key_version_id="00000000-0000-4000-8000-000000000000")))[0] == "Forbidden.ResourceNotFound"


def test_aliases(server, keys):
    key_id, version, pem = keys("EC_SM2", "SIGN/VERIFY")
    other, _, _ = keys("EC_P256", "SIGN/VERIFY")
    c = alibaba_client(server, "ACS3-HMAC-SM3")
    c.create_alias(m.CreateAliasRequest(alias_name="alias/ali-sm2", key_id=key_id))
    # The alias stands for the key wherever a key is taken.
    digest = outside.digest_for("SM2DSA", pem, MSG)
    r = c.asymmetric_sign(m.AsymmetricSignRequest(key_id="alias/ali-sm2", key_version_id=version, algorithm="SM2DSA", digest=b64(digest))).body
    assert r.key_id == key_id and outside.verify(pem, "SM2DSA", MSG, base64.b64decode(r.value))
    by_key = c.list_aliases_by_key_id(m.ListAliasesByKeyIdRequest(key_id=key_id)).body
    assert [(a.alias_name, a.key_id) for a in by_key.aliases.alias] == [("alias/ali-sm2", key_id)]
    c.update_alias(m.UpdateAliasRequest(alias_name="alias/ali-sm2", key_id=other))
    all_ = c.list_aliases(m.ListAliasesRequest(page_size=100)).body
    assert ("alias/ali-sm2", other) in [(a.alias_name, a.key_id) for a in all_.aliases.alias]
    assert code_of(lambda: c.create_alias(m.CreateAliasRequest(alias_name="alias/ali-sm2", key_id=key_id)))[0] == "Rejected.AlreadyExists"
    c.delete_alias(m.DeleteAliasRequest(alias_name="alias/ali-sm2"))
    assert code_of(lambda: c.delete_alias(m.DeleteAliasRequest(alias_name="alias/ali-sm2"))) == ("Forbidden.AliasNotFound", 404)


def test_list_keys_pages(server):
    c = alibaba_client(server)
    for _ in range(3):
        c.create_key(m.CreateKeyRequest(key_spec="EC_P256", key_usage="SIGN/VERIFY"))
    total = c.list_keys(m.ListKeysRequest(page_size=1)).body.total_count
    assert total >= 3
    seen = []
    for page in range(1, total // 2 + 2):
        body = c.list_keys(m.ListKeysRequest(page_number=page, page_size=2)).body
        assert body.page_number == page and body.page_size == 2 and body.total_count == total
        seen += [k.key_id for k in body.keys.key]
        assert all(k.key_arn.endswith(k.key_id) for k in body.keys.key)
    assert len(seen) == total == len(set(seen))
    assert code_of(lambda: c.list_keys(m.ListKeysRequest(page_size=101)))[0] == "InvalidParameter"
    # Filters (KeyState, KeySpec, KeyUsage).
    import json
    sm2 = c.create_key(m.CreateKeyRequest(key_spec="EC_SM2", key_usage="ENCRYPT/DECRYPT")).body.key_metadata.key_id
    f = json.dumps([{"Key": "KeySpec", "Values": ["EC_SM2"]}, {"Key": "KeyUsage", "Values": ["ENCRYPT/DECRYPT"]}])
    only = c.list_keys(m.ListKeysRequest(filters=f, page_size=100)).body
    assert sm2 in [k.key_id for k in only.keys.key]
    for k in only.keys.key:
        md = c.describe_key(m.DescribeKeyRequest(key_id=k.key_id)).body.key_metadata
        assert (md.key_spec, md.key_usage) == ("EC_SM2", "ENCRYPT/DECRYPT")
    assert code_of(lambda: c.list_keys(m.ListKeysRequest(filters='[{"Key": "Color", "Values": ["x"]}]')))[0] == "InvalidParameter"


def test_disable_enable_and_deletion(server):
    c = alibaba_client(server)
    md = c.create_key(m.CreateKeyRequest(key_spec="EC_P256", key_usage="SIGN/VERIFY")).body.key_metadata
    sign = lambda: c.asymmetric_sign(m.AsymmetricSignRequest(
        key_id=md.key_id, key_version_id=md.primary_key_version, algorithm="ECDSA_SHA_256", digest=b64(b"\x01" * 32)))
    c.disable_key(m.DisableKeyRequest(key_id=md.key_id))
    assert c.describe_key(m.DescribeKeyRequest(key_id=md.key_id)).body.key_metadata.key_state == "Disabled"
    assert code_of(sign) == ("Rejected.Disabled", 409)
    c.enable_key(m.EnableKeyRequest(key_id=md.key_id))
    sign()
    c.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=md.key_id, pending_window_in_days=7))
    d = c.describe_key(m.DescribeKeyRequest(key_id=md.key_id)).body.key_metadata
    assert d.key_state == "PendingDeletion" and d.delete_date.endswith("Z")
    assert code_of(sign)[0] == "Rejected.InvalidKeyState"
    c.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=md.key_id))
    assert c.describe_key(m.DescribeKeyRequest(key_id=md.key_id)).body.key_metadata.key_state == "Enabled"
    assert code_of(lambda: c.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=md.key_id, pending_window_in_days=3)))[0] == "InvalidParameter"


def test_errors(server, keys):
    key_id, version, _ = keys("RSA_2048", "SIGN/VERIFY")
    c = alibaba_client(server)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert code_of(lambda: c.describe_key(m.DescribeKeyRequest(key_id=unknown))) == ("Forbidden.KeyNotFound", 404)
    # An algorithm that does not fit the key.
    assert code_of(lambda: c.asymmetric_sign(m.AsymmetricSignRequest(
        key_id=key_id, key_version_id=version, algorithm="SM2DSA", digest=b64(b"\x01" * 32))))[0] == "Rejected.UnsupportedOperation"
    assert code_of(lambda: c.asymmetric_sign(m.AsymmetricSignRequest(
        key_id=key_id, key_version_id=version, algorithm="RSA_PSS_SHA_256", digest=b64(b"short"))))[0] == "InvalidParameter"
    assert code_of(lambda: c.create_key(m.CreateKeyRequest(key_spec="Aliyun_AES_256")))[0] == "InvalidParameter"


def test_denied_action(server, keys):
    key_id, version, pem = keys("EC_P256", "SIGN/VERIFY")
    signer = alibaba_client(server, key=SIGNER)
    # Allowed: sign.
    signer.asymmetric_sign(m.AsymmetricSignRequest(key_id=key_id, key_version_id=version, algorithm="ECDSA_SHA_256", digest=b64(b"\x02" * 32)))
    # Denied: anything else.
    assert code_of(lambda: signer.create_key(m.CreateKeyRequest(key_spec="EC_P256", key_usage="SIGN/VERIFY"))) == ("Forbidden.RAM", 403)
    assert code_of(lambda: signer.disable_key(m.DisableKeyRequest(key_id=key_id)))[0] == "Forbidden.RAM"
    line = [l for l in server.audit() if l["AccessKeyId"] == SIGNER[0] and l["Operation"] == "DisableKey"][-1]
    assert line["Status"] == "AKMS_ERR_ACCESS_DENIED" and line["Principal"] == "signer" and line["Protocol"] == "Alibaba"
    assert line["KeyId"] == key_id
