"""C's ``(buffer, length)`` argument pairs as memoryviews, checked as GSKit checks them.

Compiled with the engine (``setup.py``): every asynchronous receive and send makes one.
"""
from __future__ import annotations

from gskit import errors as rc

__all__ = ["buffer_view"]


def buffer_view(buffer: object, size: object, writable: bool) -> tuple[int, memoryview | None]:
    """``(GSK_OK, view)`` of the first ``size`` bytes of ``buffer`` (all of it for None), or
    the rc for a bad pointer (not a buffer, read-only where written, too short) or size."""
    try:
        view = memoryview(buffer)  # type: ignore[arg-type]
        if type(buffer) is not bytearray:   # (a bytearray's view is of bytes already)
            view = view.cast("B")
    except (TypeError, ValueError):
        return rc.GSK_IBMI_ERROR_INVALID_POINTER, None
    if writable and view.readonly:
        return rc.GSK_IBMI_ERROR_INVALID_POINTER, None
    if size is None:
        size = len(view)
    if not isinstance(size, int) or isinstance(size, bool):
        return rc.GSK_INVALID_BUFFER_SIZE, None
    if size > len(view):
        return rc.GSK_IBMI_ERROR_INVALID_POINTER, None      # bufSize runs past the buffer
    if size < 1:
        return rc.GSK_INVALID_BUFFER_SIZE, None
    return rc.GSK_OK, view if size == len(view) else view[:size]
