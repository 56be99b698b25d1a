"""``akms.Store``: one Python object owning one ``akms_store *`` handle.

Every method is a thin wrapper of the C function of the same name (without
``akms_``): convert the arguments, call (ctypes releases the GIL for the call,
so threads sharing a store run in parallel), turn a non-OK status into an
:class:`akms.Error` with the message from ``akms_last_error_message`` read on
the same thread, copy any library-owned output and free it in ``finally``
(``akms_bytes_free`` zeroizes). No cryptography and no key logic lives here.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import operator
import os
import threading
import warnings
import weakref
from ctypes import byref, c_bool, c_char_p, c_uint32
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from . import _ffi
from ._enums import (
    ALGORITHM_CODES,
    KEY_SPEC_CODES,
    KEY_USAGE_CODES,
    MESSAGE_TYPE_CODES,
    Algorithm,
    KeySpec,
    KeyUsage,
    MessageType,
    code_of,
)
from ._errors import Error, InvalidArgumentError, Status, error_for

__all__ = ["Store", "StoreClosedError"]

# Module globals, looked up once per call (tests may patch the two free functions).
_lib = _ffi.lib
_string_free = _lib.akms_string_free
_bytes_free = _lib.akms_bytes_free
_last_error = _lib.akms_last_error_message
_akms_bytes = _ffi.akms_bytes
#: The C JSON scanner behind json.loads, without its Python-level wrapper (the library's
#: JSON is compact, one value, no surrounding whitespace; anything else goes to json.loads).
_scan_json: Callable[[str, int], Tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]

BytesLike = Union[bytes, bytearray, memoryview]
AuditCallback = Callable[[Dict[str, Any]], None]
StrPath = Union[str, "os.PathLike[str]"]


class StoreClosedError(InvalidArgumentError):
    """A method was called on a :class:`Store` after :meth:`Store.close`."""


def _fail(status: int) -> Error:
    # Must run before any other library call on this thread: the message is
    # the thread's last failure.
    raw = _last_error()
    return error_for(status, raw.decode("utf-8", "replace") if raw else "")


def _cstr(value: str, what: str) -> bytes:
    if value.__class__ is not str and not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"{what} contains a NUL character")
    return value.encode("utf-8")


def _opt_cstr(value: Optional[str], what: str) -> Optional[bytes]:
    return None if value is None else _cstr(value, what)


def _buf(value: BytesLike, what: str) -> bytes:
    if value.__class__ is bytes:
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes-like, not {type(value).__name__}")


def _code(table: Dict[object, int], cls: Any, value: Any, what: str) -> int:
    """The C code of an enum member or KMS string (a dict lookup); else the error."""
    try:
        return table[value]
    except (KeyError, TypeError):
        return code_of(cls, value, what)  # raises InvalidArgumentError naming the accepted values


def _key_version_alg(key: str, version: str, algorithm: Union[Algorithm, str]) -> Tuple[bytes, bytes, Any]:
    """The three arguments every cryptographic call starts with, converted (one call, the fast path)."""
    if key.__class__ is str and version.__class__ is str and "\0" not in key and "\0" not in version:
        k, v = key.encode("utf-8"), version.encode("utf-8")
    else:
        k, v = _cstr(key, "key"), _cstr(version, "version")
    try:
        return k, v, _ALGORITHM_ARGS[algorithm]
    except (KeyError, TypeError):
        return k, v, code_of(Algorithm, algorithm, "algorithm")  # raises, naming the accepted values


def _closed() -> StoreClosedError:
    return StoreClosedError(Status.INVALID_ARGUMENT, "the store is closed")


# The codes as ready-made c_uint32 arguments: ctypes passes an instance of the declared
# type as it is, where a Python int is converted on every call. (Passed by value: never
# changed, shared by all threads.)
_ALGORITHM_ARGS: Dict[object, c_uint32] = {k: c_uint32(v) for k, v in ALGORITHM_CODES.items()}
_MSG_DIGEST = MessageType.DIGEST
_DIGEST_ARG = c_uint32(MESSAGE_TYPE_CODES[MessageType.DIGEST])


def _take_str(out: c_char_p) -> str:
    """Copy a library-owned ``char *`` into a str and free it."""
    try:
        raw = out.value
        return raw.decode("utf-8") if raw else ""
    finally:
        _string_free(out)


def _take_json(out: c_char_p) -> Any:
    """Parse a library-owned JSON ``char *`` and free it."""
    try:
        text = (out.value or b"").decode("utf-8")
    finally:
        _string_free(out)
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        value, end = None, -1
    return value if end == len(text) else json.loads(text)  # json.loads: its error, or the slow path


def _take_bytes(b: _ffi.akms_bytes) -> bytes:
    """Copy an ``akms_bytes`` into bytes and free (zeroize) it."""
    try:
        n = b.len
        return b.data[:n] if n else b""
    finally:
        _bytes_free(b)


class _Handle:
    """Owns one ``akms_store *``; frees it when the last reference goes.

    A :class:`Store` holds its handle until ``close()``, and every call in flight
    holds it in a local variable: a ``close()`` racing with calls frees the C
    handle when the last of them returns, with no lock on the call path.
    """

    __slots__ = ("ptr", "__weakref__")

    def __init__(self, ptr: Any) -> None:
        self.ptr = ptr

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, None
        if ptr:
            try:
                _lib.akms_store_free(ptr)
            except Exception:  # interpreter shutdown: module globals may be gone
                pass


class _Shared:
    """State shared by a store and the handles derived from it with ``restrict`` (a family).

    The C library holds one audit callback per family. Every family registers
    the same C function, :data:`_AUDIT_TRAMPOLINE`, which lives as long as the
    module (so C can never call a freed one), with the family's number as
    ``user_data``; the trampoline finds the family and calls its ``callback``.
    ``lock`` serializes ``akms_store_set_audit_callback`` with the assignment
    of ``callback``, so the Python side always matches what C was last told.
    """

    __slots__ = ("callback", "lock", "number", "__weakref__")

    def __init__(self) -> None:
        self.callback: Optional[AuditCallback] = None
        self.lock = threading.Lock()
        self.number = next(_family_numbers)
        _families[self.number] = self


_family_numbers = itertools.count(1)
#: Family number -> family, while any Python handle of the family exists.
_families: "weakref.WeakValueDictionary[int, _Shared]" = weakref.WeakValueDictionary()
#: Per thread: the numbers of the families whose callback this thread is running.
_delivering = threading.local()


def _audit_trampoline(user_data: Optional[int], event_json: Optional[bytes]) -> None:
    shared = _families.get(user_data or 0)
    fn = shared.callback if shared is not None else None
    if fn is None or event_json is None:  # removed meanwhile, or the family is gone
        return
    event = json.loads(event_json.decode("utf-8"))
    inside: List[int] = _delivering.__dict__.setdefault("families", [])
    inside.append(user_data or 0)
    try:
        fn(event)
    finally:
        inside.pop()


#: The one audit function pointer handed to C, for every family: never freed, not even when
#: the interpreter clears this module at exit (the extra reference is never dropped).
_AUDIT_TRAMPOLINE = _ffi.akms_audit_fn(_audit_trampoline)
if hasattr(ctypes, "pythonapi"):  # CPython (PyPy has no pythonapi, and does not free at exit)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_AUDIT_TRAMPOLINE))
_NO_AUDIT = _ffi.akms_audit_fn()  # NULL


class Store:
    """A key store: in memory (``Store()``) or persistent (``Store.open(path, passphrase)``).

    Owns one C handle. ``close()`` frees it (idempotent); the store is a
    context manager; an unclosed store is freed when garbage-collected (with a
    ``ResourceWarning``). Any method called after ``close()`` raises
    :class:`StoreClosedError`. A store may be used from many threads at once;
    a ``close()`` that races with calls in flight frees the handle when the
    last of them returns.

    Wherever a ``key`` is taken, its id or an alias (``alias/...``) may stand.
    """

    __slots__ = ("_handle", "_shared", "__weakref__")

    def __init__(self) -> None:
        """Create an empty in-memory store (``akms_store_new``)."""
        out = _ffi.store_p()
        st = _lib.akms_store_new(byref(out))
        if st:
            raise _fail(st)
        self._adopt(out, _Shared())

    @classmethod
    def open(cls, path: StrPath, passphrase: Union[bytes, bytearray, str]) -> "Store":
        """Open (creating if absent) the encrypted store file at ``path`` (``akms_store_open``).

        A wrong passphrase or a tampered file raises :class:`CorruptStoreError`;
        a file that cannot be read or written raises :class:`StoreIOError`. Any number
        of stores, in this process or others (gunicorn workers, say), may open the
        same file at once: each call sees every change committed before it started.
        """
        cpath = os.fsencode(path)
        if b"\0" in cpath:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "path contains a NUL character")
        pw = passphrase.encode("utf-8") if isinstance(passphrase, str) else _buf(passphrase, "passphrase")
        out = _ffi.store_p()
        st = _lib.akms_store_open(cpath, pw, len(pw), byref(out))
        if st:
            raise _fail(st)
        self = cls.__new__(cls)
        self._adopt(out, _Shared())
        return self

    def _adopt(self, ptr: Any, shared: "_Shared") -> None:
        self._handle: Optional[_Handle] = _Handle(ptr)
        self._shared = shared

    # --- ownership ------------------------------------------------------------------

    def _h(self) -> _Handle:
        """The live handle; the caller keeps it in a local for the duration of its call."""
        h = self._handle
        if h is None:
            raise _closed()
        return h

    def close(self) -> None:
        """Free the handle. Idempotent; other handles (from ``restrict``) stay usable."""
        self._handle = None  # the C handle is freed now, or when the last call in flight returns

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return getattr(self, "_handle", None) is None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_handle", None) is None:
                return
            warnings.warn(f"unclosed {self!r}", ResourceWarning, source=self)
            self.close()
        except Exception:  # interpreter shutdown: module globals may be gone
            pass

    def __repr__(self) -> str:
        return f"<akms.Store {'closed' if self.closed else 'open'} at {id(self):#x}>"

    # --- keys -----------------------------------------------------------------------
    # Each method: convert the arguments, take the handle (`h`, alive until return),
    # call, raise on a non-OK status, copy and free the outputs. A c_char_p or
    # akms_bytes passed where the C function takes a pointer to one is passed by
    # reference (ctypes applies byref itself).

    def create_key(
        self,
        key_spec: Union[KeySpec, str],
        key_usage: Union[KeyUsage, str],
        description: Optional[str] = None,
    ) -> Tuple[str, str]:
        """Create a key with one version; returns ``(key_id, version_id)``."""
        spec = _code(KEY_SPEC_CODES, KeySpec, key_spec, "key spec")
        usage = _code(KEY_USAGE_CODES, KeyUsage, key_usage, "key usage")
        desc = _opt_cstr(description, "description")
        key_id, version_id = c_char_p(), c_char_p()
        h = self._h()
        st = _lib.akms_create_key(h.ptr, spec, usage, desc, key_id, version_id)
        if st:
            raise _fail(st)
        try:
            kid = _take_str(key_id)
        finally:
            vid = _take_str(version_id)  # each output freed exactly once, whatever happens
        return kid, vid

    def create_key_version(self, key: str) -> str:
        """Add a new version (a new key pair) to an Enabled key; returns its version id."""
        k = _cstr(key, "key")
        out = c_char_p()
        h = self._h()
        st = _lib.akms_create_key_version(h.ptr, k, out)
        if st:
            raise _fail(st)
        return _take_str(out)

    def import_key(
        self,
        key_usage: Union[KeyUsage, str],
        pkcs8_der: BytesLike,
        description: Optional[str] = None,
    ) -> Tuple[str, str]:
        """Import a PKCS#8 DER private key as a new key; returns ``(key_id, version_id)``."""
        usage = _code(KEY_USAGE_CODES, KeyUsage, key_usage, "key usage")
        der = _buf(pkcs8_der, "pkcs8_der")
        desc = _opt_cstr(description, "description")
        key_id, version_id = c_char_p(), c_char_p()
        h = self._h()
        st = _lib.akms_import_key(h.ptr, usage, der, len(der), desc, key_id, version_id)
        if st:
            raise _fail(st)
        try:
            kid = _take_str(key_id)
        finally:
            vid = _take_str(version_id)  # each output freed exactly once, whatever happens
        return kid, vid

    def import_key_version(self, key: str, pkcs8_der: BytesLike) -> str:
        """Import a PKCS#8 DER private key as a new version of ``key`` (same spec)."""
        k = _cstr(key, "key")
        der = _buf(pkcs8_der, "pkcs8_der")
        out = c_char_p()
        h = self._h()
        st = _lib.akms_import_key_version(h.ptr, k, der, len(der), out)
        if st:
            raise _fail(st)
        return _take_str(out)

    def describe_key(self, key: str) -> Dict[str, Any]:
        """The key's metadata (``KeyId``, ``KeySpec``, ``KeyState``, ...) as a dict."""
        k = _cstr(key, "key")
        out = c_char_p()
        h = self._h()
        st = _lib.akms_describe_key(h.ptr, k, out)
        if st:
            raise _fail(st)
        value = _take_json(out)
        if value.__class__ is not dict:
            raise Error(Status.INTERNAL, f"expected a JSON object from the library, got: {value!r:.200}")
        return value

    def list_keys(self) -> List[Dict[str, Any]]:
        """Metadata of every key in the store."""
        out = c_char_p()
        h = self._h()
        st = _lib.akms_list_keys(h.ptr, out)
        if st:
            raise _fail(st)
        return _as_list(_take_json(out))

    def list_key_versions(self, key: str) -> List[Dict[str, Any]]:
        """The key's versions (``KeyId``, ``KeyVersionId``, ``CreationDate``)."""
        k = _cstr(key, "key")
        out = c_char_p()
        h = self._h()
        st = _lib.akms_list_key_versions(h.ptr, k, out)
        if st:
            raise _fail(st)
        return _as_list(_take_json(out))

    # --- aliases and states -----------------------------------------------------------

    def _key_call(self, fn: Any, *args: Any) -> None:
        h = self._h()
        st = fn(h.ptr, *args)
        if st:
            raise _fail(st)

    def create_alias(self, alias: str, key_id: str) -> None:
        """Make ``alias`` (``alias/...``) name the key ``key_id``."""
        self._key_call(_lib.akms_create_alias, _cstr(alias, "alias"), _cstr(key_id, "key_id"))

    def update_alias(self, alias: str, key_id: str) -> None:
        """Point an existing alias at another key."""
        self._key_call(_lib.akms_update_alias, _cstr(alias, "alias"), _cstr(key_id, "key_id"))

    def delete_alias(self, alias: str) -> None:
        """Delete an alias (the key stays)."""
        self._key_call(_lib.akms_delete_alias, _cstr(alias, "alias"))

    def enable_key(self, key: str) -> None:
        """Enable a Disabled key."""
        self._key_call(_lib.akms_enable_key, _cstr(key, "key"))

    def disable_key(self, key: str) -> None:
        """Disable a key: it keeps its versions but does no cryptography."""
        self._key_call(_lib.akms_disable_key, _cstr(key, "key"))

    def schedule_key_deletion(self, key: str, pending_window_days: int) -> None:
        """Schedule deletion after a 7-30 day window (the key becomes PendingDeletion)."""
        days = operator.index(pending_window_days)
        if not 0 <= days <= 0xFFFFFFFF:
            raise InvalidArgumentError(
                Status.INVALID_ARGUMENT, f"pending_window_days {days} is out of range (7..30)"
            )
        self._key_call(_lib.akms_schedule_key_deletion, _cstr(key, "key"), days)

    def cancel_key_deletion(self, key: str) -> None:
        """Cancel a scheduled deletion; the key becomes Enabled."""
        self._key_call(_lib.akms_cancel_key_deletion, _cstr(key, "key"))

    # --- cryptography -----------------------------------------------------------------

    def get_public_key(self, key: str, version: str) -> str:
        """The version's public key as PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo)."""
        k, v = _cstr(key, "key"), _cstr(version, "version")
        out = c_char_p()
        h = self._h()
        st = _lib.akms_get_public_key(h.ptr, k, v, out)
        if st:
            raise _fail(st)
        return _take_str(out)

    def asymmetric_encrypt(
        self, key: str, version: str, algorithm: Union[Algorithm, str], plaintext: BytesLike
    ) -> bytes:
        """Encrypt with the version's public key (RSAES_OAEP_SHA_1/256, SM2PKE)."""
        k, v, alg = _key_version_alg(key, version, algorithm)
        data = plaintext if plaintext.__class__ is bytes else _buf(plaintext, "plaintext")
        out = _akms_bytes()
        h = self._handle  # alive until this call returns (see _Handle)
        if h is None:
            raise _closed()
        st = _lib.akms_asymmetric_encrypt(h.ptr, k, v, alg, data, len(data), out)
        if st:
            raise _fail(st)
        return _take_bytes(out)

    def asymmetric_decrypt(
        self, key: str, version: str, algorithm: Union[Algorithm, str], ciphertext: BytesLike
    ) -> bytes:
        """Decrypt with the version's private key.

        The returned ``bytes`` is a copy: the library's buffer is zeroized, this one
        cannot be.
        """
        k, v, alg = _key_version_alg(key, version, algorithm)
        data = ciphertext if ciphertext.__class__ is bytes else _buf(ciphertext, "ciphertext")
        out = _akms_bytes()
        h = self._handle
        if h is None:
            raise _closed()
        st = _lib.akms_asymmetric_decrypt(h.ptr, k, v, alg, data, len(data), out)
        if st:
            raise _fail(st)
        return _take_bytes(out)

    def asymmetric_sign(
        self,
        key: str,
        version: str,
        algorithm: Union[Algorithm, str],
        data: BytesLike,
        message_type: Union[MessageType, str] = MessageType.DIGEST,
    ) -> bytes:
        """Sign ``data``: a 32-byte digest (``DIGEST``, the default) or the message (``RAW``)."""
        k, v, alg = _key_version_alg(key, version, algorithm)
        mt = _DIGEST_ARG if message_type is _MSG_DIGEST else _code(
            MESSAGE_TYPE_CODES, MessageType, message_type, "message type")
        d = data if data.__class__ is bytes else _buf(data, "data")
        out = _akms_bytes()
        h = self._handle
        if h is None:
            raise _closed()
        st = _lib.akms_asymmetric_sign(h.ptr, k, v, alg, mt, d, len(d), out)
        if st:
            raise _fail(st)
        return _take_bytes(out)

    def asymmetric_verify(
        self,
        key: str,
        version: str,
        algorithm: Union[Algorithm, str],
        data: BytesLike,
        signature: BytesLike,
        message_type: Union[MessageType, str] = MessageType.DIGEST,
    ) -> bool:
        """Whether ``signature`` is valid for ``data``; a wrong signature is ``False``, not an error."""
        k, v, alg = _key_version_alg(key, version, algorithm)
        mt = _DIGEST_ARG if message_type is _MSG_DIGEST else _code(
            MESSAGE_TYPE_CODES, MessageType, message_type, "message type")
        d = data if data.__class__ is bytes else _buf(data, "data")
        sig = signature if signature.__class__ is bytes else _buf(signature, "signature")
        valid = c_bool()
        h = self._handle
        if h is None:
            raise _closed()
        st = _lib.akms_asymmetric_verify(h.ptr, k, v, alg, mt, d, len(d), sig, len(sig), valid)
        if st:
            raise _fail(st)
        return valid.value

    def generate_csr(
        self, key: str, version: str, subject: str, dns_names: Iterable[str] = ()
    ) -> str:
        """A PEM PKCS#10 request for the version's key, signed by it.

        ``subject`` is an RFC 4514 string (``"CN=example.com,O=Acme,C=CN"``);
        ``dns_names`` become DNS subject alternative names.
        """
        k, v = _cstr(key, "key"), _cstr(version, "version")
        subj = _cstr(subject, "subject")
        if isinstance(dns_names, (str, bytes)):
            raise TypeError("dns_names must be an iterable of str, not a single string")
        names = [_cstr(n, "dns name") for n in dns_names]
        arr = (c_char_p * len(names))(*names) if names else None
        out = c_char_p()
        h = self._h()
        st = _lib.akms_generate_csr(h.ptr, k, v, subj, arr, len(names), out)
        if st:
            raise _fail(st)
        return _take_str(out)

    # --- policies and audit -----------------------------------------------------------

    def restrict(self, policy: Union[Dict[str, Any], str]) -> "Store":
        """A new handle on the same keys that may do only what ``policy`` allows.

        ``policy`` is a RAM-style policy as a dict or a JSON string. The new
        store is closed independently of this one.
        """
        text = policy if isinstance(policy, str) else json.dumps(policy)
        p = _cstr(text, "policy")
        out = _ffi.store_p()
        h = self._h()
        st = _lib.akms_store_restrict(h.ptr, p, byref(out))
        if st:
            raise _fail(st)
        child = Store.__new__(Store)
        child._adopt(out, self._shared)
        return child

    def set_audit_callback(self, fn: Optional[AuditCallback]) -> None:
        """Call ``fn(event: dict)`` after every call on this store and its restricted handles.

        Only the unrestricted store may set it (a restricted handle gets
        :class:`AccessDeniedError`). ``fn`` runs synchronously on the thread that
        made the call, so possibly on several threads at once. An exception it
        raises goes to ``sys.unraisablehook`` and does not affect the call. It may
        call the store (those calls are not audited) but not change the callback
        (:class:`InvalidStateError`). ``None`` removes the callback. Safe to call
        from many threads at once: the last call to return wins.
        """
        if fn is not None and not callable(fn):
            raise TypeError("fn must be callable or None")
        shared = self._shared
        tramp = _NO_AUDIT if fn is None else _AUDIT_TRAMPOLINE
        inside = shared.number in getattr(_delivering, "families", ())
        h = self._h()
        if inside:
            # From inside this family's callback the library refuses the change; taking
            # the lock here could wait for a thread that waits for this callback to end.
            st = _lib.akms_store_set_audit_callback(h.ptr, tramp, shared.number)
            if st:
                raise _fail(st)
            shared.callback = fn
            return
        with shared.lock:
            st = _lib.akms_store_set_audit_callback(h.ptr, tramp, shared.number)
            if st:
                raise _fail(st)
            shared.callback = fn


def _as_list(value: Any) -> List[Dict[str, Any]]:
    """A JSON array result (the C functions return arrays of objects)."""
    if not isinstance(value, list):
        raise Error(Status.INTERNAL, f"expected a JSON array from the library, got: {value!r:.200}")
    return value
