"""Installing akms as a user does (issue 18): from a fresh clone, and from a wheel.

1. The repository's committed HEAD is cloned into a temporary directory (no
   ``target/``), a fresh venv runs ``pip install <clone>/bindings/python``: the build
   backend compiles libakms from the clone's sources and bundles it. The installed
   package is then used from outside the clone.
2. ``pip wheel`` of the same clone makes a ``py3-none-manylinux_2_X_<arch>`` wheel
   whose tag ``auditwheel show`` confirms and whose files are exactly the package's;
   it is installed into a second venv with cargo off ``PATH``, and used.

Slow (a venv each, build requirements from the package index, a Rust build), so
everything is built once per run in module fixtures, and the module is marked
``packaging`` (``-m "not packaging"`` leaves it out). To keep the Rust build short,
cargo builds in a cache kept in the system temp dir (``akms-python-packaging``):
the dependencies are compiled once per machine, the akms crate itself from each
clone, which the test checks in the build output.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, List, NamedTuple

import pytest

from c_header import REPO

pytestmark = pytest.mark.packaging

SRC = Path(__file__).resolve().parents[1] / "src" / "akms"
CARGO_TARGET_DIR = Path(tempfile.gettempdir()) / "akms-python-packaging" / "target"
BUILD_TIMEOUT = 3600  # a cold build of libakms and its dependencies: ~6 min on 2 busy cores

# Run by each venv's python from a directory outside the clone.
USE = r"""
import hashlib, importlib.metadata, json, akms
with akms.Store() as s:
    key, version = s.create_key("EC_P256", "SIGN/VERIFY")
    digest = hashlib.sha256(b"installed").digest()
    sig = s.asymmetric_sign(key, version, "ECDSA_SHA_256", digest)
    ok = s.asymmetric_verify(key, version, "ECDSA_SHA_256", digest, sig)
    bad = s.asymmetric_verify(key, version, "ECDSA_SHA_256", bytes(32), sig)
print(json.dumps({"ok": ok, "bad": bad, "package": akms.__file__, "library": akms.library_path,
                  "version": akms.__version__, "library_version": akms.library_version(),
                  "dist_version": importlib.metadata.version("akms")}))
"""


def crate_version(cargo_toml: Path) -> str:
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", cargo_toml.read_text(), re.M | re.S)
    assert package, cargo_toml
    version = re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    assert version, cargo_toml
    return version.group(1)


def clean_env(**extra: str) -> Dict[str, str]:
    """This environment without anything that would point Python or akms elsewhere."""
    drop = {"AKMS_LIBRARY", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDEVMODE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def run(args: List[str], env: Dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, check=False)
    assert r.returncode == 0, f"{' '.join(map(str, args))} exited {r.returncode}\n{r.stdout[-4000:]}\n{r.stderr[-6000:]}"
    return r


def venv(path: Path) -> Path:
    """A fresh venv (with pip) at ``path``; returns its python."""
    run([sys.executable, "-m", "venv", path], env=clean_env(), cwd=path.parent)
    return path / "bin" / "python"


def use(python: Path, cwd: Path, env: Dict[str, str]) -> Dict[str, object]:
    r = run([python, "-c", USE], env=env, cwd=cwd)
    return json.loads(r.stdout.splitlines()[-1])  # type: ignore[no-any-return]


class Installed(NamedTuple):
    clone: Path
    python: Path  # of the venv the clone was pip-installed into
    build_log: str
    version: str


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if shutil.which("git") is None or subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, check=False
    ).returncode:
        pytest.skip(f"{REPO} is not a git checkout")
    base = tmp_path_factory.mktemp("packaging")
    clone = base / "akms-clone"
    run(["git", "clone", "-q", REPO, clone], env=clean_env(), cwd=base)
    assert not (clone / "target").exists() and not (clone / "bindings/python/src/akms/libakms.so").exists()
    python = venv(base / "venv-source")
    env = clean_env(CARGO_TARGET_DIR=str(CARGO_TARGET_DIR), PIP_DISABLE_PIP_VERSION_CHECK="1")
    r = run([python, "-m", "pip", "install", "-v", clone / "bindings" / "python"], env=env, cwd=base,
            timeout=BUILD_TIMEOUT)
    return Installed(clone, python, r.stdout + r.stderr, crate_version(clone / "Cargo.toml"))


def test_pip_install_from_a_fresh_clone_builds_libakms(installed: Installed, tmp_path: Path) -> None:
    # The build compiled the akms crate from the clone's sources (not a library lying around).
    assert f"Compiling akms v{installed.version} ({installed.clone})" in installed.build_log, installed.build_log[-4000:]
    out = use(installed.python, cwd=tmp_path, env=clean_env())
    venv_dir = installed.python.parents[1]
    assert out["ok"] is True and out["bad"] is False
    assert Path(str(out["package"])).is_relative_to(venv_dir)
    assert Path(str(out["library"])) == Path(str(out["package"])).parent / "libakms.so"
    # One version: the crate's, for the package, its metadata and the bundled library.
    assert out["version"] == out["dist_version"] == out["library_version"] == installed.version


def test_wheel_is_manylinux_and_installs_without_rust(installed: Installed, tmp_path: Path) -> None:
    machine = platform.machine()
    env = clean_env(CARGO_TARGET_DIR=str(CARGO_TARGET_DIR), PIP_DISABLE_PIP_VERSION_CHECK="1")
    wheels = tmp_path / "wheels"
    run([installed.python, "-m", "pip", "wheel", "--no-deps", "-w", wheels, installed.clone / "bindings" / "python"],
        env=env, cwd=tmp_path, timeout=BUILD_TIMEOUT)
    (wheel,) = wheels.glob("*.whl")
    m = re.fullmatch(rf"akms-{re.escape(installed.version)}-py3-none-(manylinux_2_\d+_{machine})\.whl", wheel.name)
    assert m, f"wheel {wheel.name} is not tagged py3-none-manylinux_2_X_{machine}"
    plat = m.group(1)

    # auditwheel (from the package index) agrees that this is the platform tag of what is inside.
    run([installed.python, "-m", "pip", "install", "-q", "auditwheel"], env=env, cwd=tmp_path)
    show = run([installed.python, "-m", "auditwheel", "show", wheel], env=env, cwd=tmp_path).stdout
    consistent = re.search(r'consistent with the\s+following platform tag:\s+"([^"]+)"', show)
    assert consistent and consistent.group(1) == plat, show

    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        dist_info = f"akms-{installed.version}.dist-info"
        wheel_meta = z.read(f"{dist_info}/WHEEL").decode()
    package_files = {n for n in names if not n.startswith(dist_info + "/") and not n.endswith("/")}
    expected = {f"akms/{p.name}" for p in SRC.glob("*.py")} | {"akms/_version.py", "akms/libakms.so", "akms/py.typed"}
    assert package_files == expected
    assert "Root-Is-Purelib: false" in wheel_meta and f"Tag: py3-none-{plat}" in wheel_meta

    # A second venv on a "machine without Rust": no cargo or rustc on PATH, no index.
    path = os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not any((Path(d) / tool).exists() for tool in ("cargo", "rustc"))
    )
    assert shutil.which("cargo", path=path) is None
    python = venv(tmp_path / "venv-wheel")
    no_rust = clean_env(PATH=path, PIP_DISABLE_PIP_VERSION_CHECK="1")
    run([python, "-m", "pip", "install", "--no-index", "--no-deps", wheel], env=no_rust, cwd=tmp_path)
    out = use(python, cwd=tmp_path, env=no_rust)
    assert out["ok"] is True and out["bad"] is False
    assert Path(str(out["library"])).is_relative_to(tmp_path / "venv-wheel")
    assert out["version"] == out["dist_version"] == out["library_version"] == installed.version
