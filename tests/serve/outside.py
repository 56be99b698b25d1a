"""Outside implementations the tests check akms serve against: pyca/cryptography for RSA and
ECDSA, the OpenSSL command for SM2 (which cryptography lacks)."""

import base64
import hashlib
import subprocess
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

SM2_ID = b"1234567812345678"
SM2_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
SM2_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
SM2_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
SM2_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def der_to_pem(der: bytes) -> str:
    b = base64.b64encode(der).decode()
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END PUBLIC KEY-----\n"


def sm2_e(pem: str, msg: bytes) -> bytes:
    """SM2DSA's digest e = SM3(Z || M) with the default id."""
    der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    point = der[-64:]
    z = sm3((len(SM2_ID) * 8).to_bytes(2, "big") + SM2_ID + SM2_A + SM2_B + SM2_GX + SM2_GY + point)
    return sm3(z + msg)


def _openssl(*args, input=b""):
    return subprocess.run(["openssl", *args], input=input, capture_output=True)


def openssl_sm2_verify(pem: str, msg: bytes, sig: bytes) -> bool:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "pub.pem").write_text(pem)
        (d / "msg").write_bytes(msg)
        (d / "sig").write_bytes(sig)
        r = _openssl("pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
                     "-pubin", "-inkey", str(d / "pub.pem"), "-in", str(d / "msg"), "-sigfile", str(d / "sig"))
        return r.returncode == 0 and b"Signature Verified Successfully" in r.stdout


def openssl_sm2_encrypt(pem: str, pt: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "pub.pem").write_text(pem)
        (d / "pt").write_bytes(pt)
        r = _openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(d / "pub.pem"), "-in", str(d / "pt"), "-out", str(d / "ct"))
        assert r.returncode == 0, r.stderr
        return (d / "ct").read_bytes()


def verify(pem: str, alg: str, msg: bytes, sig: bytes) -> bool:
    """Verifies `sig` over the message `msg` with an outside library (algorithm by akms name)."""
    if alg == "SM2DSA":
        return openssl_sm2_verify(pem, msg, sig)
    pub = serialization.load_pem_public_key(pem.encode())
    digest = hashlib.sha256(msg).digest()
    pre = utils.Prehashed(hashes.SHA256())
    try:
        if alg == "RSA_PSS_SHA_256":
            pub.verify(sig, digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32), pre)
        elif alg == "RSA_PKCS1_SHA_256":
            pub.verify(sig, digest, padding.PKCS1v15(), pre)
        elif alg == "ECDSA_SHA_256":
            pub.verify(sig, digest, ec.ECDSA(pre))
        else:
            raise ValueError(alg)
        return True
    except InvalidSignature:
        return False


def encrypt(pem: str, alg: str, pt: bytes) -> bytes:
    """Encrypts `pt` to the public key with an outside library."""
    if alg == "SM2PKE":
        return openssl_sm2_encrypt(pem, pt)
    pub = serialization.load_pem_public_key(pem.encode())
    h = hashes.SHA1() if alg == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    return pub.encrypt(pt, padding.OAEP(padding.MGF1(h), h, None))


def digest_for(alg: str, pem: str, msg: bytes) -> bytes:
    """The DIGEST a cloud KMS signs for `msg`: SHA-256, or e for SM2DSA."""
    return sm2_e(pem, msg) if alg == "SM2DSA" else hashlib.sha256(msg).digest()


# Every key spec with its algorithms, by akms (= Alibaba) name.
SIGN_CASES = [
    ("RSA_2048", "RSA_PSS_SHA_256"), ("RSA_2048", "RSA_PKCS1_SHA_256"),
    ("RSA_3072", "RSA_PSS_SHA_256"), ("RSA_3072", "RSA_PKCS1_SHA_256"),
    ("EC_P256", "ECDSA_SHA_256"), ("EC_P256K", "ECDSA_SHA_256"), ("EC_SM2", "SM2DSA"),
]
ENCRYPT_CASES = [
    ("RSA_2048", "RSAES_OAEP_SHA_1"), ("RSA_2048", "RSAES_OAEP_SHA_256"),
    ("RSA_3072", "RSAES_OAEP_SHA_1"), ("RSA_3072", "RSAES_OAEP_SHA_256"), ("EC_SM2", "SM2PKE"),
]
