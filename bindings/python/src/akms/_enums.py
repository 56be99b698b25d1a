"""The four enumerations of the C ABI as ``str`` enums.

Each member's value is the cloud KMS string (``"EC_P256"``, ``"SIGN/VERIFY"``,
...); ``member.code`` is the ``uint32_t`` the C library takes. Everywhere the
binding takes one of these it also takes the plain KMS string.
"""

from __future__ import annotations

import enum
from typing import Dict, Type, TypeVar, Union

from ._errors import InvalidArgumentError, Status

__all__ = ["KeySpec", "KeyUsage", "Algorithm", "MessageType"]


class _KmsEnum(str, enum.Enum):
    """Base: a str-valued enum whose members also carry the C code."""

    @property
    def code(self) -> int:
        """The ``uint32_t`` value of this member in the C ABI."""
        return _CODES[type(self).__name__][self.value]

    def __str__(self) -> str:
        return str(self.value)


class KeySpec(_KmsEnum):
    """Key specification (``AKMS_KEY_SPEC_*``)."""

    RSA_2048 = "RSA_2048"
    RSA_3072 = "RSA_3072"
    EC_P256 = "EC_P256"
    EC_P256K = "EC_P256K"
    EC_SM2 = "EC_SM2"


class KeyUsage(_KmsEnum):
    """Key usage (``AKMS_KEY_USAGE_*``)."""

    SIGN_VERIFY = "SIGN/VERIFY"
    ENCRYPT_DECRYPT = "ENCRYPT/DECRYPT"


class Algorithm(_KmsEnum):
    """Signing and encryption algorithms (``AKMS_ALG_*``)."""

    RSA_PSS_SHA_256 = "RSA_PSS_SHA_256"
    RSA_PKCS1_SHA_256 = "RSA_PKCS1_SHA_256"
    ECDSA_SHA_256 = "ECDSA_SHA_256"
    SM2DSA = "SM2DSA"
    RSAES_OAEP_SHA_1 = "RSAES_OAEP_SHA_1"
    RSAES_OAEP_SHA_256 = "RSAES_OAEP_SHA_256"
    SM2PKE = "SM2PKE"


class MessageType(_KmsEnum):
    """What sign/verify data is (``AKMS_MESSAGE_*``): a 32-byte digest or the message."""

    DIGEST = "DIGEST"
    RAW = "RAW"


# The C constants, as SPEC.md and include/akms.h define them. A test checks
# these against the header's #defines.
_CODES = {
    "KeySpec": {"RSA_2048": 1, "RSA_3072": 2, "EC_P256": 3, "EC_P256K": 4, "EC_SM2": 5},
    "KeyUsage": {"SIGN/VERIFY": 1, "ENCRYPT/DECRYPT": 2},
    "Algorithm": {
        "RSA_PSS_SHA_256": 1,
        "RSA_PKCS1_SHA_256": 2,
        "ECDSA_SHA_256": 3,
        "SM2DSA": 4,
        "RSAES_OAEP_SHA_1": 5,
        "RSAES_OAEP_SHA_256": 6,
        "SM2PKE": 7,
    },
    "MessageType": {"DIGEST": 0, "RAW": 1},
}

_E = TypeVar("_E", bound=_KmsEnum)


def code_of(cls: Type[_E], value: Union[_E, str], what: str) -> int:
    """Return the C code of ``value`` (a member of ``cls`` or its KMS string).

    Anything else raises :class:`akms.InvalidArgumentError` (a ``ValueError``)
    naming the accepted values.
    """
    if isinstance(value, cls):
        return value.code
    if isinstance(value, str):
        try:
            return cls(value).code
        except ValueError:
            pass
    accepted = ", ".join(m.value for m in cls)
    raise InvalidArgumentError(
        Status.INVALID_ARGUMENT, f"unknown {what} {value!r}; expected one of: {accepted}"
    )


def _lookup(cls: Type[_KmsEnum]) -> Dict[object, int]:
    table: Dict[object, int] = {}
    for member in cls:
        table[member] = table[member.value] = _CODES[cls.__name__][member.value]
    return table


#: Member or KMS string -> C code, for the binding's per-call fast path (a miss goes
#: through :func:`code_of` for its error).
KEY_SPEC_CODES = _lookup(KeySpec)
KEY_USAGE_CODES = _lookup(KeyUsage)
ALGORITHM_CODES = _lookup(Algorithm)
MESSAGE_TYPE_CODES = _lookup(MessageType)
