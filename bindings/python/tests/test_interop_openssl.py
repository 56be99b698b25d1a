"""Interop with the OpenSSL CLI: SM2 (which cryptography lacks) and CSRs."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

import akms
from conftest import needs, needs_openssl, openssl, pem_file

pytestmark = needs_openssl

MSG = b"SM2 interop message \xe4\xb8\xad\xe6\x96\x87"
DISTID = "distid:1234567812345678"

# GB/T 32918.5 curve parameters, for Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)
SM2_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
SM2_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
SM2_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
SM2_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")
SM2_ID = b"1234567812345678"


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def spki_point(pem: str) -> bytes:
    """The uncompressed point 04||x||y: the last 65 bytes of an EC SubjectPublicKeyInfo."""
    der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    assert der[-65] == 4
    return der[-64:]


def sm2_e(pem: str, msg: bytes) -> bytes:
    z = sm3((len(SM2_ID) * 8).to_bytes(2, "big") + SM2_ID + SM2_A + SM2_B + SM2_GX + SM2_GY + spki_point(pem))
    return sm3(z + msg)


def ossl_ok(*args: str, input: bytes = b"") -> bytes:
    r = openssl(*args, input=input)
    assert r.returncode == 0, f"openssl {' '.join(args)} failed: {r.stderr.decode(errors='replace')}"
    return r.stdout


def openssl_sm2_verify(tmp: Path, pem: str, msg: bytes, sig: bytes) -> bool:
    (tmp / "msg").write_bytes(msg)
    (tmp / "sig").write_bytes(sig)
    r = openssl(
        "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
        "-pubin", "-inkey", str(pem_file(tmp, pem)), "-in", str(tmp / "msg"), "-sigfile", str(tmp / "sig"),
    )
    return r.returncode == 0 and b"Signature Verified Successfully" in r.stdout


def der_read(buf: bytes, i: int):
    """One DER TLV at i: (tag, value, next index)."""
    tag, length = buf[i], buf[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[i : i + n], "big")
        i += n
    return tag, buf[i : i + length], i + length


def sm2_der_to_raw(ct: bytes) -> bytes:
    """SEQUENCE{x, y, C3, C2} -> 04||x||y||C3||C2."""
    tag, body, _ = der_read(ct, 0)
    assert tag == 0x30
    parts, i = [], 0
    while i < len(body):
        _, v, i = der_read(body, i)
        parts.append(v)
    x, y, c3, c2 = parts
    return b"\x04" + int.from_bytes(x, "big").to_bytes(32, "big") + int.from_bytes(y, "big").to_bytes(32, "big") + c3 + c2


@pytest.fixture(scope="module")
def sm2_sign(store, make_key):
    return make_key("EC_SM2", "SIGN/VERIFY")


@pytest.fixture(scope="module")
def sm2_enc(store, make_key):
    return make_key("EC_SM2", "ENCRYPT/DECRYPT")


def test_sm2_public_key_reads_in_openssl(store, sm2_sign, tmp_path) -> None:
    out = ossl_ok("pkey", "-pubin", "-in", str(pem_file(tmp_path, store.get_public_key(*sm2_sign))), "-noout", "-text")
    assert b"SM2" in out


def test_sm2dsa_raw_verifies_in_openssl(store, sm2_sign, tmp_path) -> None:
    sig = store.asymmetric_sign(*sm2_sign, "SM2DSA", MSG, message_type="RAW")
    pem = store.get_public_key(*sm2_sign)
    assert openssl_sm2_verify(tmp_path, pem, MSG, sig)
    assert not openssl_sm2_verify(tmp_path, pem, MSG + b"!", sig)
    assert store.asymmetric_verify(*sm2_sign, "SM2DSA", MSG, sig, message_type="RAW")


@pytest.mark.skipif("sm3" not in hashlib.algorithms_available, reason="hashlib has no SM3")
def test_sm2dsa_digest_e_verifies_in_openssl(store, sm2_sign, tmp_path) -> None:
    pem = store.get_public_key(*sm2_sign)
    e = sm2_e(pem, MSG)
    sig = store.asymmetric_sign(*sm2_sign, "SM2DSA", e)  # DIGEST: e = SM3(Z || M)
    assert openssl_sm2_verify(tmp_path, pem, MSG, sig)
    assert store.asymmetric_verify(*sm2_sign, "SM2DSA", e, sig)
    assert store.asymmetric_verify(*sm2_sign, "SM2DSA", MSG, sig, message_type="RAW")


@pytest.mark.parametrize("size", [1, 100, 6047])
def test_sm2pke_from_openssl_decrypts_in_akms(store, sm2_enc, tmp_path, size) -> None:
    pt = bytes((i * 7) & 0xFF for i in range(size))
    (tmp_path / "pt").write_bytes(pt)
    pem = pem_file(tmp_path, store.get_public_key(*sm2_enc))
    ossl_ok("pkeyutl", "-encrypt", "-pubin", "-inkey", str(pem), "-in", str(tmp_path / "pt"), "-out", str(tmp_path / "ct"))
    ct = (tmp_path / "ct").read_bytes()
    assert store.asymmetric_decrypt(*sm2_enc, "SM2PKE", ct) == pt
    assert store.asymmetric_decrypt(*sm2_enc, "SM2PKE", sm2_der_to_raw(ct)) == pt


def test_sm2pke_limits(store, sm2_enc) -> None:
    with pytest.raises(akms.InvalidArgumentError):
        store.asymmetric_encrypt(*sm2_enc, "SM2PKE", b"")
    with pytest.raises(akms.InvalidArgumentError):
        store.asymmetric_encrypt(*sm2_enc, "SM2PKE", b"x" * 6048)
    ct = store.asymmetric_encrypt(*sm2_enc, "SM2PKE", b"x" * 6047)
    assert der_read(ct, 0)[0] == 0x30  # DER, as OpenSSL writes it
    assert store.asymmetric_decrypt(*sm2_enc, "SM2PKE", ct) == b"x" * 6047


# --- import: an OpenSSL-generated SM2 key inside akms -------------------------------------


@pytest.fixture(scope="module")
def sm2_private(tmp_path_factory):
    d = tmp_path_factory.mktemp("sm2")
    ossl_ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", str(d / "key.pem"))
    ossl_ok("pkey", "-in", str(d / "key.pem"), "-pubout", "-out", str(d / "pub.pem"))
    ossl_ok("pkcs8", "-topk8", "-nocrypt", "-in", str(d / "key.pem"), "-outform", "DER", "-out", str(d / "key.der"))
    return d


@needs("akms_import_key")
def test_imported_sm2_key(store, sm2_private, tmp_path) -> None:
    der = (sm2_private / "key.der").read_bytes()
    signer = store.import_key("SIGN/VERIFY", der)
    assert store.describe_key(signer[0])["KeySpec"] == "EC_SM2"
    pem = (sm2_private / "pub.pem").read_text()
    assert spki_point(store.get_public_key(*signer)) == spki_point(pem)
    sig = store.asymmetric_sign(*signer, "SM2DSA", MSG, message_type="RAW")
    assert openssl_sm2_verify(tmp_path, pem, MSG, sig)
    # OpenSSL signs, akms verifies
    (tmp_path / "msg").write_bytes(MSG)
    ossl_ok("pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-pkeyopt", DISTID, "-inkey", str(sm2_private / "key.pem"),
            "-in", str(tmp_path / "msg"), "-out", str(tmp_path / "osig"))
    assert store.asymmetric_verify(*signer, "SM2DSA", MSG, (tmp_path / "osig").read_bytes(), message_type="RAW")
    # akms encrypts, OpenSSL decrypts
    decrypter = store.import_key("ENCRYPT/DECRYPT", der)
    (tmp_path / "ct").write_bytes(store.asymmetric_encrypt(*decrypter, "SM2PKE", b"for openssl"))
    out = ossl_ok("pkeyutl", "-decrypt", "-inkey", str(sm2_private / "key.pem"), "-in", str(tmp_path / "ct"))
    assert out == b"for openssl"


# --- CSRs ---------------------------------------------------------------------------------


@needs("akms_generate_csr")
@pytest.mark.parametrize("spec", ["RSA_2048", "EC_P256", "EC_P256K", "EC_SM2"])
def test_csr_verifies_in_openssl(store, make_key, spec, tmp_path) -> None:
    key = make_key(spec, "SIGN/VERIFY")
    csr = store.generate_csr(*key, "CN=example.com,O=Acme,C=CN", dns_names=["example.com", "www.example.com"])
    assert csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    path = pem_file(tmp_path, csr, "req.pem")
    args = ["req", "-in", str(path), "-verify", "-noout", "-text"]
    r = openssl(*args)
    if r.returncode != 0 and spec == "EC_SM2":
        r = openssl(*args, "-vfyopt", DISTID)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    text = r.stdout.decode()
    assert "CN = example.com" in text or "CN=example.com" in text
    assert "DNS:www.example.com" in text


@needs("akms_generate_csr")
@pytest.mark.parametrize("spec", ["RSA_2048", "EC_P256", "EC_P256K"])
def test_csr_loads_in_cryptography(store, make_key, spec) -> None:
    from cryptography import x509

    key = make_key(spec, "SIGN/VERIFY")
    csr = x509.load_pem_x509_csr(store.generate_csr(*key, "CN=example.com,O=Acme,C=CN", ("example.com",)).encode())
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == "CN=example.com,O=Acme,C=CN"
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["example.com"]


@needs("akms_generate_csr")
def test_csr_for_encryption_key_is_incompatible(store, make_key) -> None:
    with pytest.raises(akms.IncompatibleError):
        store.generate_csr(*make_key("RSA_2048", "ENCRYPT/DECRYPT"), "CN=x")
    with pytest.raises(TypeError):
        store.generate_csr(*make_key("EC_P256", "SIGN/VERIFY"), "CN=x", dns_names="example.com")  # type: ignore[arg-type]
