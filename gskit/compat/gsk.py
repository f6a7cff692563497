"""The C-compatible ``gsk_*`` calls (``../shared/spec/compat-api.md``).

Each call checks its handle, calls the core (``Environment``/``Session``), and turns a
``GSKError`` back into its return code.  It never raises for bad input; out-parameters are
returned after the rc, and are None (or 0) when the rc is not GSK_OK.
"""
from __future__ import annotations

from typing import Any, Callable, Final, TypeVar

from gskit import errors as rc
from gskit import handle as core
from gskit.attributes.table import Kind
from gskit.certinfo import gsk_cert_data_elem
from gskit.compat.buffers import buffer_view
from gskit.compat.errno_state import set_errno
from gskit.environment import Environment
from gskit.errors import GSKError, gsk_strerror
from gskit.session import Session

T = TypeVar("T")
Handle = Any

__all__ = [
    "gsk_environment_open", "gsk_environment_init", "gsk_environment_close",
    "gsk_secure_soc_open", "gsk_secure_soc_init", "gsk_secure_soc_read", "gsk_secure_soc_write",
    "gsk_secure_soc_misc", "gsk_secure_soc_close",
    "gsk_attribute_set_buffer", "gsk_attribute_set_enum", "gsk_attribute_set_numeric_value",
    "gsk_attribute_set_callback", "gsk_attribute_get_buffer", "gsk_attribute_get_enum",
    "gsk_attribute_get_numeric_value", "gsk_attribute_get_cert_info", "gsk_strerror",
]


# What a core call may raise for bad input: each becomes a return code (``rc_of``).
_FAILURES: Final = (GSKError, ValueError, TypeError, OverflowError, OSError)


def rc_of(error: BaseException) -> int:
    """The rc a failed call returns (GSK_ERROR_IO sets errno from the error); an exception
    other than GSKError is GSK_INTERNAL_ERROR."""
    if isinstance(error, GSKError):
        if error.rc == rc.GSK_ERROR_IO:
            set_errno(getattr(error, "errno", 0) or 0)
        return error.rc
    return rc.GSK_INTERNAL_ERROR


def _call(work: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[int, T | None]:
    """``(GSK_OK, work(*args, **kwargs))``, or the rc ``work`` failed with (and None).

    The calls a connection makes (open, ``GSK_FD``, init, read, write, close) spell it out:
    a bound method called through ``*args`` costs each of them 0.1–0.4 µs more."""
    try:
        return rc.GSK_OK, work(*args, **kwargs)
    except _FAILURES as exc:
        return rc_of(exc), None


def _env(handle: object) -> Environment | None:
    return handle if isinstance(handle, Environment) and not handle.closed else None


def _session(handle: object) -> Session | None:
    return handle if isinstance(handle, Session) and not handle.closed else None


def _any(handle: object) -> core.Handle | None:
    return _env(handle) or _session(handle)


# -- environments ----------------------------------------------------------------------------
def gsk_environment_open() -> tuple[int, Environment | None]:
    """``gsk_environment_open(&env)`` -> ``(rc, env)``."""
    return _call(Environment, check_hostname=False)


def gsk_environment_init(env: Handle) -> int:
    handle = _env(env)
    return _call(handle.init)[0] if handle else rc.GSK_INVALID_HANDLE


def gsk_environment_close(env: Handle) -> int:
    handle = _env(env)
    return _call(handle.close)[0] if handle else rc.GSK_INVALID_HANDLE


# -- sessions --------------------------------------------------------------------------------
def gsk_secure_soc_open(env: Handle) -> tuple[int, Session | None]:
    handle = _env(env)
    if handle is None:
        return rc.GSK_INVALID_HANDLE, None
    try:
        return rc.GSK_OK, handle.open_session(auto_init=False)
    except _FAILURES as exc:
        return rc_of(exc), None


def gsk_secure_soc_init(session: Handle) -> int:
    handle = _session(session)
    if handle is None:
        return rc.GSK_INVALID_HANDLE
    try:
        handle.handshake()
    except _FAILURES as exc:
        return rc_of(exc)
    return rc.GSK_OK


def _transfer(session: Handle, buffer: Any, size: Any, writable: bool) -> tuple[int, int]:
    """gsk_secure_soc_read (``writable``: data lands in ``buffer``) or _write: ``(rc, count)``."""
    handle = _session(session)
    if handle is None:
        return rc.GSK_INVALID_HANDLE, 0
    code, view = buffer_view(buffer, size, writable)
    if view is None:
        return code, 0
    try:
        return rc.GSK_OK, handle._recv_view(view) if writable else handle._send_view(view)  # noqa: SLF001
    except _FAILURES as exc:
        return rc_of(exc), 0


def gsk_secure_soc_read(session: Handle, buffer: Any, size: Any = None) -> tuple[int, int]:
    """``(rc, amt_read)``; the data lands in ``buffer[:amt_read]``."""
    return _transfer(session, buffer, size, writable=True)


def gsk_secure_soc_write(session: Handle, data: Any, size: Any = None) -> tuple[int, int]:
    """``(rc, amt_written)``."""
    return _transfer(session, data, size, writable=False)


def gsk_secure_soc_misc(session: Handle, misc_id: Any) -> int:
    handle = _session(session)
    return _call(handle.misc, misc_id)[0] if handle else rc.GSK_INVALID_HANDLE


def gsk_secure_soc_close(session: Handle) -> int:
    handle = _session(session)
    if handle is None:
        return rc.GSK_INVALID_HANDLE
    try:
        handle.close()
    except _FAILURES as exc:
        return rc_of(exc)
    return rc.GSK_OK


# -- attributes ------------------------------------------------------------------------------
def _set(kind: Kind, handle: Handle, attr_id: Any, value: Any, size: Any = None) -> int:
    target = _any(handle)
    if target is None:
        return rc.GSK_INVALID_HANDLE
    try:
        target.set_attribute(kind, attr_id, value, size)
    except _FAILURES as exc:
        return rc_of(exc)
    return rc.GSK_OK


def _get(kind: Kind, handle: Handle, attr_id: Any) -> tuple[int, Any]:
    target = _any(handle)
    if target is None:
        return rc.GSK_INVALID_HANDLE, None
    return _call(target.get_attribute, kind, attr_id)


def gsk_attribute_set_buffer(handle: Handle, buf_id: Any, value: Any, size: Any = 0) -> int:
    """``value`` str or bytes; ``size`` 0 = up to the first NUL (C's strlen)."""
    return _set(Kind.BUFFER, handle, buf_id, value, size)


def gsk_attribute_set_enum(handle: Handle, enum_id: Any, value: Any) -> int:
    return _set(Kind.ENUM, handle, enum_id, value)


def gsk_attribute_set_numeric_value(handle: Handle, num_id: Any, value: Any) -> int:
    """GSK_FD takes a descriptor or a socket object."""
    return _set(Kind.NUMERIC, handle, num_id, value)


def gsk_attribute_set_callback(handle: Handle, callback_id: Any, callback: Any) -> int:
    """Callback shapes: ``gskit.callbacks``."""
    return _set(Kind.CALLBACK, handle, callback_id, callback)


def gsk_attribute_get_buffer(handle: Handle, buf_id: Any) -> tuple[int, str | None]:
    return _get(Kind.BUFFER, handle, buf_id)


def gsk_attribute_get_enum(handle: Handle, enum_id: Any) -> tuple[int, int | None]:
    return _get(Kind.ENUM, handle, enum_id)


def gsk_attribute_get_numeric_value(handle: Handle, num_id: Any) -> tuple[int, int | None]:
    return _get(Kind.NUMERIC, handle, num_id)


def gsk_attribute_get_cert_info(handle: Handle, cert_id: Any) -> tuple[int, list[gsk_cert_data_elem] | None]:
    """``(rc, elements)`` for GSK_PARTNER_CERT_INFO (session) or GSK_LOCAL_CERT_INFO."""
    session = _session(handle)
    if session is not None:
        return _call(session.cert_info, cert_id)
    env = _env(handle)
    if env is None:
        return rc.GSK_INVALID_HANDLE, None
    return _call(env.local_cert_info, cert_id)

