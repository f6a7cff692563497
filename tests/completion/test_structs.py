"""Qso_OverlappedIO_t and timeval: the C structures' Python shape."""
from __future__ import annotations

import pytest

from gskit.compat.structs import Qso_OverlappedIO_t, timeval, to_seconds, to_timer_seconds

FIELDS = [
    "descriptorHandle", "buffer", "bufferLength", "postFlag", "fillBuffer", "postFlagResult",
    "returnValue", "errnoValue", "operationCompleted", "secureDataTransferSize",
    "bytesAvailable", "operationWaitTime", "postedDescriptor", "operationId",
    "reserved1", "reserved2",
]


def test_zeroed_like_memset() -> None:
    io = Qso_OverlappedIO_t()
    for name in FIELDS:
        assert getattr(io, name) in (0, None), name
    assert io.descriptorHandle is None and io.buffer is None and io.operationWaitTime is None


def test_every_field_settable_by_keyword_and_mutable() -> None:
    handle = object()
    io = Qso_OverlappedIO_t(descriptorHandle=handle, bufferLength=80, postFlag=1, operationId=7)
    assert io.descriptorHandle is handle and io.bufferLength == 80 and io.postFlag == 1
    io.returnValue = -1
    assert io.returnValue == -1 and io.operationId == 7


def test_no_other_fields() -> None:
    with pytest.raises(TypeError):
        Qso_OverlappedIO_t(bufferlength=1)
    with pytest.raises(AttributeError):
        Qso_OverlappedIO_t().extra = 1  # type: ignore[attr-defined]


def test_timeval() -> None:
    assert timeval() == timeval(0, 0)
    tv = timeval(2, 500)
    assert (tv.tv_sec, tv.tv_usec) == (2, 500)
    assert repr(tv) == "timeval(tv_sec=2, tv_usec=500)"


@pytest.mark.parametrize(
    "value, seconds",
    [(None, None), (0, 0.0), (1.5, 1.5), (timeval(0, 0), 0.0), (timeval(1, 250_000), 1.25)],
)
def test_timeouts(value: object, seconds: float | None) -> None:
    assert to_seconds(value) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", [-1, float("nan"), float("inf"), "1", True, timeval(-1, 0), timeval(0, 1_000_000)]
)
def test_bad_timeouts(value: object) -> None:
    with pytest.raises(ValueError):
        to_seconds(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value, seconds", [(None, 0), (0, 0), (timeval(0, 0), 0), (1, 1), (3.0, 3), (timeval(5, 0), 5)]
)
def test_operation_wait_time(value: object, seconds: int) -> None:
    assert to_timer_seconds(value) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.5, 1.5, timeval(1, 1), timeval(0, 500_000), -1, "2"])
def test_bad_operation_wait_time(value: object) -> None:
    with pytest.raises(ValueError):
        to_timer_seconds(value)  # type: ignore[arg-type]
