"""The C structures of ``qsoasync.h``: ``Qso_OverlappedIO_t`` and ``struct timeval``.

Both are plain mutable records with the C field names.  ``Qso_OverlappedIO_t()`` with no
arguments is the C ``memset(&io, 0, sizeof io)``: every field zero or None.
"""
from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["Qso_OverlappedIO_t", "timeval"]


class timeval:  # noqa: N801 - the C name
    """``struct timeval``: whole seconds and microseconds (``Any``, as the overlapped
    structure's fields: the calls that read them refuse what C could not hold)."""

    __slots__ = ("tv_sec", "tv_usec")

    def __init__(self, tv_sec: Any = 0, tv_usec: Any = 0) -> None:
        self.tv_sec = tv_sec
        self.tv_usec = tv_usec

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, timeval):
            return NotImplemented
        return (self.tv_sec, self.tv_usec) == (other.tv_sec, other.tv_usec)

    def __repr__(self) -> str:
        return f"timeval(tv_sec={self.tv_sec!r}, tv_usec={self.tv_usec!r})"


@dataclasses.dataclass(eq=False, repr=False, kw_only=True, slots=True)
class Qso_OverlappedIO_t:  # noqa: N801 - the C name
    """The communications area of every asynchronous call; fields as in ``qsoasync.h``, in
    C's order, set by keyword; the defaults are a zeroed structure.

    ``reserved1`` and ``reserved2`` must stay zero (a start call refuses them with EINVAL).
    The fields are annotated ``Any``: they hold whatever the caller stored, and each call
    checks the ones it reads (the compiled engine reads them without a type check of its
    own).  Compiled with the engine (``setup.py``), so that it reads and writes them as C
    struct members.
    """

    descriptorHandle: Any = None
    buffer: Any = None
    bufferLength: Any = 0
    postFlag: Any = 0
    fillBuffer: Any = 0
    postFlagResult: Any = 0
    reserved1: Any = 0
    returnValue: Any = 0
    errnoValue: Any = 0
    operationCompleted: Any = 0
    secureDataTransferSize: Any = 0
    bytesAvailable: Any = 0
    operationWaitTime: Any = None   # a timeval, seconds, or None
    postedDescriptor: Any = 0
    operationId: Any = 0
    reserved2: Any = 0

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
_ZERO: dict[str, Any] = {field.name: field.default for field in dataclasses.fields(Qso_OverlappedIO_t)}


_TIME_T_MAX = 2**63 - 1  # tv_sec is a time_t: larger values are no time C could pass


def to_seconds(value: object) -> float | None:
    """A timeout (a ``timeval``, seconds, or None) as seconds (None = no limit); ValueError
    when it is none of those (whatever the caller stored: so typed ``object``, which the
    compiled build does not check)."""
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


def to_timer_seconds(value: object) -> int:
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
