"""Helpers shared by the asyncio adapter tests (a module with a unique name: several test
folders have a conftest.py, so "from conftest import" would be ambiguous)."""
from __future__ import annotations

import asyncio
import os
import select
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Coroutine

import trustme

LOOP_DEADLINE = 15.0     # seconds for any one asyncio.run


@dataclass(frozen=True)
class Pki:
    ca: trustme.CA
    folder: Path

    @property
    def server_pem(self) -> str:
        return str(self.folder / "server.pem")

    @property
    def ca_pem(self) -> str:
        return str(self.folder / "ca.pem")

    @property
    def other_ca_pem(self) -> str:
        return str(self.folder / "other-ca.pem")

    def server_context(self, version: str | None = None) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server_pem)
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = TLS_VERSIONS[version]
        return ctx

    def client_context(self, version: str | None = None) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(ctx)
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = TLS_VERSIONS[version]
        return ctx


TLS_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def _make_pki(folder: Path, key_type: trustme.KeyType) -> Pki:
    folder.mkdir()
    ca = trustme.CA(key_type=key_type)
    leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=key_type)
    leaf.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    trustme.CA().cert_pem.write_to_path(str(folder / "other-ca.pem"))
    return Pki(ca, folder)


def run(coro: Coroutine[Any, Any, Any], timeout: float = LOOP_DEADLINE) -> Any:
    """asyncio.run with a deadline."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpenSSLServer:
    """``openssl s_server`` on a loopback port; killed on exit whatever happens."""

    def __init__(self, pki: Pki, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-cert", pki.server_pem,
             "-naccept", "1", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def __enter__(self) -> "OpenSSLServer":
        """Wait for its ACCEPT line (a probe connection would use up -naccept)."""
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        seen = b""
        end = time.monotonic() + 10
        while b"ACCEPT" not in seen and time.monotonic() < end and self.proc.poll() is None:
            if select.select([fd], [], [], 0.1)[0]:
                seen += os.read(fd, 4096)
        if b"ACCEPT" not in seen:
            self.__exit__()
            raise RuntimeError(f"openssl s_server did not start: {seen!r}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)
