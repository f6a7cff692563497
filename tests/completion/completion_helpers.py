"""Helpers shared by the completion-port tests (real loopback sockets, no mocks)."""
from __future__ import annotations

import socket
import threading
import time
from typing import Callable

import pytest

from gskit.compat import qso
from tests.conftest import DEADLINE
from gskit.compat.errno_state import get_errno
from gskit.compat.structs import Qso_OverlappedIO_t
from gskit.io import completion

# The engine's compiled form calls its own methods directly, so a test that replaces one
# runs on the pure-Python build only (the last pass of `make test`).
replaces_engine_methods = pytest.mark.skipif(
    not completion.__file__.endswith(".py"),
    reason="replaces the engine's methods, which its compiled form calls directly; "
           "`make test` runs it on the pure-Python build")


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


FAMILIES = [socket.AF_INET] + ([socket.AF_INET6] if _has_ipv6() else [])
LOOPBACK = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}


class Sockets:
    """Creates loopback sockets and closes them all at teardown."""

    def __init__(self) -> None:
        self._all: list[socket.socket] = []

    def keep(self, s: socket.socket) -> socket.socket:
        self._all.append(s)
        return s

    def listener(self, family: int = socket.AF_INET) -> socket.socket:
        ls = self.keep(socket.socket(family, socket.SOCK_STREAM))
        ls.bind((LOOPBACK[family], 0))
        ls.listen(64)
        return ls

    def connect(self, ls: socket.socket) -> socket.socket:
        c = self.keep(socket.socket(ls.family, socket.SOCK_STREAM))
        c.settimeout(10)
        c.connect(ls.getsockname()[:2])
        return c

    def pair(self, family: int = socket.AF_INET) -> tuple[socket.socket, socket.socket]:
        """(server side, client side) of a connected TCP pair; both blocking."""
        ls = self.listener(family)
        c = self.connect(ls)
        s, _ = ls.accept()
        self.keep(s)
        ls.close()
        return s, c

    def close_all(self) -> None:
        for s in self._all:
            s.close()


def wait_one(port: int, timeout: float = DEADLINE) -> Qso_OverlappedIO_t:
    """Take one completion; fail the test if none comes."""
    out = Qso_OverlappedIO_t()
    rc = qso.QsoWaitForIOCompletion(port, out, timeout)
    assert rc == 1, f"QsoWaitForIOCompletion -> {rc}, errno {get_errno()}"
    return out


def nothing_posted(port: int) -> bool:
    return qso.QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 0) == -1


def spawn(target: Callable[..., object], *args: object) -> threading.Thread:
    """Start a daemon thread (joined by the test with a timeout)."""
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def until(predicate: Callable[[], object], seconds: float = DEADLINE) -> None:
    """Poll ``predicate`` until it holds; fail the test if it does not within ``seconds``."""
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.005)
