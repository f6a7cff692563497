"""A per-test deadline by SIGALRM, and the open descriptors, for the test folders that use them.

A folder's conftest imports ``deadline`` to make it autouse there.
"""
from __future__ import annotations

import contextlib
import os
import signal
from typing import Iterator

import pytest

DEADLINE = 20.0   # seconds for any one test


@contextlib.contextmanager
def sigalrm_deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) whatever runs past ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"test exceeded its {seconds:.0f} s deadline")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail (instead of hanging) a test that runs past DEADLINE seconds."""
    with sigalrm_deadline(DEADLINE):
        yield


def open_fd_set() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}
