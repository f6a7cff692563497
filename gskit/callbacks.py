"""The Python shapes of GSKit's callback structures, and their checks.

=================================  ===========================================================
``GSK_CERT_VALIDATION_CALLBACK``   ``validationCallBack(validation_callback, validateRequired,
                                   certificateNeeded)`` or a bare callable (the structure
                                   with its defaults: validation required).  The callback gets
                                   ``(chain: list[bytes], validation_status: int)`` — the DER
                                   certificates leaf first and GSKit's verdict (GSK_OK or the
                                   rc OpenSSL's verification maps to) — and returns GSK_OK to
                                   accept or an error rc (e.g. GSK_ERROR_CERT_VALIDATION) to
                                   reject, which ``gsk_secure_soc_init`` then returns.
``GSK_IO_CALLBACK``                ``iocallback(io_read, io_write, io_getpeerid=None,
                                   io_setsocketoptions=None)``.  ``io_read(fd, buffer:
                                   memoryview, length, user_data) -> int`` fills the buffer and
                                   returns the count, 0 at end of file, -1 on error (errno from
                                   ``gskit.set_errno``); ``io_write(fd, data: bytes, length,
                                   user_data) -> int`` likewise.  GSK_FD is passed through.
``GSK_ENVIRONMENT_CLOSE_CALLBACK`` ``callback(environment_handle)`` when the environment's
                                   resources are freed (after the last session closes).
``GSK_CLIENT_CERT_CALLBACK``       ``callback(session_handle) -> int`` when a server asks this
                                   client for a certificate; its rc is informational.
``GSK_CIPHER_SESSION_RESET``       ``callback(session_handle)`` after a renegotiation or key
                                   update (GSK_RESET_CIPHER).
=================================  ===========================================================

Setting ``None`` removes a callback.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from gskit import constants as c
from gskit import errors as rc
from gskit.attributes.values import AttributeValues


@dataclass
class validationCallBack:  # noqa: N801 - the C structure's name
    """``GSK_CERT_VALIDATION_CALLBACK``'s structure."""

    validation_callback: Callable[[list[bytes], int], int]
    validateRequired: int = c.GSK_VALIDATION_REQUIRED  # noqa: N815
    certificateNeeded: int = c.GSK_CERTIFICATE_CHAIN_SENT_VIA_SSL  # noqa: N815


@dataclass
class iocallback:  # noqa: N801 - the C structure's name
    """``GSK_IO_CALLBACK``'s structure."""

    io_read: Callable[[int, memoryview, int, str], int]
    io_write: Callable[[int, bytes, int, str], int]
    io_getpeerid: Callable[[int, str], int] | None = None
    io_setsocketoptions: Callable[[int, int, Any], int] | None = None


F = TypeVar("F", bound=Callable[..., Any])


class CallbackGuard:
    """Which threads are inside one of a session's callbacks, so that the session refuses
    what would wait for ever there: its callbacks run inside its handshake, read or write,
    which hold its engine's locks.  It refers to no session (a wrapped callback is kept
    where OpenSSL's callbacks find it, and must not keep its session alive)."""

    __slots__ = ("threads",)

    def __init__(self) -> None:
        self.threads: dict[int, int] = {}        # thread ident -> depth

    def wrap(self, callback: F) -> F:
        """``callback``, marked as this session's while it runs."""
        threads = self.threads

        def call(*args: Any) -> Any:
            me = threading.get_ident()
            threads[me] = threads.get(me, 0) + 1
            try:
                return callback(*args)
            finally:
                if threads[me] == 1:
                    del threads[me]
                else:
                    threads[me] -= 1
        return call  # type: ignore[return-value]

    def here(self) -> bool:
        """Is this thread inside one of the session's callbacks?"""
        return bool(self.threads) and threading.get_ident() in self.threads


def notify(callback: object, handle: object) -> None:
    """Call a notification callback (session reset, environment close) with its handle; what
    it raises is dropped: the call that notifies has already succeeded."""
    if callable(callback):
        try:
            callback(handle)
        except Exception:  # noqa: BLE001 - the application's error, not the call's
            pass


def validation_function(value: object) -> Callable[[list[bytes], int], int] | None:
    """The callable behind a GSK_CERT_VALIDATION_CALLBACK value."""
    if value is None:
        return None
    return getattr(value, "validation_callback", value)  # type: ignore[arg-type]


def check_callback(callback_id: int, value: object, values: AttributeValues) -> int:
    """GSK_OK, or the rc ``gsk_attribute_set_callback`` returns for this value."""
    if value is None:
        return rc.GSK_OK
    if callback_id == c.GSK_CERT_VALIDATION_CALLBACK:
        if not callable(validation_function(value)):
            return rc.GSK_IBMI_ERROR_INVALID_POINTER
        required = getattr(value, "validateRequired", c.GSK_VALIDATION_REQUIRED)
        needed = getattr(value, "certificateNeeded", c.GSK_CERTIFICATE_CHAIN_SENT_VIA_SSL)
        if required not in (c.GSK_NO_VALIDATION, c.GSK_VALIDATION_REQUIRED) or needed not in (
                c.GSK_CERTIFICATE_CHAIN_SENT_VIA_SSL, c.GSK_COMPLETED_CERTIFICATE_CHAIN,
                c.GSK_END_ENTITY_CERTIFICATE):
            return rc.GSK_ATTRIBUTE_INVALID_ENUMERATION
        if conflicting_validation(values.get(c.GSK_SERVER_AUTH_TYPE), value) or \
                conflicting_validation(values.get(c.GSK_CLIENT_AUTH_TYPE), value):
            return rc.GSK_CONFLICTING_VALIDATION_SETTING
        return rc.GSK_OK
    if callback_id == c.GSK_IO_CALLBACK:
        ok = callable(getattr(value, "io_read", None)) and callable(getattr(value, "io_write", None))
        return rc.GSK_OK if ok else rc.GSK_IBMI_ERROR_INVALID_POINTER
    return rc.GSK_OK if callable(value) else rc.GSK_IBMI_ERROR_INVALID_POINTER


def conflicting_validation(auth_type: object, callback: object) -> bool:
    """A PASSTHRU authentication type with a validation callback that requires validation
    (its ``validateRequired``, GSK_VALIDATION_REQUIRED when absent): GSKit refuses the pair,
    whichever of the two is set second."""
    return (auth_type in (c.GSK_CLIENT_AUTH_PASSTHRU, c.GSK_SERVER_AUTH_PASSTHRU) and callback is not None
            and getattr(callback, "validateRequired", c.GSK_VALIDATION_REQUIRED) == c.GSK_VALIDATION_REQUIRED)
