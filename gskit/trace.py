"""Tracing of every GSKit and Qso call.  Stub: being written."""
from __future__ import annotations

from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable[..., object])


def wrap(name: str, func: F) -> F:
    """The traced form of a compat call (the call itself while tracing is off)."""
    return func
