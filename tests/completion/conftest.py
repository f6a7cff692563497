"""Fixtures for the completion-port tests: a deadline per test, leak checks, socket pairs."""
from __future__ import annotations

import os
import socket
import threading
from typing import Iterator

import pytest

from tests.deadlines import deadline, open_fd_set  # noqa: F401 - deadline: autouse here

from gskit.compat import qso
from gskit.io import completion

from tests.completion.completion_helpers import FAMILIES, Sockets


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Every test leaves no port, engine thread or descriptor behind."""
    threads = set(threading.enumerate())
    fds = open_fd_set()
    yield
    leftover = list(completion._ports)
    for number in leftover:
        qso.QsoDestroyIOCompletionPort(number)
    assert not leftover, f"ports left open: {leftover}"
    assert completion.current_engine() is None
    assert set(threading.enumerate()) <= threads
    assert open_fd_set() <= fds


@pytest.fixture
def sockets() -> Iterator[Sockets]:
    box = Sockets()
    try:
        yield box
    finally:
        box.close_all()


@pytest.fixture(params=FAMILIES, ids=lambda f: socket.AddressFamily(f).name)
def family(request: pytest.FixtureRequest) -> int:
    return request.param




def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """An assertion failing in a helper thread fails its test."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"))
