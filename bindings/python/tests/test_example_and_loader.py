"""The example program runs; the loader finds the library as documented."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import akms
from c_header import REPO
from conftest import needs, needs_openssl, openssl

EXAMPLE = REPO / "examples" / "python" / "sign_file.py"
PACKAGE = Path(akms.__file__).resolve().parent


def run_python(code_or_args, env=None, cwd=None) -> subprocess.CompletedProcess:
    args = [sys.executable, *code_or_args] if isinstance(code_or_args, list) else [sys.executable, "-c", code_or_args]
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, check=False)


def child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AKMS_LIBRARY"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(PACKAGE.parent), env.get("PYTHONPATH", "")] if p)
    env.update(extra)
    return env


@needs_openssl
def test_sign_file_example(tmp_path: Path) -> None:
    doc = tmp_path / "contract.txt"
    doc.write_bytes(b"I agree.\n" * 100)
    r = run_python([str(EXAMPLE), str(doc)], env=child_env(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "cryptography verified the signature" in r.stdout
    v = openssl("dgst", "-sha256", "-verify", str(tmp_path / "contract.txt.pub.pem"),
                "-signature", str(tmp_path / "contract.txt.sig"), str(doc))
    assert v.returncode == 0 and b"Verified OK" in v.stdout


@needs("akms_store_open")
def test_sign_file_example_with_persistent_store(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("a")
    env = child_env(AKMS_PASSPHRASE="example passphrase")
    first = run_python([str(EXAMPLE), str(doc), "--store", str(tmp_path / "k.akms")], env=env, cwd=tmp_path)
    second = run_python([str(EXAMPLE), str(doc), "--store", str(tmp_path / "k.akms")], env=env, cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.split("with key ")[1].split()[0] == second.stdout.split("with key ")[1].split()[0]


def test_import_from_any_directory(tmp_path: Path) -> None:
    r = run_python("import akms; print(akms.library_path)", env=child_env(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("libakms.so")


def test_akms_library_override(tmp_path: Path) -> None:
    copy = tmp_path / "custom" / "libakms.so"
    copy.parent.mkdir()
    shutil.copyfile(akms.library_path, copy)
    r = run_python("import akms; print(akms.library_path)", env=child_env(AKMS_LIBRARY=str(copy)), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(copy)


def test_missing_override_names_the_path(tmp_path: Path) -> None:
    r = run_python("import akms", env=child_env(AKMS_LIBRARY=str(tmp_path / "nope.so")), cwd=tmp_path)
    assert r.returncode != 0
    assert "LibraryNotFoundError" in r.stderr and str(tmp_path / "nope.so") in r.stderr


def test_no_library_anywhere_names_every_path_tried(tmp_path: Path) -> None:
    # a copy of the package's Python files, away from any bundled library or repository
    pkg = tmp_path / "a" / "b" / "c" / "akms"
    shutil.copytree(PACKAGE, pkg, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    env = child_env()
    env["PYTHONPATH"] = str(pkg.parent)
    r = run_python("import akms", env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert str(pkg / "libakms.so") in r.stderr
    assert str(tmp_path / "target" / "release" / "libakms.so") in r.stderr
    assert "AKMS_LIBRARY" in r.stderr
