"""akms serve through boto3 and the AWS CLI (SigV4, JSON 1.1)."""

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import outside
from conftest import ADMIN, SIGNER, aws_client

MSG = b"akms serve, AWS SDK"
AWS_SPEC = {"RSA_2048": "RSA_2048", "RSA_3072": "RSA_3072", "EC_P256": "ECC_NIST_P256",
            "EC_P256K": "ECC_SECG_P256K1", "EC_SM2": "SM2"}
AWS_ALG = {"RSA_PSS_SHA_256": "RSASSA_PSS_SHA_256", "RSA_PKCS1_SHA_256": "RSASSA_PKCS1_V1_5_SHA_256",
           "ECDSA_SHA_256": "ECDSA_SHA_256", "SM2DSA": "SM2DSA", "RSAES_OAEP_SHA_1": "RSAES_OAEP_SHA_1",
           "RSAES_OAEP_SHA_256": "RSAES_OAEP_SHA_256", "SM2PKE": "SM2PKE"}


@pytest.fixture(scope="module")
def kms(server):
    return aws_client(server, region="eu-central-1")


@pytest.fixture(scope="module")
def keys(kms):
    made = {}

    def get(spec, usage):
        if (spec, usage) not in made:
            md = kms.create_key(KeySpec=AWS_SPEC[spec], KeyUsage=usage, Description="aws test")["KeyMetadata"]
            assert md["KeySpec"] == AWS_SPEC[spec] and md["KeyUsage"] == usage and md["Enabled"]
            assert md["Arn"] == f"arn:aws:kms:eu-central-1:000000000000:key/{md['KeyId']}"
            pub = kms.get_public_key(KeyId=md["KeyId"])
            made[(spec, usage)] = (md["KeyId"], md["Arn"], outside.der_to_pem(pub["PublicKey"]), pub)
        return made[(spec, usage)]

    return get


def error_of(call):
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


@pytest.mark.parametrize("spec,alg", outside.SIGN_CASES)
def test_sign_verify(kms, keys, spec, alg):
    key_id, arn, pem, pub = keys(spec, "SIGN_VERIFY")
    assert AWS_ALG[alg] in pub["SigningAlgorithms"] and pub["KeySpec"] == AWS_SPEC[spec]
    a = AWS_ALG[alg]
    r = kms.sign(KeyId=key_id, Message=MSG, SigningAlgorithm=a)  # RAW, the AWS default
    assert r["KeyId"] == arn and r["SigningAlgorithm"] == a
    assert outside.verify(pem, alg, MSG, r["Signature"])
    digest = outside.digest_for(alg, pem, MSG)
    r2 = kms.sign(KeyId=arn, Message=digest, MessageType="DIGEST", SigningAlgorithm=a)
    assert outside.verify(pem, alg, MSG, r2["Signature"])
    assert kms.verify(KeyId=key_id, Message=MSG, Signature=r2["Signature"], SigningAlgorithm=a)["SignatureValid"]
    bad = bytearray(r["Signature"])
    bad[len(bad) // 2] ^= 1
    assert error_of(lambda: kms.verify(KeyId=key_id, Message=MSG, Signature=bytes(bad), SigningAlgorithm=a)) == "KMSInvalidSignatureException"
    with pytest.raises(kms.exceptions.KMSInvalidSignatureException):
        kms.verify(KeyId=key_id, Message=MSG + b"!", Signature=r["Signature"], SigningAlgorithm=a)


@pytest.mark.parametrize("spec,alg", outside.ENCRYPT_CASES)
def test_encrypt_outside_decrypt(kms, keys, spec, alg):
    key_id, arn, pem, pub = keys(spec, "ENCRYPT_DECRYPT")
    a = AWS_ALG[alg]
    assert a in pub["EncryptionAlgorithms"]
    pt = os.urandom(64)
    r = kms.decrypt(KeyId=key_id, CiphertextBlob=outside.encrypt(pem, alg, pt), EncryptionAlgorithm=a)
    assert r["Plaintext"] == pt and r["KeyId"] == arn and r["EncryptionAlgorithm"] == a
    ct = kms.encrypt(KeyId=key_id, Plaintext=pt, EncryptionAlgorithm=a)["CiphertextBlob"]
    assert kms.decrypt(KeyId=key_id, CiphertextBlob=ct, EncryptionAlgorithm=a)["Plaintext"] == pt
    assert error_of(lambda: kms.decrypt(KeyId=key_id, CiphertextBlob=b"\x00" * 16, EncryptionAlgorithm=a)) == "InvalidCiphertextException"


def test_key_versions_newest_and_by_version_id(server, kms):
    """A key id means the newest version; a version id as KeyId means that version."""
    from alibabacloud_kms20160120 import models as m
    from conftest import alibaba_client

    md = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    ali = alibaba_client(server)
    first = ali.describe_key(m.DescribeKeyRequest(key_id=md["KeyId"])).body.key_metadata.primary_key_version
    old_pem = outside.der_to_pem(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"])
    new = ali.create_key_version(m.CreateKeyVersionRequest(key_id=md["KeyId"])).body.key_version.key_version_id
    new_pem = outside.der_to_pem(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"])
    assert new_pem != old_pem
    sig = kms.sign(KeyId=md["KeyId"], Message=MSG, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert outside.verify(new_pem, "ECDSA_SHA_256", MSG, sig)
    r = kms.sign(KeyId=first, Message=MSG, SigningAlgorithm="ECDSA_SHA_256")
    # (The response also carries "KeyVersionId"; boto3 drops fields its model lacks.)
    assert r["KeyId"].endswith(md["KeyId"])
    assert outside.verify(old_pem, "ECDSA_SHA_256", MSG, r["Signature"])
    assert outside.der_to_pem(kms.get_public_key(KeyId=first)["PublicKey"]) == old_pem
    assert new != first


def test_aliases_and_list_aliases(kms, keys):
    key_id, arn, pem, _ = keys("EC_P256", "SIGN_VERIFY")
    other, _, _, _ = keys("EC_SM2", "SIGN_VERIFY")
    kms.create_alias(AliasName="alias/aws-one", TargetKeyId=key_id)
    sig = kms.sign(KeyId="alias/aws-one", Message=MSG, SigningAlgorithm="ECDSA_SHA_256")
    assert sig["KeyId"] == arn and outside.verify(pem, "ECDSA_SHA_256", MSG, sig["Signature"])
    alias_arn = "arn:aws:kms:eu-central-1:000000000000:alias/aws-one"
    assert kms.describe_key(KeyId=alias_arn)["KeyMetadata"]["KeyId"] == key_id
    got = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"], a["AliasArn"]) for a in got] == [("alias/aws-one", key_id, alias_arn)]
    kms.update_alias(AliasName="alias/aws-one", TargetKeyId=other)
    assert kms.describe_key(KeyId="alias/aws-one")["KeyMetadata"]["KeyId"] == other
    assert error_of(lambda: kms.create_alias(AliasName="alias/aws-one", TargetKeyId=key_id)) == "AlreadyExistsException"
    kms.delete_alias(AliasName="alias/aws-one")
    assert error_of(lambda: kms.describe_key(KeyId="alias/aws-one")) == "NotFoundException"


def test_list_keys_pages(kms):
    for _ in range(3):
        kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    everything = [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
    seen, marker = [], None
    while True:
        r = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        seen += [k["KeyId"] for k in r["Keys"]]
        assert all(k["KeyArn"].endswith(k["KeyId"]) for k in r["Keys"])
        if not r["Truncated"]:
            break
        marker = r["NextMarker"]
    assert seen == everything and len(seen) >= 3
    # The paginator follows the markers too.
    pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}))
    assert [k["KeyId"] for p in pages for k in p["Keys"]] == everything


def test_disable_enable_deletion(kms):
    md = kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    sign = lambda: kms.sign(KeyId=md["KeyId"], Message=MSG, SigningAlgorithm="ECDSA_SHA_256")
    kms.disable_key(KeyId=md["KeyId"])
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert error_of(sign) == "DisabledException"
    kms.enable_key(KeyId=md["Arn"])
    sign()
    r = kms.schedule_key_deletion(KeyId=md["KeyId"], PendingWindowInDays=7)
    assert r["KeyState"] == "PendingDeletion" and r["PendingWindowInDays"] == 7 and r["KeyId"] == md["Arn"]
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["DeletionDate"] == r["DeletionDate"]
    assert error_of(sign) == "KMSInvalidStateException"
    assert error_of(lambda: kms.schedule_key_deletion(KeyId=md["KeyId"], PendingWindowInDays=7)) == "KMSInvalidStateException"
    assert kms.cancel_key_deletion(KeyId=md["KeyId"])["KeyId"] == md["Arn"]
    sign()


def test_errors(kms, keys):
    key_id, _, _, _ = keys("RSA_2048", "SIGN_VERIFY")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert error_of(lambda: kms.describe_key(KeyId=unknown)) == "NotFoundException"
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.sign(KeyId=unknown, Message=MSG, SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(lambda: kms.sign(KeyId=key_id, Message=MSG, SigningAlgorithm="ECDSA_SHA_256")) == "InvalidKeyUsageException"
    assert error_of(lambda: kms.sign(KeyId=key_id, Message=b"short", MessageType="DIGEST",
                                     SigningAlgorithm="RSASSA_PSS_SHA_256")) == "ValidationException"
    assert error_of(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")) == "InvalidKeyUsageException"
    assert error_of(lambda: kms.sign(KeyId=key_id, Message=MSG, SigningAlgorithm="RSASSA_PSS_SHA_512")) == "InvalidKeyUsageException"
    assert error_of(lambda: kms.create_key(KeySpec="SYMMETRIC_DEFAULT")) == "ValidationException"
    assert error_of(lambda: kms.create_key(CustomerMasterKeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")) == "InvalidKeyUsageException"
    # The older CustomerMasterKeySpec is taken too.
    md = kms.create_key(CustomerMasterKeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["CustomerMasterKeySpec"] == "ECC_NIST_P256"


def test_denied_action(server, keys):
    key_id, _, _, _ = keys("EC_P256", "SIGN_VERIFY")
    signer = aws_client(server, key=SIGNER)
    signer.sign(KeyId=key_id, Message=MSG, SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(lambda: signer.verify(KeyId=key_id, Message=MSG, Signature=b"\x30\x00",
                                          SigningAlgorithm="ECDSA_SHA_256")) == "AccessDeniedException"
    assert error_of(lambda: signer.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")) == "AccessDeniedException"
    line = [l for l in server.audit() if l["AccessKeyId"] == SIGNER[0] and l["Operation"] == "CreateKey"][-1]
    assert line["Status"] == "AKMS_ERR_ACCESS_DENIED" and line["Principal"] == "signer" and line["Protocol"] == "AWS"


def test_aws_cli_sign(server, keys, tmp_path):
    key_id, arn, pem, _ = keys("EC_P256", "SIGN_VERIFY")
    (tmp_path / "msg").write_bytes(MSG)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ADMIN[0], AWS_SECRET_ACCESS_KEY=ADMIN[1], AWS_DEFAULT_REGION="us-west-2",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    aws = [str(Path(sys.executable).parent / "aws"), "--endpoint-url", server.url]
    r = subprocess.run(aws + ["kms", "sign", "--key-id", key_id, "--message", f"fileb://{tmp_path / 'msg'}",
                              "--message-type", "RAW", "--signing-algorithm", "ECDSA_SHA_256", "--output", "json"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["KeyId"] == arn.replace("eu-central-1", "us-west-2")
    assert outside.verify(pem, "ECDSA_SHA_256", MSG, base64.b64decode(out["Signature"]))
    r = subprocess.run(aws + ["kms", "describe-key", "--key-id", "00000000-0000-4000-8000-000000000000"],
                       env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "NotFoundException" in r.stderr
