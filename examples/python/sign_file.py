#!/usr/bin/env python3
"""Sign a file with a key held in akms, then verify the signature with `cryptography`.

    python examples/python/sign_file.py FILE [--store keys.akms --passphrase-env AKMS_PASSPHRASE]

Without --store the key lives in an in-memory store for the run. Writes
FILE.sig (DER ECDSA signature) and FILE.pub.pem next to FILE, so the signature
can also be checked with OpenSSL:

    openssl dgst -sha256 -verify FILE.pub.pem -signature FILE.sig FILE
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import akms

ALIAS = "alias/file-signing"


def open_store(args: argparse.Namespace) -> akms.Store:
    if args.store is None:
        return akms.Store()
    passphrase = os.environ.get(args.passphrase_env)
    if not passphrase:
        sys.exit(f"set {args.passphrase_env} to the store's passphrase")
    return akms.Store.open(args.store, passphrase.encode())


def signing_key(store: akms.Store) -> tuple[str, str]:
    """The key behind ALIAS and its newest version, created on first use."""
    try:
        key_id = store.describe_key(ALIAS)["KeyId"]
    except akms.NotFoundError:
        key_id, version_id = store.create_key(akms.KeySpec.EC_P256, akms.KeyUsage.SIGN_VERIFY, "file signing")
        store.create_alias(ALIAS, key_id)
        return key_id, version_id
    versions = sorted(store.list_key_versions(key_id), key=lambda v: v["CreationDate"])
    return key_id, versions[-1]["KeyVersionId"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--store", help="persistent store file (default: in memory)")
    parser.add_argument("--passphrase-env", default="AKMS_PASSPHRASE", help="variable holding the passphrase")
    args = parser.parse_args()

    data = args.file.read_bytes()
    digest = hashlib.sha256(data).digest()

    with open_store(args) as store:
        key_id, version_id = signing_key(store)
        signature = store.asymmetric_sign(key_id, version_id, akms.Algorithm.ECDSA_SHA_256, digest)
        public_pem = store.get_public_key(key_id, version_id)

    sig_path = args.file.with_name(args.file.name + ".sig")
    pub_path = args.file.with_name(args.file.name + ".pub.pem")
    sig_path.write_bytes(signature)
    pub_path.write_text(public_pem)

    # Verify outside akms, with nothing but the public key.
    public_key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    try:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        print("signature does NOT verify", file=sys.stderr)
        return 1
    print(f"signed {args.file} with key {key_id} version {version_id}")
    print(f"wrote {sig_path} and {pub_path}; cryptography verified the signature")
    return 0


if __name__ == "__main__":
    sys.exit(main())
