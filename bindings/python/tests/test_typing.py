"""The package passes ``mypy --strict`` and ships ``py.typed``, so users' type checkers see its types."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import akms

SRC = Path(__file__).resolve().parents[1] / "src" / "akms"

# What a user's strictly checked program sees: every call typed, no Any leaking into it.
USER_PROGRAM = '''
import hashlib
from typing import Any, Dict, List, Tuple
import akms

def sign(store: akms.Store) -> Tuple[bytes, bool, List[Dict[str, Any]]]:
    key, version = store.create_key(akms.KeySpec.EC_P256, "SIGN/VERIFY")
    digest: bytes = hashlib.sha256(b"m").digest()
    sig = store.asymmetric_sign(key, version, akms.Algorithm.ECDSA_SHA_256, digest)
    ok = store.asymmetric_verify(key, version, "ECDSA_SHA_256", digest, sig, message_type="DIGEST")
    return sig, ok, store.list_keys()

with akms.Store() as s:
    sig, ok, keys = sign(s)
    pem: str = s.get_public_key(keys[0]["KeyId"], s.list_key_versions(keys[0]["KeyId"])[0]["KeyVersionId"])
    try:
        s.describe_key("alias/none")
    except akms.NotFoundError as e:
        status: akms.Status = e.status
'''


def mypy(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    pytest.importorskip("mypy", reason="mypy is installed by make test-python")
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def test_package_passes_mypy_strict(tmp_path: Path) -> None:
    r = mypy("--cache-dir", str(tmp_path / "cache"), str(SRC), cwd=tmp_path, env=dict(os.environ))
    assert r.returncode == 0, r.stdout + r.stderr


def test_user_code_type_checks_against_the_package(tmp_path: Path) -> None:
    program = tmp_path / "user.py"
    program.write_text(USER_PROGRAM)
    env = dict(os.environ, MYPYPATH=str(SRC.parent))
    r = mypy("--cache-dir", str(tmp_path / "cache"), str(program), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("import akms\nx: int = akms.Store().get_public_key('k', 'v')\n")
    r = mypy("--cache-dir", str(tmp_path / "cache"), str(bad), cwd=tmp_path, env=env)
    assert r.returncode == 1 and 'incompatible types in assignment (expression has type "str"' in r.stdout.lower()


def test_py_typed_ships_with_the_installed_package() -> None:
    assert (Path(akms.__file__).parent / "py.typed").is_file()
