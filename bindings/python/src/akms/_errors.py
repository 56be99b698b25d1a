"""Status codes and the exception hierarchy.

Every non-OK ``akms_status`` becomes an instance of one subclass of
:class:`Error`, carrying the status and the detail text that
``akms_last_error_message()`` gave on the thread of the failing call.
"""

from __future__ import annotations

import enum
from typing import Dict, Tuple, Type

__all__ = [
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
]


class Status(enum.IntEnum):
    """``akms_status`` values (``AKMS_OK``, ``AKMS_ERR_*``)."""

    OK = 0
    INVALID_ARGUMENT = 1
    NOT_FOUND = 2
    ALREADY_EXISTS = 3
    INCOMPATIBLE = 4
    INVALID_STATE = 5
    DECRYPTION_FAILED = 6
    ACCESS_DENIED = 7
    IO = 8
    CORRUPT = 9
    INTERNAL = 10

    @property
    def c_name(self) -> str:
        """The C constant's name, as ``akms_status_name`` gives it."""
        return "AKMS_OK" if self is Status.OK else f"AKMS_ERR_{self.name}"


class Error(Exception):
    """A failed akms call.

    Attributes:
        status: the :class:`Status` the C function returned.
        message: the library's detail text for the failure (may be empty).
    """

    status: Status
    message: str

    def __init__(self, status: int, message: str = "") -> None:
        try:
            self.status = Status(status)
        except ValueError:  # a newer library with a status this binding does not know
            self.status = Status.INTERNAL
        self.message = message
        name = self.status.c_name if self.status == status else f"akms status {status}"
        super().__init__(f"{name}: {message}" if message else name)

    def __reduce__(self) -> Tuple[Type["Error"], Tuple[int, str]]:
        return (type(self), (int(self.status), self.message))


class InvalidArgumentError(Error, ValueError):
    """Malformed input: unknown enum value, wrong digest length, bad alias, ..."""


class NotFoundError(Error, LookupError):
    """No such key, version or alias (or the key's deletion window has passed)."""


class AlreadyExistsError(Error):
    """The alias already exists."""


class IncompatibleError(Error):
    """The algorithm or usage does not fit the key spec or key usage."""


class InvalidStateError(Error):
    """The key is Disabled or PendingDeletion."""


class DecryptionError(Error):
    """The ciphertext could not be decrypted."""


class AccessDeniedError(Error):
    """The handle's policy does not allow this action on this resource."""


class StoreIOError(Error):
    """The store file could not be read or written."""


class CorruptStoreError(Error):
    """The store file cannot be authenticated: tampered with, or a wrong passphrase."""


class InternalError(Error):
    """A bug in the library (a caught panic)."""


_BY_STATUS: Dict[Status, Type[Error]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.NOT_FOUND: NotFoundError,
    Status.ALREADY_EXISTS: AlreadyExistsError,
    Status.INCOMPATIBLE: IncompatibleError,
    Status.INVALID_STATE: InvalidStateError,
    Status.DECRYPTION_FAILED: DecryptionError,
    Status.ACCESS_DENIED: AccessDeniedError,
    Status.IO: StoreIOError,
    Status.CORRUPT: CorruptStoreError,
    Status.INTERNAL: InternalError,
}


def error_for(status: int, message: str) -> Error:
    """The exception for a non-OK status (unknown statuses become InternalError)."""
    try:
        cls = _BY_STATUS[Status(status)]
    except (ValueError, KeyError):
        cls = InternalError
    return cls(status, message)
