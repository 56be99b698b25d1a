"""Shared fixtures: one store per test session with keys created once (RSA keygen is slow)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict, Iterator, Tuple

import pytest

import akms
from c_header import HEADER, HEADER_INFO

Key = Tuple[str, str]  # (key_id, version_id)

# Store files made by the tests use a cheap KDF (the default is 64 MiB x 3 passes per open);
# the parameters are recorded in each file. Child processes inherit this too.
os.environ.setdefault("AKMS_KDF_PARAMS", "m=1024,t=1,p=1")


def in_header(name: str) -> bool:
    return name in HEADER_INFO.functions


def needs(*functions: str) -> pytest.MarkDecorator:
    """Skip while a pending C function is not yet in include/akms.h."""
    missing = [f for f in functions if not in_header(f)]
    return pytest.mark.skipif(
        bool(missing), reason=f"pending feature: {', '.join(missing)} not in {HEADER} yet"
    )


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def openssl(*args: str, input: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=input, capture_output=True, check=False)


@pytest.fixture(scope="session")
def store() -> Iterator[akms.Store]:
    with akms.Store() as s:
        yield s


@pytest.fixture(scope="session")
def make_key(store: akms.Store) -> Callable[[str, str], Key]:
    """``make_key(spec, usage)``: a key of that kind, created once per session."""
    cache: Dict[Tuple[str, str], Key] = {}

    def get(spec: str, usage: str) -> Key:
        if (spec, usage) not in cache:
            cache[(spec, usage)] = store.create_key(spec, usage, description=f"test {spec} {usage}")
        return cache[(spec, usage)]

    return get


@pytest.fixture
def fresh_key(store: akms.Store) -> Callable[..., Key]:
    """A new EC_P256 signing key (cheap) that a test may disable, delete, alias."""

    def make(spec: str = "EC_P256", usage: str = "SIGN/VERIFY") -> Key:
        return store.create_key(spec, usage)

    return make


def pem_file(tmp: Path, pem: str, name: str = "pub.pem") -> Path:
    p = tmp / name
    p.write_text(pem)
    return p
