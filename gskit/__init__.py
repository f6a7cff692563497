"""gskit: IBM i GSKit secure sockets and Qso I/O completion ports, on OpenSSL.

Two layers on one engine:

* the **Pythonic API** (recommended): ``Environment``, ``Session``, ``GSKError`` and its
  subclasses, the asyncio functions in ``gskit.aio``;
* the **compat layer** (a porting aid for C and RPG programs): every ``gsk_*`` and ``Qso*``
  call and every constant of ``gskssl.h`` and ``qsoasync.h`` under IBM's names and values
  (``../shared/spec/compat-api.md``).

The constants and the return-code table are imported at once (they are plain data); the
names that need OpenSSL are loaded on first use, so ``gskit errors`` starts fast.
"""
from __future__ import annotations

import importlib

from gskit import constants as _constants
from gskit import errors as _errors
from gskit.compat.errno_state import get_errno, set_errno

# Plain ints and classes are copied now; the IntEnums (BufferId, ReturnCode, ...) are
# built on first access, through __getattr__ below.
_LAZY_ENUMS = {**{name: "gskit.constants" for name in _constants.GROUPS}, "ReturnCode": "gskit.errors"}
_constant_names = list(_constants.CONSTANT_NAMES)
_error_names = [name for name in _errors.__all__ if name not in _LAZY_ENUMS]
globals().update({name: getattr(_constants, name) for name in _constant_names})
globals().update({name: getattr(_errors, name) for name in _error_names})

__version__ = "0.1.0"

# name -> module that defines it, imported on first access (PEP 562)
_LAZY: dict[str, str] = {
    **{name: "gskit.compat.gsk" for name in (
        "gsk_environment_open", "gsk_environment_init", "gsk_environment_close",
        "gsk_secure_soc_open", "gsk_secure_soc_init", "gsk_secure_soc_read", "gsk_secure_soc_write",
        "gsk_secure_soc_misc", "gsk_secure_soc_close", "gsk_attribute_set_buffer",
        "gsk_attribute_set_enum", "gsk_attribute_set_numeric_value", "gsk_attribute_set_callback",
        "gsk_attribute_get_buffer", "gsk_attribute_get_enum", "gsk_attribute_get_numeric_value",
        "gsk_attribute_get_cert_info")},
    **{name: "gskit.compat.async_gsk" for name in (
        "gsk_secure_soc_startInit", "gsk_secure_soc_startRecv", "gsk_secure_soc_startSend")},
    **{name: "gskit.compat.qso" for name in (
        "QsoCreateIOCompletionPort", "QsoDestroyIOCompletionPort", "QsoWaitForIOCompletion",
        "QsoPostIOCompletion", "QsoStartRecv", "QsoStartSend", "QsoStartAccept",
        "QsoGenerateOperationId", "QsoIsOperationPending", "QsoCancelOperation")},
    "Qso_OverlappedIO_t": "gskit.compat.structs",
    "timeval": "gskit.compat.structs",
    **_LAZY_ENUMS,
    "gsk_cert_data_elem": "gskit.certinfo",
    "validationCallBack": "gskit.callbacks",
    "iocallback": "gskit.callbacks",
    "Environment": "gskit.environment",
    "Session": "gskit.session",
}

__all__ = [
    *_constant_names,
    *sorted(set(_error_names) - set(_constant_names)),
    *_LAZY,
    "get_errno",
    "set_errno",
]


def defining_module(name: str) -> str:
    """The module that defines ``name`` of ``__all__`` (``gskit.stubs`` writes the stub from it)."""
    if name in _LAZY:
        return _LAZY[name]
    if name in ("get_errno", "set_errno"):
        return "gskit.compat.errno_state"
    return "gskit.constants" if name in _constants.__all__ else "gskit.errors"


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gskit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if module.startswith("gskit.compat."):
        from gskit import trace
        value = trace.wrap(name, value)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
