"""The binding's prototypes (``akms._ffi.PROTOTYPES``) must match ``include/akms.h``.

Fails when the header gains a function the binding does not declare, when a
signature differs, or when a constant's value differs. A function the binding
declares ahead of the header is allowed only while it is listed in PENDING;
once it lands in the header the entry must be removed (the set shrinks to empty).
"""

from __future__ import annotations

import ctypes
from typing import Set
from ctypes import POINTER, c_bool, c_char, c_char_p, c_size_t, c_uint32, c_void_p

import pytest

import akms
from akms import _ffi
from akms._enums import _CODES
from c_header import HEADER, HEADER_INFO

#: Functions of SPEC.md declared by the binding that the header does not have yet,
#: e.g. {"akms_store_open"}. Empty now: every function of SPEC.md has landed.
PENDING: Set[str] = set()

# How each C type of the header is declared in ctypes (see _ffi's conventions).
CTYPES = {
    "void": None,
    "uint32_t": c_uint32,
    "akms_status": c_uint32,
    "size_t": c_size_t,
    "bool *": POINTER(c_bool),
    "void *": c_void_p,
    "const char *": c_char_p,  # NUL-terminated input, or a static string result
    "char *": c_void_p,  # a library-owned string handed back to akms_string_free
    "char * *": POINTER(c_char_p),  # out: library-owned string, read by .value, then freed
    "const char * const *": POINTER(c_char_p),
    "const uint8_t *": c_char_p,  # byte input: bytes pass without a copy
    "uint8_t *": POINTER(c_char),  # akms_bytes.data: slicing it gives bytes
    "akms_store *": _ffi.store_p,
    "const akms_store *": _ffi.store_p,
    "akms_store * *": POINTER(_ffi.store_p),
    "akms_bytes *": POINTER(_ffi.akms_bytes),
    "akms_audit_fn": _ffi.akms_audit_fn,
}


def ctype_of(c_type: str) -> object:
    if c_type not in CTYPES:
        pytest.fail(f"{HEADER} uses the C type {c_type!r}, unknown to this test: extend CTYPES")
    return CTYPES[c_type]


def test_header_exists() -> None:
    assert HEADER.is_file(), f"{HEADER} is missing"
    assert HEADER_INFO.functions, f"no function parsed from {HEADER}"


def test_every_header_function_is_declared() -> None:
    missing = sorted(set(HEADER_INFO.functions) - set(_ffi.PROTOTYPES))
    assert not missing, f"declared in {HEADER} but not in akms._ffi.PROTOTYPES: {missing}"


@pytest.mark.parametrize("name", sorted(HEADER_INFO.functions))
def test_signature_matches_header(name: str) -> None:
    c_ret, c_args = HEADER_INFO.functions[name]
    assert name in _ffi.PROTOTYPES, f"{name} is not declared in akms._ffi"
    restype, argtypes = _ffi.PROTOTYPES[name]
    assert restype is ctype_of(c_ret), f"{name}: restype {restype} but the header returns {c_ret}"
    expected = [ctype_of(t) for t in c_args]
    assert len(argtypes) == len(expected), f"{name}: {len(argtypes)} args declared, header has {c_args}"
    for i, (got, want, c_type) in enumerate(zip(argtypes, expected, c_args)):
        assert got is want, f"{name} arg {i}: declared {got}, header says {c_type} -> {want}"


def test_declared_but_not_in_header_only_if_pending() -> None:
    extra = set(_ffi.PROTOTYPES) - set(HEADER_INFO.functions)
    assert extra <= PENDING, f"declared by the binding but neither in the header nor PENDING: {sorted(extra - PENDING)}"


def test_pending_entries_have_not_landed() -> None:
    landed = sorted(PENDING & set(HEADER_INFO.functions))
    assert not landed, f"now in {HEADER}: remove {landed} from PENDING in {__file__}"


def test_loaded_library_exports_every_header_function() -> None:
    # The library and the header come from the same checkout.
    missing = [n for n in HEADER_INFO.functions if not _ffi.lib.has(n)]
    assert not missing, f"{akms.library_path} lacks {missing}: rebuild with cargo build --release"


def test_audit_fn_typedef() -> None:
    if "akms_audit_fn" not in HEADER_INFO.fn_typedefs:
        pytest.skip("pending feature: akms_audit_fn not in the header yet")
    ret, args = HEADER_INFO.fn_typedefs["akms_audit_fn"]
    assert ctype_of(ret) is _ffi.akms_audit_fn._restype_
    assert [ctype_of(a) for a in args] == list(_ffi.akms_audit_fn._argtypes_)


def test_bytes_struct_layout() -> None:
    fields = HEADER_INFO.structs.get("akms_bytes")
    assert fields, "struct akms_bytes not found in the header"
    assert [n for n, _ in fields] == [n for n, _ in _ffi.akms_bytes._fields_]
    assert [ctype_of(t) for _, t in fields] == [t for _, t in _ffi.akms_bytes._fields_]
    assert ctypes.sizeof(_ffi.akms_bytes) == 2 * ctypes.sizeof(c_void_p)


def _expected_constants() -> dict:
    prefixes = {
        "KeySpec": "AKMS_KEY_SPEC_",
        "KeyUsage": "AKMS_KEY_USAGE_",
        "Algorithm": "AKMS_ALG_",
        "MessageType": "AKMS_MESSAGE_",
    }
    enums = {"KeySpec": akms.KeySpec, "KeyUsage": akms.KeyUsage, "Algorithm": akms.Algorithm, "MessageType": akms.MessageType}
    out = {}
    for cls_name, prefix in prefixes.items():
        for member in enums[cls_name]:
            out[prefix + member.name] = _CODES[cls_name][member.value]
    for st in akms.Status:
        out[st.c_name] = int(st)
    return out


@pytest.mark.parametrize("name,value", sorted(_expected_constants().items()))
def test_constant_matches_header(name: str, value: int) -> None:
    assert name in HEADER_INFO.constants, f"{name} is not defined in {HEADER}"
    assert HEADER_INFO.constants[name] == value, f"{name} is {HEADER_INFO.constants[name]} in the header, {value} in the binding"


def test_abi_version() -> None:
    assert akms.abi_version() == _ffi.ABI_VERSION
    if "AKMS_ABI_VERSION" in HEADER_INFO.constants:
        assert HEADER_INFO.constants["AKMS_ABI_VERSION"] == _ffi.ABI_VERSION


def test_status_names_match_the_library() -> None:
    for st in akms.Status:
        assert _ffi.lib.akms_status_name(int(st)).decode() == st.c_name
