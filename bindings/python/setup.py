"""Builds the akms wheel: the Python package with libakms inside.

Where the bundled library comes from:

- ``$AKMS_LIBRARY`` set at build time: that file, as is (no Rust build);
- otherwise setuptools-rust builds it from the repository this directory sits in
  (``../../Cargo.toml``, release profile, default features, ``--locked``), with the
  Rust toolchain on ``PATH``. ``CARGO_TARGET_DIR`` chooses where cargo builds.

The package version is the crate's (``[package] version`` of ``../../Cargo.toml``),
the one source of truth; the build writes it to ``akms/_version.py``. The wheel
holds a native library but no CPython extension: it is tagged
``py3-none-<platform>``, and on Linux the build backend (``backend/akms_build.py``)
turns the platform into the manylinux tag that ``auditwheel`` finds.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution
from setuptools_rust import Binding, RustExtension, build_rust

HERE = Path(__file__).resolve().parent
CARGO_TOML = HERE.parents[1] / "Cargo.toml"

if sys.platform == "darwin":
    LIBRARY_NAME = "libakms.dylib"
elif sys.platform == "win32":
    LIBRARY_NAME = "akms.dll"
else:
    LIBRARY_NAME = "libakms.so"


def crate_version() -> str:
    """``version`` of the ``[package]`` table of the crate's Cargo.toml."""
    try:
        text = CARGO_TOML.read_text(encoding="utf-8")
    except OSError as e:
        raise SystemExit(
            f"akms: cannot read {CARGO_TOML} ({e}): build from a checkout of the akms "
            "repository (pip install <repo>/bindings/python), not from a copy of this directory"
        ) from e
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    version = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not version:
        raise SystemExit(f"akms: no [package] version in {CARGO_TOML}")
    return version.group(1)


def given_library() -> Path | None:
    """The library named by ``$AKMS_LIBRARY``, if set (it must exist)."""
    override = os.environ.get("AKMS_LIBRARY")
    if not override:
        return None
    path = Path(override)
    if not path.is_file():
        raise SystemExit(f"akms: AKMS_LIBRARY={override} is not a file")
    return path


class BinaryDistribution(Distribution):
    """The wheel carries a native library, so it is a platform wheel (platlib)."""

    def has_ext_modules(self) -> bool:
        return True


class build_rust_libakms(build_rust):
    """setuptools-rust would name the cdylib like a CPython extension; ctypes loads ``libakms.so``."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        default = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(default), LIBRARY_NAME)


class build_py_akms(build_py):
    """Writes ``akms/_version.py``; with ``$AKMS_LIBRARY`` set, copies that library in."""

    def run(self) -> None:
        super().run()
        if self.dry_run:
            return
        package = Path(self.build_lib) / "akms"
        package.mkdir(parents=True, exist_ok=True)
        (package / "_version.py").write_text(
            f'"""Written by setup.py from the crate\'s Cargo.toml."""\n\n__version__ = "{VERSION}"\n'
        )
        if LIBRARY is not None:
            dest = package / LIBRARY_NAME
            shutil.copyfile(LIBRARY, dest)
            os.chmod(dest, 0o755)
            print(f"akms: bundled {LIBRARY} -> {dest}")


cmdclass: Dict[str, Any] = {"build_py": build_py_akms, "build_rust": build_rust_libakms}

try:
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
    except ImportError:
        from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

    class bdist_wheel_py3_none(bdist_wheel):  # type: ignore[misc,valid-type]
        """``py3-none-<platform>``: any Python 3, no CPython ABI, this platform."""

        def get_tag(self) -> Tuple[str, str, str]:
            _python, _abi, plat = super().get_tag()
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = bdist_wheel_py3_none
except ImportError:  # no wheel support: sdist only
    pass

VERSION = crate_version()
LIBRARY = given_library()
rust_extensions: List[RustExtension] = []
if LIBRARY is None:
    rust_extensions.append(
        RustExtension(
            "akms.libakms",
            path=str(CARGO_TOML),
            binding=Binding.NoBinding,
            debug=False,
            args=["--locked"],
        )
    )

setup(
    version=VERSION,
    distclass=BinaryDistribution,
    cmdclass=cmdclass,
    rust_extensions=rust_extensions,
    zip_safe=False,
)
