"""C's ``(buffer, length)`` argument pairs as memoryviews, checked as GSKit checks them.

Compiled with the engine (``setup.py``): every asynchronous receive and send makes one.
"""
from __future__ import annotations

from typing import Final

from gskit import errors as rc

__all__ = ["buffer_view"]

_memoryview: Final = memoryview   # (compiled: a C static, not a look-up in builtins)


def buffer_view(buffer: object, size: object, writable: bool) -> tuple[int, memoryview | None]:
    """``(GSK_OK, view)`` of the first ``size`` bytes of ``buffer`` (all of it for None), or
    the rc for a bad pointer (not a buffer, read-only where written, too short) or size."""
    if type(buffer) is bytearray or (type(buffer) is bytes and not writable):  # the usual cases:
        view = _memoryview(buffer)                                           # flat bytes already
    else:
        try:
            view = _memoryview(buffer).cast("B")  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return rc.GSK_IBMI_ERROR_INVALID_POINTER, None
        if writable and view.readonly:
            return rc.GSK_IBMI_ERROR_INVALID_POINTER, None
    length = len(view)
    if size is None:
        size = length
    if not isinstance(size, int) or isinstance(size, bool):
        return rc.GSK_INVALID_BUFFER_SIZE, None
    if size > length:
        return rc.GSK_IBMI_ERROR_INVALID_POINTER, None      # bufSize runs past the buffer
    if size < 1:
        return rc.GSK_INVALID_BUFFER_SIZE, None
    return rc.GSK_OK, view if size == length else view[:size]
