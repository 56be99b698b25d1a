"""The one module that touches ctypes: finds ``libakms``, declares every prototype.

Search order for the shared library (first hit wins):

1. ``$AKMS_LIBRARY`` -- if set, only this path is tried;
2. a copy bundled inside this package (``pip install ./bindings/python`` puts it there);
3. the repository's ``target/release`` (when running from a source checkout).

If none exists the :class:`LibraryNotFoundError` names every path tried.

``PROTOTYPES`` lists every function of the C ABI (SPEC.md) as
``name -> (restype, argtypes)``; ``tests/test_ffi_drift.py`` checks it against
``include/akms.h``. A function the loaded library does not export (a feature
not built into it yet) is left out of ``lib`` and raises
:class:`MissingFunctionError` when called.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_size_t,
    c_uint32,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

#: The ``akms_abi_version()`` this binding is written for.
ABI_VERSION = 1

if sys.platform == "darwin":
    LIBRARY_NAME = "libakms.dylib"
elif sys.platform == "win32":
    LIBRARY_NAME = "akms.dll"
else:
    LIBRARY_NAME = "libakms.so"


class LibraryNotFoundError(ImportError):
    """libakms could not be found or loaded; the message names every path tried."""


class MissingFunctionError(NotImplementedError):
    """The loaded libakms does not export a function this binding declares."""


# --- C types ---------------------------------------------------------------------------


class akms_store(Structure):
    """Opaque ``struct akms_store``: only ever handled through a pointer."""


class akms_bytes(Structure):
    """``typedef struct akms_bytes { uint8_t *data; size_t len; } akms_bytes;``

    ``data`` is declared ``char *``: slicing it (``b.data[:b.len]``) copies the
    bytes in one C step.
    """

    _fields_ = [("data", POINTER(c_char)), ("len", c_size_t)]


akms_status = c_uint32
store_p = POINTER(akms_store)
#: ``typedef void (*akms_audit_fn)(void *user_data, const char *event_json);``
akms_audit_fn = CFUNCTYPE(None, c_void_p, c_char_p)

# Conventions: a `const char *` argument or a static `const char *` result is
# c_char_p (ctypes copies the result into bytes); a library-owned `char *`
# returned through `char **` is written into a c_char_p, whose `.value` copies
# it and which is then passed back to akms_string_free (declared `void *`, which
# takes a c_char_p as the pointer it holds); a `const uint8_t *` input is
# c_char_p, so bytes pass without a copy.
_str_out = POINTER(c_char_p)  # char **
_bytes_in = c_char_p  # const uint8_t *

PROTOTYPES: Dict[str, Tuple[Any, Sequence[Any]]] = {
    "akms_version": (c_char_p, []),
    "akms_abi_version": (c_uint32, []),
    "akms_status_name": (c_char_p, [akms_status]),
    "akms_last_error_message": (c_char_p, []),
    "akms_store_new": (akms_status, [POINTER(store_p)]),
    "akms_store_open": (akms_status, [c_char_p, _bytes_in, c_size_t, POINTER(store_p)]),
    "akms_store_free": (None, [store_p]),
    "akms_create_key": (
        akms_status,
        [store_p, c_uint32, c_uint32, c_char_p, _str_out, _str_out],
    ),
    "akms_create_key_version": (akms_status, [store_p, c_char_p, _str_out]),
    "akms_import_key": (
        akms_status,
        [store_p, c_uint32, _bytes_in, c_size_t, c_char_p, _str_out, _str_out],
    ),
    "akms_import_key_version": (
        akms_status,
        [store_p, c_char_p, _bytes_in, c_size_t, _str_out],
    ),
    "akms_describe_key": (akms_status, [store_p, c_char_p, _str_out]),
    "akms_list_keys": (akms_status, [store_p, _str_out]),
    "akms_list_key_versions": (akms_status, [store_p, c_char_p, _str_out]),
    "akms_create_alias": (akms_status, [store_p, c_char_p, c_char_p]),
    "akms_update_alias": (akms_status, [store_p, c_char_p, c_char_p]),
    "akms_delete_alias": (akms_status, [store_p, c_char_p]),
    "akms_enable_key": (akms_status, [store_p, c_char_p]),
    "akms_disable_key": (akms_status, [store_p, c_char_p]),
    "akms_schedule_key_deletion": (akms_status, [store_p, c_char_p, c_uint32]),
    "akms_cancel_key_deletion": (akms_status, [store_p, c_char_p]),
    "akms_get_public_key": (akms_status, [store_p, c_char_p, c_char_p, _str_out]),
    "akms_asymmetric_encrypt": (
        akms_status,
        [store_p, c_char_p, c_char_p, c_uint32, _bytes_in, c_size_t, POINTER(akms_bytes)],
    ),
    "akms_asymmetric_decrypt": (
        akms_status,
        [store_p, c_char_p, c_char_p, c_uint32, _bytes_in, c_size_t, POINTER(akms_bytes)],
    ),
    "akms_asymmetric_sign": (
        akms_status,
        [
            store_p,
            c_char_p,
            c_char_p,
            c_uint32,
            c_uint32,
            _bytes_in,
            c_size_t,
            POINTER(akms_bytes),
        ],
    ),
    "akms_asymmetric_verify": (
        akms_status,
        [
            store_p,
            c_char_p,
            c_char_p,
            c_uint32,
            c_uint32,
            _bytes_in,
            c_size_t,
            _bytes_in,
            c_size_t,
            POINTER(c_bool),
        ],
    ),
    "akms_generate_csr": (
        akms_status,
        [store_p, c_char_p, c_char_p, c_char_p, POINTER(c_char_p), c_size_t, _str_out],
    ),
    "akms_bytes_free": (None, [POINTER(akms_bytes)]),
    "akms_string_free": (None, [c_void_p]),
    "akms_store_set_audit_callback": (akms_status, [store_p, akms_audit_fn, c_void_p]),
    "akms_store_restrict": (akms_status, [store_p, c_char_p, POINTER(store_p)]),
}


# --- finding and loading the library ------------------------------------------------


def candidate_paths() -> List[Path]:
    """The paths the loader tries, in order."""
    override = os.environ.get("AKMS_LIBRARY")
    if override:
        return [Path(override)]
    here = Path(__file__).resolve().parent
    # src/akms -> src -> python -> bindings -> repository root
    repo = here.parents[3] if len(here.parents) > 3 else here
    return [here / LIBRARY_NAME, repo / "target" / "release" / LIBRARY_NAME]


def _load() -> Tuple[ctypes.CDLL, Path]:
    tried: List[str] = []
    for path in candidate_paths():
        if not path.is_file():
            tried.append(f"{path} (not found)")
            continue
        try:
            return ctypes.CDLL(str(path)), path
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise LibraryNotFoundError(
        "cannot load libakms; tried: "
        + "; ".join(tried)
        + ". Build it with `cargo build --release`, reinstall the package with "
        "`pip install ./bindings/python`, or set AKMS_LIBRARY to the library's path."
    )


class _Lib:
    """The loaded library's functions, each with argtypes/restype declared."""

    def __init__(self, cdll: ctypes.CDLL, path: Path) -> None:
        self.cdll = cdll
        self.path = path
        self.missing: List[str] = []
        for name, (restype, argtypes) in PROTOTYPES.items():
            try:
                fn = getattr(cdll, name)
            except AttributeError:
                self.missing.append(name)
                setattr(self, name, _missing(name, path))
                continue
            fn.restype = restype
            fn.argtypes = list(argtypes)
            setattr(self, name, fn)

    def has(self, name: str) -> bool:
        """Whether the loaded library exports ``name``."""
        return name not in self.missing

    def __getattr__(self, name: str) -> Callable[..., Any]:  # for type checkers
        raise AttributeError(name)


def _missing(name: str, path: Path) -> Callable[..., Any]:
    def fail(*_args: Any) -> Any:
        raise MissingFunctionError(
            f"{path} does not export {name}: this libakms predates the feature; "
            "rebuild it from a newer checkout"
        )

    return fail


def _open() -> _Lib:
    cdll, path = _load()
    lib = _Lib(cdll, path)
    for required in ("akms_abi_version", "akms_store_new", "akms_store_free", "akms_last_error_message"):
        if not lib.has(required):
            raise LibraryNotFoundError(f"{path} is not libakms: it does not export {required}")
    abi = lib.akms_abi_version()
    if abi != ABI_VERSION:
        raise LibraryNotFoundError(
            f"{path} has ABI version {abi}, this binding needs {ABI_VERSION}; "
            "rebuild the library and the binding from the same checkout"
        )
    return lib


lib = _open()


def last_error_message() -> str:
    """This thread's last failure text from the library ("" if none)."""
    raw: Optional[bytes] = lib.akms_last_error_message()
    return raw.decode("utf-8", "replace") if raw else ""
