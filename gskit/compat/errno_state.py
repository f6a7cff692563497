"""The per-thread errno of the compat layer (the shape of ``ctypes.get_errno/set_errno``)."""
from __future__ import annotations

import threading

_state = threading.local()


def get_errno() -> int:
    """The calling thread's last errno, set by a GSK_ERROR_IO return or a Qso call's -1."""
    return getattr(_state, "errno", 0)


def set_errno(value: int) -> int:
    """Set the calling thread's errno; returns the previous value, like ctypes.set_errno."""
    previous = getattr(_state, "errno", 0)
    _state.errno = int(value)
    return previous
