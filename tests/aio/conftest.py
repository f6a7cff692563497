"""Fixtures for the asyncio adapter tests: certificates, a deadline, leak checks, peers."""
from __future__ import annotations

import os
import threading
import time
from typing import Any, Iterator

import pytest

from tests.deadlines import deadline, open_fd_set  # noqa: F401 - deadline: autouse here
import trustme

from aio_support import OpenSSLServer, Pki, _make_pki


@pytest.fixture(scope="session", autouse=True)
def gskit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A private certificate registry, so no test reads the user's."""
    old = os.environ.get("GSKIT_HOME")
    os.environ["GSKIT_HOME"] = str(tmp_path_factory.mktemp("gskit-home"))
    yield
    if old is None:
        os.environ.pop("GSKIT_HOME", None)
    else:
        os.environ["GSKIT_HOME"] = old


@pytest.fixture(scope="session")
def pki_by_key(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pki]:
    root = tmp_path_factory.mktemp("aio-pki")
    return {"ecdsa": _make_pki(root / "ecdsa", trustme.KeyType.ECDSA),
            "rsa": _make_pki(root / "rsa", trustme.KeyType.RSA)}


@pytest.fixture
def pki(pki_by_key: dict[str, Pki]) -> Pki:
    return pki_by_key["ecdsa"]


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Every test leaves no descriptor or thread behind."""
    threads = set(threading.enumerate())
    fds = open_fd_set()
    yield
    for _ in range(100):                # asyncio's child watcher thread and pipes end a bit later
        if open_fd_set() <= fds and set(threading.enumerate()) <= threads:
            break
        time.sleep(0.02)
    assert open_fd_set() <= fds, f"descriptors left open: {sorted(open_fd_set() - fds)}"
    assert set(threading.enumerate()) <= threads


@pytest.fixture
def openssl_server(pki: Pki) -> Iterator[Any]:
    servers: list[OpenSSLServer] = []

    def start(*args: str) -> OpenSSLServer:
        server = OpenSSLServer(pki, *args).__enter__()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.__exit__()
