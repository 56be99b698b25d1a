"""Request authentication: each way a request can fail it is refused with the protocol's own
error, and leaves an audit line (AKMS_ERR_ACCESS_DENIED, the claimed access key)."""

import datetime
import json

import pytest
from alibabacloud_kms20160120 import models as m

import signing
from conftest import ADMIN, SIGNATURES, aws_client, alibaba_client

OLD = datetime.timedelta(minutes=20)


def audit_line(server, request_id):
    lines = [l for l in server.wait_audit(1) if l["RequestId"] == request_id]
    assert len(lines) == 1, request_id
    return lines[0]


def assert_refused_alibaba(server, r, code, access_key=ADMIN[0], operation="DescribeKey"):
    assert r.status_code in (400, 403, 404), r.text
    body = r.json()
    assert body["Code"] == code, body
    line = audit_line(server, body["RequestId"])
    assert line["Status"] == "AKMS_ERR_ACCESS_DENIED" and line["Protocol"] == "Alibaba"
    assert line["AccessKeyId"] == access_key and line["SourceIp"] == "127.0.0.1" and line["Operation"] == operation
    assert line["Principal"] == ""


def assert_refused_aws(server, r, error_type, access_key=ADMIN[0]):
    assert r.status_code == 400, r.text
    assert r.json()["__type"] == error_type and r.headers["x-amzn-ErrorType"] == error_type
    line = audit_line(server, r.headers["x-amzn-RequestId"])
    assert line["Status"] == "AKMS_ERR_ACCESS_DENIED" and line["Protocol"] == "AWS"
    assert line["AccessKeyId"] == access_key and line["Operation"] == "DescribeKey"


@pytest.fixture(scope="module")
def key_id(server):
    return alibaba_client(server).create_key(m.CreateKeyRequest(key_spec="EC_P256", key_usage="SIGN/VERIFY")).body.key_metadata.key_id


# ---- Alibaba -------------------------------------------------------------------------------

@pytest.mark.parametrize("sig_alg", SIGNATURES, ids=["ACS3-HMAC-SHA256", "v2", "ACS3-HMAC-SM3"])
def test_alibaba_wrong_secret_and_unknown_key(server, key_id, sig_alg):
    bad = alibaba_client(server, sig_alg, key=(ADMIN[0], "not-the-secret"))
    with pytest.raises(Exception) as e:
        bad.describe_key(m.DescribeKeyRequest(key_id=key_id))
    assert e.value.code == "SignatureDoesNotMatch" and e.value.status_code == 400
    line = audit_line(server, e.value.request_id)
    assert line["Status"] == "AKMS_ERR_ACCESS_DENIED" and line["AccessKeyId"] == ADMIN[0] and line["Protocol"] == "Alibaba"
    unknown = alibaba_client(server, sig_alg, key=("no-such-key", "whatever"))
    with pytest.raises(Exception) as e:
        unknown.describe_key(m.DescribeKeyRequest(key_id=key_id))
    assert e.value.code == "InvalidAccessKeyId.NotFound" and e.value.status_code == 404
    assert audit_line(server, e.value.request_id)["AccessKeyId"] == "no-such-key"


@pytest.mark.parametrize("alg", ["ACS3-HMAC-SHA256", "ACS3-HMAC-SM3"])
def test_acs3_replay_old_and_tampered(server, key_id, alg):
    ok = signing.acs3(server, "DescribeKey", {"KeyId": key_id}, alg=alg, nonce="nonce-" + alg)
    assert ok.status_code == 200 and ok.json()["KeyMetadata"]["KeyId"] == key_id
    again = signing.acs3(server, "DescribeKey", {"KeyId": key_id}, alg=alg, nonce="nonce-" + alg,
                         when=signing.utc_now() + datetime.timedelta(seconds=1))
    assert_refused_alibaba(server, again, "SignatureNonceUsed")
    old = signing.acs3(server, "DescribeKey", {"KeyId": key_id}, alg=alg, when=signing.utc_now() - OLD)
    assert_refused_alibaba(server, old, "RequestTimeTooSkewed")
    body = f"KeyId={key_id}".encode()
    assert signing.acs3(server, "DescribeKey", body=body, alg=alg).status_code == 200
    tampered = signing.acs3(server, "DescribeKey", body=body, alg=alg, send_body=b"KeyId=alias/other")
    assert_refused_alibaba(server, tampered, "SignatureDoesNotMatch")


def test_rpc_replay_old_and_tampered(server, key_id):
    assert signing.rpc(server, "DescribeKey", {"KeyId": key_id}, nonce="rpc-nonce").status_code == 200
    assert_refused_alibaba(server, signing.rpc(server, "DescribeKey", {"KeyId": key_id}, nonce="rpc-nonce"), "SignatureNonceUsed")
    assert_refused_alibaba(server, signing.rpc(server, "DescribeKey", {"KeyId": key_id}, when=signing.utc_now() - OLD),
                           "RequestTimeTooSkewed")
    assert_refused_alibaba(server, signing.rpc(server, "DescribeKey", {"KeyId": key_id}, tamper={"KeyId": "alias/x"}),
                           "SignatureDoesNotMatch")


def test_alibaba_unsigned(server, key_id):
    import requests
    r = requests.post(server.url + f"/?Action=DescribeKey&KeyId={key_id}", timeout=10)
    assert_refused_alibaba(server, r, "IncompleteSignature", access_key="")


# ---- AWS -----------------------------------------------------------------------------------

def test_aws_wrong_secret_and_unknown_key(server, key_id):
    bad = aws_client(server, key=(ADMIN[0], "not-the-secret"))
    with pytest.raises(Exception) as e:
        bad.describe_key(KeyId=key_id)
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert audit_line(server, e.value.response["ResponseMetadata"]["RequestId"])["Status"] == "AKMS_ERR_ACCESS_DENIED"
    with pytest.raises(Exception) as e:
        aws_client(server, key=("no-such-key", "x")).describe_key(KeyId=key_id)
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert audit_line(server, e.value.response["ResponseMetadata"]["RequestId"])["AccessKeyId"] == "no-such-key"


def test_aws_old_and_tampered(server, key_id):
    assert signing.aws(server, "DescribeKey", {"KeyId": key_id}).status_code == 200
    assert_refused_aws(server, signing.aws(server, "DescribeKey", {"KeyId": key_id}, when=signing.utc_now() - OLD),
                       "InvalidSignatureException")
    tampered = signing.aws(server, "DescribeKey", {"KeyId": key_id}, send_body=json.dumps({"KeyId": "alias/x"}).encode())
    assert_refused_aws(server, tampered, "InvalidSignatureException")
    import requests
    unsigned = requests.post(server.url + "/", headers={"X-Amz-Target": "TrentService.DescribeKey"}, data=b"{}", timeout=10)
    assert_refused_aws(server, unsigned, "IncompleteSignatureException", access_key="")


def test_neither_protocol(server):
    import requests
    r = requests.get(server.url + "/", timeout=10)
    assert r.status_code == 400
    line = audit_line(server, r.json()["RequestId"])
    assert line["Protocol"] == "" and line["Status"] == "AKMS_ERR_INVALID_ARGUMENT" and line["AccessKeyId"] == ""
