"""`akms serve --store FILE` shares its store file with the `akms` command and the Python
binding (another process opening the same file) at the same time: what one changes, the others
see on their next call, in both directions."""

import base64
import hashlib
import json
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from conftest import AKMS, ROOT, Server, aws_client

PASSPHRASE = b"shared store passphrase"
DIGEST = hashlib.sha256(b"one store, three processes").digest()
AKMS_ERR_INVALID_STATE = 5


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared")
    store = tmp / "shared.akms"
    passphrase_file = tmp / "passphrase"
    passphrase_file.write_bytes(PASSPHRASE)
    store_args = ["--store", str(store), "--passphrase-file", str(passphrase_file)]
    s = Server(tmp, name="shared", store_args=store_args)
    s.store_args = store_args
    s.store_path = store
    s.tmp = tmp
    yield s
    assert s.stop() == 0, s.proc.stderr.read().decode()


def cli(shared, *args, check=True):
    """Runs `akms --store FILE --passphrase-file P ARGS`; returns (exit status, parsed JSON)."""
    p = subprocess.run([str(AKMS), *shared.store_args, *args], capture_output=True, timeout=60)
    if check:
        assert p.returncode == 0, (args, p.returncode, p.stderr.decode())
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, p.stderr.decode()


def cli_sign(shared, key, version):
    digest = shared.tmp / "digest.bin"
    digest.write_bytes(DIGEST)
    return cli(shared, "sign", "--key", key, "--key-version", version,
               "--algorithm", "ECDSA_SHA_256", "--in", str(digest), check=False)


def python_opener(shared, code):
    """Runs `code` in a separate Python process that opens the same store file through the
    ctypes binding (`store` is bound to it); returns what the code prints (JSON)."""
    prelude = (
        "import json, sys, akms\n"
        f"store = akms.Store.open({str(shared.store_path)!r}, {PASSPHRASE!r})\n"
    )
    env = dict(os.environ,
               PYTHONPATH=str(ROOT / "bindings" / "python" / "src"),
               AKMS_LIBRARY=str(ROOT / "target" / "release" / "libakms.so"))
    p = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def sdk_sign_and_verify_locally(kms, key_id):
    sig = kms.sign(KeyId=key_id, Message=DIGEST, MessageType="DIGEST",
                   SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    serialization.load_der_public_key(der).verify(sig, DIGEST, ec.ECDSA(Prehashed(hashes.SHA256())))


def test_a_key_the_cli_creates_is_served_at_once(shared):
    _, made, _ = cli(shared, "create-key", "--key-spec", "EC_P256", "--key-usage", "SIGN/VERIFY")
    kms = aws_client(shared)
    md = kms.describe_key(KeyId=made["KeyId"])["KeyMetadata"]
    assert md["KeyId"] == made["KeyId"] and md["KeyState"] == "Enabled"
    assert md["KeySpec"] == "ECC_NIST_P256"
    sdk_sign_and_verify_locally(kms, made["KeyId"])
    # An alias the CLI makes resolves through the server too.
    cli(shared, "create-alias", "--alias", "alias/shared-cli", "--key", made["KeyId"])
    assert kms.describe_key(KeyId="alias/shared-cli")["KeyMetadata"]["KeyId"] == made["KeyId"]


def test_a_key_disabled_through_the_server_is_refused_to_the_cli(shared):
    _, made, _ = cli(shared, "create-key", "--key-spec", "EC_P256", "--key-usage", "SIGN/VERIFY")
    key, version = made["KeyId"], made["KeyVersionId"]
    status, out, _ = cli_sign(shared, key, version)
    assert status == 0 and out["Value"]
    kms = aws_client(shared)
    kms.disable_key(KeyId=key)
    status, out, err = cli_sign(shared, key, version)
    assert status == 10 + AKMS_ERR_INVALID_STATE, (status, out, err)
    assert cli(shared, "describe-key", "--key", key)[1]["KeyMetadata"]["KeyState"] == "Disabled"
    # ... and to another process opening the file through the Python binding.
    got = python_opener(shared, (
        f"try:\n"
        f"    store.asymmetric_sign({key!r}, {version!r}, 'ECDSA_SHA_256', {DIGEST!r})\n"
        f"    print(json.dumps('signed'))\n"
        f"except akms.InvalidStateError as e:\n"
        f"    print(json.dumps(type(e).__name__))\n"))
    assert got == "InvalidStateError"
    # Enabled again through the server: the CLI signs again.
    kms.enable_key(KeyId=key)
    status, out, _ = cli_sign(shared, key, version)
    assert status == 0 and out["Value"]


def test_a_key_disabled_by_the_cli_is_refused_by_the_server(shared):
    kms = aws_client(shared)
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    # Created through the server: the CLI sees it at once.
    assert cli(shared, "describe-key", "--key", key)[1]["KeyMetadata"]["KeyState"] == "Enabled"
    sdk_sign_and_verify_locally(kms, key)
    cli(shared, "disable-key", "--key", key)
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=key, Message=DIGEST, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert e.value.response["Error"]["Code"] == "DisabledException"
    cli(shared, "enable-key", "--key", key)
    sdk_sign_and_verify_locally(kms, key)


def test_a_key_the_python_binding_creates_is_served_at_once(shared):
    made = python_opener(shared, (
        "k, v = store.create_key('EC_P256', 'SIGN/VERIFY')\n"
        "print(json.dumps({'KeyId': k, 'KeyVersionId': v}))\n"))
    kms = aws_client(shared)
    got = kms.get_public_key(KeyId=made["KeyId"])
    assert got["KeySpec"] == "ECC_NIST_P256"
    sdk_sign_and_verify_locally(kms, made["KeyId"])
    # The version given as KeyId names that version (the AWS mapping of key versions).
    sig = kms.sign(KeyId=made["KeyVersionId"], Message=DIGEST, MessageType="DIGEST",
                   SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert base64.b64encode(sig)


def test_the_server_audits_requests_on_the_shared_store(shared):
    lines = shared.audit()
    assert any(l["Operation"] == "DisableKey" and l["Status"] == "AKMS_OK" for l in lines), lines[-5:]
    assert any(l["Operation"] == "AsymmetricSign" and l["Status"] == "AKMS_ERR_INVALID_STATE"
               for l in lines), lines[-5:]
