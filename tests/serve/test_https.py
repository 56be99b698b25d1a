"""HTTPS: akms serve with a certificate from a CA made here; boto3 and the Alibaba SDK trust
only that CA. Also: SIGTERM stops the server with exit status 0."""

import datetime
import ipaddress

import pytest
from alibabacloud_kms20160120 import models as m
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Server, alibaba_client, aws_client


def make_ca_and_leaf(tmp):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "akms test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    return tmp / "ca.pem"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    ca = make_ca_and_leaf(tmp)
    s = Server(tmp, ["--tls-cert", str(tmp / "cert.pem"), "--tls-key", str(tmp / "key.pem")], name="tls")
    s.ca = str(ca)
    yield s
    assert s.stop() == 0


def test_listening_line_says_https(tls_server):
    assert tls_server.url.startswith("https://127.0.0.1:")


def test_boto3_over_https(tls_server):
    kms = aws_client(tls_server, verify=tls_server.ca)
    md = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    sig = kms.sign(KeyId=md["KeyId"], Message=b"over TLS", SigningAlgorithm="ECDSA_SHA_256")
    assert kms.verify(KeyId=md["KeyId"], Message=b"over TLS", Signature=sig["Signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]


def test_untrusted_client_is_refused(tls_server):
    import botocore.exceptions
    kms = aws_client(tls_server)  # the system CAs only
    with pytest.raises(botocore.exceptions.SSLError):
        kms.list_keys()


def test_alibaba_sdk_over_https(tls_server):
    c = alibaba_client(tls_server, protocol="HTTPS", ca=tls_server.ca)
    md = c.create_key(m.CreateKeyRequest(key_spec="EC_SM2", key_usage="SIGN/VERIFY")).body.key_metadata
    assert c.describe_key(m.DescribeKeyRequest(key_id=md.key_id)).body.key_metadata.key_spec == "EC_SM2"
    c2 = alibaba_client(tls_server, "v2", protocol="HTTPS", ca=tls_server.ca)
    assert c2.list_keys(m.ListKeysRequest()).body.total_count >= 1


def test_sigterm_completes_requests_in_flight_and_exits_zero(tmp_path):
    import threading
    import time

    s = Server(tmp_path, name="term")
    kms = aws_client(s)
    assert kms.list_keys()["Keys"] == []
    result = {}

    def slow():  # RSA-3072 key generation: long enough to be in flight at the signal
        result["md"] = kms.create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")["KeyMetadata"]

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.05)
    s.proc.terminate()
    t.join(60)
    assert result["md"]["KeySpec"] == "RSA_3072"
    assert s.proc.wait(30) == 0
