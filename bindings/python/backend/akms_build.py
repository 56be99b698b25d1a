"""The PEP 517 backend of the akms wheel: setuptools (with setuptools-rust, see
``setup.py``), then on Linux ``auditwheel repair``.

A wheel built on Linux is first tagged ``py3-none-linux_<arch>``, which installers
elsewhere refuse. ``auditwheel repair`` reads the glibc symbol versions that the
bundled ``libakms.so`` really needs and retags the wheel for the lowest manylinux
policy that has them (``py3-none-manylinux_2_X_<arch>``). It must find nothing to
graft (libakms needs only libc, libgcc_s and the loader), so it runs without an ELF
patcher: a build that links anything else fails here instead of shipping a wheel
that would not load elsewhere. Every other hook is setuptools' own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403  (get_requires_for_*, prepare_*, build_sdist, ...)


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    if not sys.platform.startswith("linux"):
        return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    with tempfile.TemporaryDirectory(prefix="akms-wheel-") as tmp:
        plain = Path(tmp) / _setuptools.build_wheel(tmp, config_settings, metadata_directory)
        repaired = Path(tmp) / "repaired"
        subprocess.run(
            [sys.executable, "-m", "auditwheel", "repair", "--patcher", "none",
             "--wheel-dir", str(repaired), str(plain)],
            check=True,
        )
        (wheel,) = repaired.glob("*.whl")
        dest = Path(wheel_directory) / wheel.name
        if dest.exists():
            os.remove(dest)
        shutil.move(str(wheel), dest)
        return wheel.name
