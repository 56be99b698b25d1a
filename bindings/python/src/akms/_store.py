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
import json
import operator
import os
import threading
import warnings
from ctypes import byref, c_bool, c_char_p, c_void_p
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from . import _ffi
from ._enums import Algorithm, KeySpec, KeyUsage, MessageType, code_of
from ._errors import Error, InvalidArgumentError, Status, error_for

__all__ = ["Store", "StoreClosedError"]

_lib = _ffi.lib
_string_at = ctypes.string_at
_string_free = _lib.akms_string_free
_bytes_free = _lib.akms_bytes_free
_last_error = _lib.akms_last_error_message

BytesLike = Union[bytes, bytearray, memoryview]
AuditCallback = Callable[[Dict[str, Any]], None]
StrPath = Union[str, "os.PathLike[str]"]

_ALG = Algorithm
_MSG_DIGEST = MessageType.DIGEST.code


class StoreClosedError(InvalidArgumentError):
    """A method was called on a :class:`Store` after :meth:`Store.close`."""


def _fail(status: int) -> Error:
    # Must run before any other library call on this thread: the message is
    # the thread's last failure.
    raw = _last_error()
    return error_for(status, raw.decode("utf-8", "replace") if raw else "")


def _cstr(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"{what} contains a NUL character")
    return value.encode("utf-8")


def _opt_cstr(value: Optional[str], what: str) -> Optional[bytes]:
    return None if value is None else _cstr(value, what)


def _buf(value: BytesLike, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes-like, not {type(value).__name__}")


def _take_str(p: c_void_p) -> str:
    """Copy a library-owned ``char *`` into a str and free it."""
    try:
        return _string_at(p.value).decode("utf-8") if p.value else ""
    finally:
        _string_free(p)
        p.value = None


def _take_bytes(b: _ffi.akms_bytes) -> bytes:
    """Copy an ``akms_bytes`` into bytes and free (zeroize) it."""
    try:
        return _string_at(b.data, b.len) if b.len else b""
    finally:
        _bytes_free(byref(b))


class _Shared:
    """State shared by a store and the handles derived from it with ``restrict``.

    The audit trampoline handed to C is kept here, so it stays alive as long as
    any Python handle that could trigger it does.
    """

    __slots__ = ("callback",)

    def __init__(self) -> None:
        self.callback: Any = None


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

    __slots__ = ("_ptr", "_lock", "_busy", "_closing", "_shared", "__weakref__")

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

    def _adopt(self, ptr: Any, shared: _Shared) -> None:
        self._ptr: Optional[Any] = ptr
        self._lock = threading.Lock()
        self._busy = 0
        self._closing = False
        self._shared = shared

    # --- ownership ------------------------------------------------------------------

    def _enter(self) -> Any:
        with self._lock:
            if self._closing:
                raise StoreClosedError(Status.INVALID_ARGUMENT, "the store is closed")
            self._busy += 1
            return self._ptr

    def _leave(self) -> None:
        with self._lock:
            self._busy -= 1
            if self._closing and self._busy == 0:
                self._free_locked()

    def _free_locked(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            _lib.akms_store_free(ptr)

    def close(self) -> None:
        """Free the handle. Idempotent; other handles (from ``restrict``) stay usable."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before the handle existed
            return
        with lock:
            if self._closing:
                return
            self._closing = True
            if self._busy == 0:
                self._free_locked()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return getattr(self, "_closing", True)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_closing", True):
                return
            warnings.warn(f"unclosed {self!r}", ResourceWarning, source=self)
            self.close()
        except Exception:  # interpreter shutdown: module globals may be gone
            pass

    def __repr__(self) -> str:
        return f"<akms.Store {'closed' if self.closed else 'open'} at {id(self):#x}>"

    # --- keys -----------------------------------------------------------------------

    def create_key(
        self,
        key_spec: Union[KeySpec, str],
        key_usage: Union[KeyUsage, str],
        description: Optional[str] = None,
    ) -> Tuple[str, str]:
        """Create a key with one version; returns ``(key_id, version_id)``."""
        spec = code_of(KeySpec, key_spec, "key spec")
        usage = code_of(KeyUsage, key_usage, "key usage")
        desc = _opt_cstr(description, "description")
        key_id, version_id = c_void_p(), c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_create_key(s, spec, usage, desc, byref(key_id), byref(version_id))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        try:
            return _take_str(key_id), _take_str(version_id)
        finally:
            _string_free(version_id)

    def create_key_version(self, key: str) -> str:
        """Add a new version (a new key pair) to an Enabled key; returns its version id."""
        k = _cstr(key, "key")
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_create_key_version(s, k, byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return _take_str(out)

    def import_key(
        self,
        key_usage: Union[KeyUsage, str],
        pkcs8_der: BytesLike,
        description: Optional[str] = None,
    ) -> Tuple[str, str]:
        """Import a PKCS#8 DER private key as a new key; returns ``(key_id, version_id)``."""
        usage = code_of(KeyUsage, key_usage, "key usage")
        der = _buf(pkcs8_der, "pkcs8_der")
        desc = _opt_cstr(description, "description")
        key_id, version_id = c_void_p(), c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_import_key(s, usage, der, len(der), desc, byref(key_id), byref(version_id))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        try:
            return _take_str(key_id), _take_str(version_id)
        finally:
            _string_free(version_id)

    def import_key_version(self, key: str, pkcs8_der: BytesLike) -> str:
        """Import a PKCS#8 DER private key as a new version of ``key`` (same spec)."""
        k = _cstr(key, "key")
        der = _buf(pkcs8_der, "pkcs8_der")
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_import_key_version(s, k, der, len(der), byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return _take_str(out)

    def describe_key(self, key: str) -> Dict[str, Any]:
        """The key's metadata (``KeyId``, ``KeySpec``, ``KeyState``, ...) as a dict."""
        k = _cstr(key, "key")
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_describe_key(s, k, byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return json.loads(_take_str(out))  # type: ignore[no-any-return]

    def list_keys(self) -> List[Dict[str, Any]]:
        """Metadata of every key in the store."""
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_list_keys(s, byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return _as_list(json.loads(_take_str(out)))

    def list_key_versions(self, key: str) -> List[Dict[str, Any]]:
        """The key's versions (``KeyId``, ``KeyVersionId``, ``CreationDate``)."""
        k = _cstr(key, "key")
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_list_key_versions(s, k, byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return _as_list(json.loads(_take_str(out)))

    # --- aliases and states -----------------------------------------------------------

    def _key_call(self, fn: Any, *args: Any) -> None:
        s = self._enter()
        try:
            st = fn(s, *args)
            if st:
                raise _fail(st)
        finally:
            self._leave()

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
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_get_public_key(s, k, v, byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return _take_str(out)

    def asymmetric_encrypt(
        self, key: str, version: str, algorithm: Union[Algorithm, str], plaintext: BytesLike
    ) -> bytes:
        """Encrypt with the version's public key (RSAES_OAEP_SHA_1/256, SM2PKE)."""
        k, v = _cstr(key, "key"), _cstr(version, "version")
        alg = code_of(_ALG, algorithm, "algorithm")
        data = _buf(plaintext, "plaintext")
        out = _ffi.akms_bytes()
        s = self._enter()
        try:
            st = _lib.akms_asymmetric_encrypt(s, k, v, alg, data, len(data), byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return _take_bytes(out)

    def asymmetric_decrypt(
        self, key: str, version: str, algorithm: Union[Algorithm, str], ciphertext: BytesLike
    ) -> bytes:
        """Decrypt with the version's private key.

        The returned ``bytes`` is a copy: the library's buffer is zeroized, this one
        cannot be.
        """
        k, v = _cstr(key, "key"), _cstr(version, "version")
        alg = code_of(_ALG, algorithm, "algorithm")
        data = _buf(ciphertext, "ciphertext")
        out = _ffi.akms_bytes()
        s = self._enter()
        try:
            st = _lib.akms_asymmetric_decrypt(s, k, v, alg, data, len(data), byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
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
        k, v = _cstr(key, "key"), _cstr(version, "version")
        alg = code_of(_ALG, algorithm, "algorithm")
        mt = _MSG_DIGEST if message_type is MessageType.DIGEST else code_of(MessageType, message_type, "message type")
        d = _buf(data, "data")
        out = _ffi.akms_bytes()
        s = self._enter()
        try:
            st = _lib.akms_asymmetric_sign(s, k, v, alg, mt, d, len(d), byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
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
        k, v = _cstr(key, "key"), _cstr(version, "version")
        alg = code_of(_ALG, algorithm, "algorithm")
        mt = _MSG_DIGEST if message_type is MessageType.DIGEST else code_of(MessageType, message_type, "message type")
        d = _buf(data, "data")
        sig = _buf(signature, "signature")
        valid = c_bool(False)
        s = self._enter()
        try:
            st = _lib.akms_asymmetric_verify(s, k, v, alg, mt, d, len(d), sig, len(sig), byref(valid))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        return bool(valid.value)

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
        out = c_void_p()
        s = self._enter()
        try:
            st = _lib.akms_generate_csr(s, k, v, subj, arr, len(names), byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
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
        s = self._enter()
        try:
            st = _lib.akms_store_restrict(s, p, byref(out))
            if st:
                raise _fail(st)
        finally:
            self._leave()
        child = Store.__new__(Store)
        child._adopt(out, self._shared)
        return child

    def set_audit_callback(self, fn: Optional[AuditCallback]) -> None:
        """Call ``fn(event: dict)`` after every call on this store and its restricted handles.

        Only the unrestricted store may set it (a restricted handle gets
        :class:`AccessDeniedError`). ``fn`` runs synchronously on the thread that
        made the call, so possibly on several threads at once. An exception it
        raises goes to ``sys.unraisablehook`` and does not affect the call. It may
        call the store (those calls are not audited) but not change the callback.
        ``None`` removes the callback.
        """
        if fn is None:
            tramp: Any = _ffi.akms_audit_fn()  # a NULL function pointer
        elif not callable(fn):
            raise TypeError("fn must be callable or None")
        else:

            def _trampoline(_user_data: Optional[int], event_json: Optional[bytes]) -> None:
                fn(json.loads(event_json.decode("utf-8")) if event_json else {})

            tramp = _ffi.akms_audit_fn(_trampoline)
        s = self._enter()
        try:
            st = _lib.akms_store_set_audit_callback(s, tramp, None)
            if st:
                raise _fail(st)
            # The library now holds `tramp` until it is replaced or the last handle
            # is freed, and no thread is inside the previous one: keep `tramp` alive
            # with the store family, drop the previous one.
            self._shared.callback = tramp
        finally:
            self._leave()


def _as_list(value: Any) -> List[Dict[str, Any]]:
    """A JSON array result (the C functions return arrays of objects)."""
    if not isinstance(value, list):
        raise Error(Status.INTERNAL, f"expected a JSON array from the library, got: {value!r:.200}")
    return value
