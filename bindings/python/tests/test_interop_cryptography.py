"""Interop with pyca/cryptography: akms signs and cryptography verifies, cryptography
encrypts and akms decrypts, public keys load with the right size and curve; with
import, the other direction too."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

import akms
from conftest import needs, sha256

MSG = b"The quick brown fox jumps over the lazy dog"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
PREHASHED = utils.Prehashed(hashes.SHA256())


def pub(store: akms.Store, key) -> object:
    return serialization.load_pem_public_key(store.get_public_key(*key).encode())


# --- public keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,usage,bits",
    [
        ("RSA_2048", "SIGN/VERIFY", 2048),
        ("RSA_3072", "SIGN/VERIFY", 3072),
        ("RSA_2048", "ENCRYPT/DECRYPT", 2048),
        ("RSA_3072", "ENCRYPT/DECRYPT", 3072),
    ],
)
def test_rsa_public_key_loads(store, make_key, spec, usage, bits) -> None:
    key = pub(store, make_key(spec, usage))
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == bits
    assert key.public_numbers().e == 65537


@pytest.mark.parametrize("spec,curve", [("EC_P256", ec.SECP256R1), ("EC_P256K", ec.SECP256K1)])
def test_ec_public_key_loads(store, make_key, spec, curve) -> None:
    key = pub(store, make_key(spec, "SIGN/VERIFY"))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert isinstance(key.curve, curve)
    # re-encoding gives the same SubjectPublicKeyInfo akms handed out
    pem = store.get_public_key(*make_key(spec, "SIGN/VERIFY"))
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert der == base64.b64decode("".join(pem.strip().splitlines()[1:-1]))


# --- akms signs, cryptography verifies ---------------------------------------------------


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072"])
@pytest.mark.parametrize("message_type", ["DIGEST", "RAW"])
@pytest.mark.parametrize("alg", ["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"])
def test_rsa_signatures_verify_in_cryptography(store, make_key, spec, message_type, alg) -> None:
    key = make_key(spec, "SIGN/VERIFY")
    data = sha256(MSG) if message_type == "DIGEST" else MSG
    sig = store.asymmetric_sign(*key, alg, data, message_type=message_type)
    pad = PSS if alg == "RSA_PSS_SHA_256" else padding.PKCS1v15()
    public = pub(store, key)
    public.verify(sig, MSG, pad, hashes.SHA256())
    public.verify(sig, sha256(MSG), pad, PREHASHED)
    with pytest.raises(InvalidSignature):
        public.verify(sig, MSG + b".", pad, hashes.SHA256())
    assert store.asymmetric_verify(*key, alg, data, sig, message_type=message_type)


@pytest.mark.parametrize("spec", ["EC_P256", "EC_P256K"])
@pytest.mark.parametrize("message_type", ["DIGEST", "RAW"])
def test_ecdsa_signatures_verify_in_cryptography(store, make_key, spec, message_type) -> None:
    key = make_key(spec, "SIGN/VERIFY")
    data = sha256(MSG) if message_type == "DIGEST" else MSG
    sig = store.asymmetric_sign(*key, "ECDSA_SHA_256", data, message_type=message_type)
    utils.decode_dss_signature(sig)  # DER SEQUENCE{r, s}
    public = pub(store, key)
    public.verify(sig, MSG, ec.ECDSA(hashes.SHA256()))
    public.verify(sig, sha256(MSG), ec.ECDSA(PREHASHED))
    with pytest.raises(InvalidSignature):
        public.verify(sig, MSG + b".", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("spec,order", [
    ("EC_P256", 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    ("EC_P256K", 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141),
])
def test_ecdsa_verify_accepts_high_s(store, make_key, spec, order) -> None:
    key = make_key(spec, "SIGN/VERIFY")
    digest = sha256(MSG)
    r, s = utils.decode_dss_signature(store.asymmetric_sign(*key, "ECDSA_SHA_256", digest))
    flipped = utils.encode_dss_signature(r, order - s)  # the other valid s
    pub(store, key).verify(flipped, digest, ec.ECDSA(PREHASHED))
    assert store.asymmetric_verify(*key, "ECDSA_SHA_256", digest, flipped)


# --- cryptography encrypts, akms decrypts ------------------------------------------------


def oaep(h: hashes.HashAlgorithm) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


@pytest.mark.parametrize("spec,limit1,limit256", [("RSA_2048", 214, 190), ("RSA_3072", 342, 318)])
@pytest.mark.parametrize("alg", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_oaep_from_cryptography_decrypts_in_akms(store, make_key, spec, limit1, limit256, alg) -> None:
    key = make_key(spec, "ENCRYPT/DECRYPT")
    h = hashes.SHA1() if alg == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    limit = limit1 if alg == "RSAES_OAEP_SHA_1" else limit256
    public = pub(store, key)
    for pt in (b"", b"secret", bytes(range(256))[:limit]):
        ct = public.encrypt(pt, oaep(h))
        assert store.asymmetric_decrypt(*key, alg, ct) == pt
    # and akms's own ciphertext round-trips at the size limit
    pt = b"\xa5" * limit
    assert store.asymmetric_decrypt(*key, alg, store.asymmetric_encrypt(*key, alg, pt)) == pt


# --- import: cryptography's private key inside akms --------------------------------------


def pkcs8(private) -> bytes:
    return private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def rsa_private():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@needs("akms_import_key")
@pytest.mark.parametrize("curve,spec", [(ec.SECP256R1, "EC_P256"), (ec.SECP256K1, "EC_P256K")])
def test_imported_ec_key(store, curve, spec) -> None:
    private = ec.generate_private_key(curve())
    key = store.import_key("SIGN/VERIFY", pkcs8(private), description="imported")
    meta = store.describe_key(key[0])
    assert meta["KeySpec"] == spec and meta["Origin"] == "EXTERNAL"
    assert pub(store, key).public_numbers() == private.public_key().public_numbers()
    sig = store.asymmetric_sign(*key, "ECDSA_SHA_256", MSG, message_type="RAW")
    private.public_key().verify(sig, MSG, ec.ECDSA(hashes.SHA256()))
    theirs = private.sign(MSG, ec.ECDSA(hashes.SHA256()))
    assert store.asymmetric_verify(*key, "ECDSA_SHA_256", sha256(MSG), theirs)


@needs("akms_import_key")
def test_imported_rsa_key_signs_and_decrypts(store, rsa_private) -> None:
    signer = store.import_key("SIGN/VERIFY", pkcs8(rsa_private))
    assert store.describe_key(signer[0])["KeySpec"] == "RSA_2048"
    theirs = rsa_private.sign(MSG, PSS, hashes.SHA256())
    assert store.asymmetric_verify(*signer, "RSA_PSS_SHA_256", MSG, theirs, message_type="RAW")
    decrypter = store.import_key(akms.KeyUsage.ENCRYPT_DECRYPT, pkcs8(rsa_private))
    for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
        ct = store.asymmetric_encrypt(*decrypter, alg, b"to cryptography")
        assert rsa_private.decrypt(ct, oaep(h)) == b"to cryptography"


@needs("akms_import_key", "akms_import_key_version")
def test_import_key_version(store, rsa_private) -> None:
    key_id, v1 = store.create_key("EC_P256", "SIGN/VERIFY")
    private = ec.generate_private_key(ec.SECP256R1())
    v2 = store.import_key_version(key_id, pkcs8(private))
    assert {v["KeyVersionId"] for v in store.list_key_versions(key_id)} == {v1, v2}
    sig = store.asymmetric_sign(key_id, v2, "ECDSA_SHA_256", MSG, message_type="RAW")
    private.public_key().verify(sig, MSG, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(akms.IncompatibleError):  # an RSA key is not a version of an EC key
        store.import_key_version(key_id, pkcs8(rsa_private))


@needs("akms_import_key")
def test_import_garbage_is_invalid_argument(store) -> None:
    with pytest.raises(akms.InvalidArgumentError):
        store.import_key("SIGN/VERIFY", b"\x30\x03\x02\x01\x00")
