"""akms: an embeddable asymmetric key management service (Python binding).

Private keys never leave ``libakms``; callers hold key ids and version ids::

    import akms

    with akms.Store() as store:
        key_id, version_id = store.create_key("EC_P256", "SIGN/VERIFY")
        sig = store.asymmetric_sign(key_id, version_id, "ECDSA_SHA_256", digest)
        assert store.asymmetric_verify(key_id, version_id, "ECDSA_SHA_256", digest, sig)

The shared library is found through ``$AKMS_LIBRARY``, else inside this
package, else the repository's ``target/release``.
"""

from __future__ import annotations

from . import _ffi
from ._enums import Algorithm, KeySpec, KeyUsage, MessageType
from ._errors import (
    AccessDeniedError,
    AlreadyExistsError,
    CorruptStoreError,
    DecryptionError,
    Error,
    IncompatibleError,
    InternalError,
    InvalidArgumentError,
    InvalidStateError,
    NotFoundError,
    Status,
    StoreIOError,
)
from ._ffi import LibraryNotFoundError, MissingFunctionError
from ._store import Store, StoreClosedError

#: Path of the libakms that was loaded.
library_path: str = str(_ffi.lib.path)


def library_version() -> str:
    """The loaded libakms's crate version (``akms_version()``), e.g. ``"0.1.0"``."""
    raw = _ffi.lib.akms_version()
    return raw.decode("ascii") if raw else ""


try:  # written by the build (setup.py) from the crate's Cargo.toml: one version for both
    from ._version import __version__  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # a source checkout (PYTHONPATH=bindings/python/src): the library's crate version
    __version__ = library_version()


def abi_version() -> int:
    """The loaded libakms's ABI version (``akms_abi_version()``)."""
    return int(_ffi.lib.akms_abi_version())


__all__ = [
    "Store",
    "KeySpec",
    "KeyUsage",
    "Algorithm",
    "MessageType",
    "Status",
    "Error",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "IncompatibleError",
    "InvalidStateError",
    "DecryptionError",
    "AccessDeniedError",
    "StoreIOError",
    "CorruptStoreError",
    "InternalError",
    "StoreClosedError",
    "LibraryNotFoundError",
    "MissingFunctionError",
    "library_path",
    "library_version",
    "abi_version",
]
