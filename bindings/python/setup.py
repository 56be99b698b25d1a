"""Bundles libakms into the package at build time.

The library is taken from ``$AKMS_LIBRARY`` if set, else from the repository's
``target/release`` (pip builds in-tree, so ``../../target/release`` is found).
Run ``cargo build --release`` first. The wheel is tagged ``py3-none-<platform>``:
it holds a native library but no CPython extension.
"""

import os
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

if sys.platform == "darwin":
    LIBRARY_NAME = "libakms.dylib"
elif sys.platform == "win32":
    LIBRARY_NAME = "akms.dll"
else:
    LIBRARY_NAME = "libakms.so"


def find_library() -> Path:
    override = os.environ.get("AKMS_LIBRARY")
    candidates = [Path(override)] if override else [HERE.parents[1] / "target" / "release" / LIBRARY_NAME]
    for path in candidates:
        if path.is_file():
            return path
    raise SystemExit(
        "akms: cannot bundle the shared library, tried: "
        + ", ".join(str(p) for p in candidates)
        + ". Run `cargo build --release` in the repository root first, "
        "or set AKMS_LIBRARY to the library's path."
    )


class build_py_with_library(build_py):
    def run(self) -> None:
        super().run()
        if not self.dry_run:
            lib = find_library()
            dest = Path(self.build_lib) / "akms" / LIBRARY_NAME
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lib, dest)
            os.chmod(dest, 0o755)
            print(f"akms: bundled {lib} -> {dest}")


cmdclass = {"build_py": build_py_with_library}

try:
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
    except ImportError:
        from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

    class bdist_wheel_platform(bdist_wheel):
        def finalize_options(self) -> None:
            super().finalize_options()
            self.root_is_pure = False  # ships a native library

        def get_tag(self):  # type: ignore[no-untyped-def]
            _python, _abi, plat = super().get_tag()
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = bdist_wheel_platform
except ImportError:  # building without wheel (e.g. sdist only)
    pass

setup(cmdclass=cmdclass)
