"""The C structures of ``qsoasync.h``: ``Qso_OverlappedIO_t`` and ``struct timeval``.

Both are plain mutable records with the C field names.  ``Qso_OverlappedIO_t()`` with no
arguments is the C ``memset(&io, 0, sizeof io)``: every field zero or None.
"""
from __future__ import annotations

from typing import Any, Union

__all__ = ["Qso_OverlappedIO_t", "timeval"]


class timeval:  # noqa: N801 - the C name
    """``struct timeval``: whole seconds and microseconds."""

    __slots__ = ("tv_sec", "tv_usec")

    def __init__(self, tv_sec: int = 0, tv_usec: int = 0) -> None:
        self.tv_sec = tv_sec
        self.tv_usec = tv_usec

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, timeval):
            return NotImplemented
        return (self.tv_sec, self.tv_usec) == (other.tv_sec, other.tv_usec)

    def __repr__(self) -> str:
        return f"timeval(tv_sec={self.tv_sec!r}, tv_usec={self.tv_usec!r})"


Timeout = Union[timeval, int, float, None]


class Qso_OverlappedIO_t:  # noqa: N801 - the C name
    """The communications area of every asynchronous call; fields as in ``qsoasync.h``.

    ``reserved1`` and ``reserved2`` must stay zero (a start call refuses them with EINVAL).
    The fields are annotated ``Any``: they hold whatever the caller stored, and each call
    checks the ones it reads (the compiled engine reads them without a type check of its
    own).  The C types are the constructor's.
    """

    descriptorHandle: Any
    buffer: Any
    bufferLength: Any
    postFlag: Any
    fillBuffer: Any
    postFlagResult: Any
    reserved1: Any
    returnValue: Any
    errnoValue: Any
    operationCompleted: Any
    secureDataTransferSize: Any
    bytesAvailable: Any
    operationWaitTime: Any
    postedDescriptor: Any
    operationId: Any
    reserved2: Any
    __slots__ = tuple(__annotations__)  # the fields above, in C's order

    def __init__(self, *, descriptorHandle: Any = None, buffer: Any = None, bufferLength: int = 0,  # noqa: N803
                 postFlag: int = 0, fillBuffer: int = 0, postFlagResult: int = 0, reserved1: int = 0,  # noqa: N803
                 returnValue: int = 0, errnoValue: int = 0, operationCompleted: int = 0,  # noqa: N803
                 secureDataTransferSize: int = 0, bytesAvailable: int = 0,  # noqa: N803
                 operationWaitTime: Timeout = None, postedDescriptor: Any = 0, operationId: int = 0,  # noqa: N803
                 reserved2: int = 0) -> None:
        # Spelled out (not a loop over _ZERO): one structure per I/O on the hot path.
        self.descriptorHandle = descriptorHandle
        self.buffer = buffer
        self.bufferLength = bufferLength
        self.postFlag = postFlag
        self.fillBuffer = fillBuffer
        self.postFlagResult = postFlagResult
        self.reserved1 = reserved1
        self.returnValue = returnValue
        self.errnoValue = errnoValue
        self.operationCompleted = operationCompleted
        self.secureDataTransferSize = secureDataTransferSize
        self.bytesAvailable = bytesAvailable
        self.operationWaitTime = operationWaitTime
        self.postedDescriptor = postedDescriptor
        self.operationId = operationId
        self.reserved2 = reserved2

    def copy_to(self, io: "Qso_OverlappedIO_t") -> None:
        """Copy every field but the reserved ones into ``io``: what QsoWaitForIOCompletion
        does with a record posted by QsoPostIOCompletion."""
        io.descriptorHandle = self.descriptorHandle
        io.buffer = self.buffer
        io.bufferLength = self.bufferLength
        io.postFlag = self.postFlag
        io.fillBuffer = self.fillBuffer
        io.postFlagResult = self.postFlagResult
        io.returnValue = self.returnValue
        io.errnoValue = self.errnoValue
        io.operationCompleted = self.operationCompleted
        io.secureDataTransferSize = self.secureDataTransferSize
        io.bytesAvailable = self.bytesAvailable
        io.operationWaitTime = self.operationWaitTime
        io.postedDescriptor = self.postedDescriptor
        io.operationId = self.operationId

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name, zero in _ZERO.items()
            if getattr(self, name) != zero
        )
        return f"Qso_OverlappedIO_t({shown})"


# Field name -> value of a zeroed structure: the constructor's defaults.
_ZERO: dict[str, Any] = dict(Qso_OverlappedIO_t.__init__.__kwdefaults__ or {})


_TIME_T_MAX = 2**63 - 1  # tv_sec is a time_t: larger values are no time C could pass


def to_seconds(value: Timeout) -> float | None:
    """A timeout as seconds (None = no limit); ValueError when it is not a valid timeout."""
    if value is None:
        return None
    if isinstance(value, timeval):
        sec, usec = value.tv_sec, value.tv_usec
        if (not _is_int(sec) or not _is_int(usec) or not 0 <= sec <= _TIME_T_MAX
                or not 0 <= usec < 1_000_000):
            raise ValueError("bad timeval")
        return sec + usec / 1_000_000
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a timeout is a timeval, a number of seconds or None")
    if not (0 <= value <= _TIME_T_MAX):                  # (NaN fails too; infinity is too large)
        raise ValueError("a timeout must be finite, not negative and fit a time_t")
    return float(value)


def to_timer_seconds(value: Timeout) -> int:
    """An ``operationWaitTime`` as whole seconds (0 = no timer); ValueError when invalid.

    The rule of qsoasync.h: 0, or at least 1 second with tv_usec zero.
    """
    seconds = to_seconds(value)
    if seconds is None or seconds == 0:
        return 0
    if isinstance(value, timeval) and value.tv_usec != 0:
        raise ValueError("operationWaitTime.tv_usec must be 0")
    if seconds < 1 or seconds != int(seconds):
        raise ValueError("operationWaitTime must be whole seconds, at least 1")
    return int(seconds)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
