"""gskit.aio against real peers: Python's ssl (asyncio) and the openssl command, both ways."""
from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import threading
import time

import pytest

import gskit
from gskit import aio
from gskit import constants as c
from gskit.attributes import ciphers
from gskit.compat import gsk

from aio_support import LOOP_DEADLINE, Pki, free_port, run

VERSIONS = ["TLSv1.2", "TLSv1.3"]
PROTOCOL_USED = {"TLSv1.2": c.GSK_PROTOCOL_USED_TLSV12, "TLSv1.3": c.GSK_PROTOCOL_USED_TLSV13}


def iana(openssl_name: str) -> str:
    suite = ciphers.suite_by_name(openssl_name)
    assert suite is not None, openssl_name
    return suite.iana_name


@pytest.mark.parametrize("key", ["ecdsa", "rsa"])
@pytest.mark.parametrize("version", VERSIONS)
def test_client_against_python_ssl_server(pki_by_key: dict[str, Pki], key: str, version: str) -> None:
    pki = pki_by_key[key]
    seen: list[str] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(writer.get_extra_info("ssl_object").cipher()[0])
        writer.write(b"echo:" + await reader.read(100))
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=pki.server_context(version))
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                                       keyring_file=pki.ca_pem)
            writer.write(b"hello gskit")
            await writer.drain()
            assert await reader.read(100) == b"echo:hello gskit"
            assert await reader.read(100) == b""             # close_notify from the server
            session = writer.session
            assert writer.get_extra_info("protocol") == version
            assert gsk.gsk_attribute_get_enum(session, c.GSK_PROTOCOL_USED) == (0, PROTOCOL_USED[version])
            assert gsk.gsk_attribute_get_buffer(session, c.GSK_CONNECT_CIPHER_SPEC_EX) == (0, iana(seen[0]))
            assert gsk.gsk_attribute_get_enum(session, c.GSK_SID_FIRST) == (0, c.GSK_SID_IS_FIRST)
            writer.close()
            await writer.wait_closed()
            assert session.closed

    run(main())


@pytest.mark.parametrize("key", ["ecdsa", "rsa"])
@pytest.mark.parametrize("version", VERSIONS)
def test_server_with_python_ssl_client(pki_by_key: dict[str, Pki], key: str, version: str) -> None:
    pki = pki_by_key[key]
    results: list[tuple[object, ...]] = []

    async def echo(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        session = writer.session
        results.append((gsk.gsk_attribute_get_enum(session, c.GSK_PROTOCOL_USED), session.cipher))
        writer.write(b"echo:" + await reader.read(100))
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> None:
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
            server = await aio.start_server(echo, "127.0.0.1", 0, environment=env)
            port = server.sockets[0].getsockname()[1]
            async with server:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=pki.client_context(version),
                                                               server_hostname="localhost")
                writer.write(b"hello python")
                await writer.drain()
                assert await reader.read(100) == b"echo:hello python"
                ssl_object = writer.get_extra_info("ssl_object")
                assert ssl_object.version() == version
                assert results == [((0, PROTOCOL_USED[version]), iana(ssl_object.cipher()[0]))]
                writer.close()

    run(main())


@pytest.mark.parametrize("flag, version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_client_against_openssl_s_server(pki: Pki, openssl_server: object, flag: str, version: str) -> None:
    server = openssl_server("-rev", flag)  # type: ignore[operator]

    async def main() -> None:
        reader, writer = await aio.open_connection("127.0.0.1", server.port, server_hostname="localhost",
                                                   keyring_file=pki.ca_pem)
        writer.write(b"hello openssl\n")
        await writer.drain()
        assert await reader.readline() == b"lssnepo olleh\n"
        assert writer.get_extra_info("protocol") == version
        writer.close()
        await writer.wait_closed()

    run(main())


@pytest.mark.parametrize("flag, version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_server_with_openssl_s_client(pki: Pki, flag: str, version: str) -> None:
    received: list[bytes] = []

    async def greet(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        line = await reader.readline()
        received.append(line)
        writer.write(b"pong:" + line)
        await writer.drain()
        assert writer.session.protocol == version
        writer.close()

    async def main() -> str:
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
            port = free_port()
            server = await aio.start_server(greet, "127.0.0.1", port, environment=env)
            async with server:
                proc = await asyncio.create_subprocess_exec(
                    "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", pki.ca_pem, flag,
                    "-verify_return_error", "-ign_eof",
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                try:
                    out, _ = await asyncio.wait_for(proc.communicate(b"ping\n"), 10)
                finally:
                    if proc.returncode is None:
                        proc.kill()
                        await proc.wait()
                return out.decode(errors="replace")

    output = run(main())
    assert received == [b"ping\n"]
    assert "pong:ping\n" in output
    assert f"Protocol  : {version}" in output or f"New, {version}" in output
    assert "Verify return code: 0 (ok)" in output


def test_bulk_both_ways_with_digest(pki: Pki) -> None:
    """8 MB each way through gskit on both ends, flow control on, SHA-256 checked."""
    payload = bytes(range(251)) * (8 * 1024 * 1024 // 251)

    async def sink(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        digest = hashlib.sha256()
        size = int(await reader.readline())
        while size:
            chunk = await reader.read(min(size, 100_000))
            digest.update(chunk)
            size -= len(chunk)
        writer.write(digest.hexdigest().encode() + b"\n")
        for start in range(0, len(payload), 1 << 20):
            writer.write(payload[start:start + (1 << 20)])
            await writer.drain()
        writer.close()

    async def main() -> None:
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
            server = await aio.start_server(sink, "127.0.0.1", 0, environment=env, limit=2 ** 14)
            port = server.sockets[0].getsockname()[1]
            async with server:
                reader, writer = await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                                           keyring_file=pki.ca_pem)
                writer.write(b"%d\n" % len(payload))
                writer.write(payload)
                await writer.drain()
                assert await reader.readline() == hashlib.sha256(payload).hexdigest().encode() + b"\n"
                back = await reader.read(-1)                   # to the server's close_notify
                assert hashlib.sha256(back).digest() == hashlib.sha256(payload).digest()
                writer.close()
                await writer.wait_closed()

    run(main())


def test_close_right_after_a_large_write_loses_nothing(pki: Pki) -> None:
    """write(16 MB), close(), wait_closed() to a slow reader: every byte arrives.  The TLS
    1.3 tickets are still unread when close() is called; a socket closed with unread input
    is reset, and the kernel drops what it had not sent yet."""
    payload = os.urandom(16 * 1024 * 1024)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(LOOP_DEADLINE)
    digests: list[str] = []

    def slow_reader() -> None:
        conn, _ = listener.accept()
        with pki.server_context().wrap_socket(conn, server_side=True) as tls:
            time.sleep(0.5)                          # the client has written and closed by now
            digest, received = hashlib.sha256(), 0
            while chunk := tls.recv(1 << 20):
                digest.update(chunk)
                received += len(chunk)
            digests.append(digest.hexdigest() if received == len(payload) else f"{received} bytes")

    async def main() -> None:
        _, writer = await aio.open_connection("127.0.0.1", listener.getsockname()[1],
                                              server_hostname="localhost", keyring_file=pki.ca_pem)
        writer.write(payload)
        writer.close()
        assert writer.is_closing()
        await writer.wait_closed()

    peer = threading.Thread(target=slow_reader, daemon=True)
    peer.start()
    with listener:
        run(main())
        peer.join(LOOP_DEADLINE)
    assert digests == [hashlib.sha256(payload).hexdigest()]
