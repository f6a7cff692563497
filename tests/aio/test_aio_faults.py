"""gskit.aio under faults: resets, EOFs, stalls, garbage, bad certificates, cancellation."""
from __future__ import annotations

import asyncio
import errno
import socket
import struct
import time
from typing import Any, Awaitable, Callable

import pytest

import gskit
from gskit import aio
from gskit import errors as rc
from gskit.errors import GSKError

from aio_support import Pki, run

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def plain_server(handler: Handler) -> tuple[asyncio.Server, int]:
    """A plain-TCP peer that misbehaves as ``handler`` says."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0)."""
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def client_error(port: int, pki: Pki, **settings: Any) -> GSKError:
    settings.setdefault("keyring_file", pki.ca_pem)
    with pytest.raises(GSKError) as caught:
        await aio.open_connection("127.0.0.1", port, server_hostname="localhost", **settings)
    return caught.value


def test_reset_during_handshake_is_406_econnreset(pki: Pki) -> None:
    async def rst(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)                                  # the ClientHello has begun
        reset(writer)

    async def main() -> GSKError:
        server, port = await plain_server(rst)
        async with server:
            return await client_error(port, pki)

    error = run(main())
    assert (error.rc, error.errno) == (rc.GSK_ERROR_IO, errno.ECONNRESET)
    assert isinstance(error, OSError)


def test_eof_during_handshake_is_420(pki: Pki) -> None:
    async def fin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        writer.close()

    async def main() -> GSKError:
        server, port = await plain_server(fin)
        async with server:
            return await client_error(port, pki)

    assert run(main()).rc == rc.GSK_ERROR_SOCKET_CLOSED


def test_garbage_instead_of_server_hello_is_410(pki: Pki) -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        await writer.drain()
        await reader.read(100)          # until the client gives up
        writer.close()

    async def main() -> GSKError:
        server, port = await plain_server(http)
        async with server:
            return await client_error(port, pki)

    assert run(main()).rc == rc.GSK_ERROR_BAD_MESSAGE


def test_stalled_server_hits_the_handshake_timeout(pki: Pki) -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()             # reads, never answers, until the client closes
        writer.close()

    async def main() -> tuple[GSKError, float]:
        server, port = await plain_server(stall)
        async with server:
            start = time.monotonic()
            error = await client_error(port, pki, handshake_timeout=1)
            return error, time.monotonic() - start

    error, elapsed = run(main())
    assert error.rc == rc.GSK_IBMI_ERROR_TIMED_OUT
    assert 0.9 <= elapsed < 5


def test_silent_client_is_dropped_after_the_server_handshake_timeout(pki: Pki) -> None:
    called: list[object] = []

    async def main() -> tuple[bytes, float]:
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem, handshake_timeout=1) as env:
            server = await aio.start_server(lambda r, w: called.append(w), "127.0.0.1", 0, environment=env)
            port = server.sockets[0].getsockname()[1]
            async with server:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                start = time.monotonic()
                data = await reader.read(100)          # EOF when the server gives up
                writer.close()
                return data, time.monotonic() - start

    data, elapsed = run(main())
    assert data == b"" and called == []
    assert 0.9 <= elapsed < 5


def test_untrusted_server_certificate_is_6000(pki: Pki) -> None:
    async def main() -> GSKError:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=pki.server_context())
        async with server:
            return await client_error(server.sockets[0].getsockname()[1], pki, keyring_file=pki.other_ca_pem)

    assert run(main()).rc == rc.GSK_IBMI_ERROR_NOT_TRUSTED_ROOT


def test_hostname_is_checked_by_default_and_an_address_against_the_certificates_addresses(pki: Pki) -> None:
    """As Python's ssl: ``server_hostname`` (else a configured ``server_name``, else ``host``)
    is checked, an IP address against the certificate's addresses, and only a host name goes
    out as SNI (RFC 6066)."""
    sent_names: list[str | None] = []
    context = pki.server_context()
    context.sni_callback = lambda _sock, name, _ctx: sent_names.append(name)  # type: ignore[assignment, return-value]

    async def connected(**kwargs: Any) -> None:
        reader, writer = await aio.open_connection("127.0.0.1", port, keyring_file=pki.ca_pem, **kwargs)
        writer.close()
        await writer.wait_closed()

    async def main() -> tuple[GSKError, GSKError]:
        nonlocal port
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(GSKError) as wrong_name:
                await connected(server_hostname="wrong.example")
            with pytest.raises(GSKError) as wrong_address:
                await connected(server_hostname="127.0.0.2")
            await connected()                               # 127.0.0.1 is in the certificate
            await connected(server_hostname="localhost")
            await connected(server_name="localhost")        # the environment's name, not the host's
            await connected(server_hostname="127.0.0.2", check_hostname=False)
            return wrong_name.value, wrong_address.value

    port = 0
    wrong_name, wrong_address = run(main())
    assert wrong_name.rc == wrong_address.rc == rc.GSK_ERROR_CERT_VALIDATION
    assert sent_names == ["wrong.example", None, None, "localhost", "localhost", None]


def test_connection_refused_is_406_econnrefused(pki: Pki) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]                         # bound, not listening

        async def main() -> GSKError:
            return await client_error(port, pki)

        error = run(main())
    assert (error.rc, error.errno) == (rc.GSK_ERROR_IO, errno.ECONNREFUSED)


async def tls_peer(pki: Pki, behave: Handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(behave, "127.0.0.1", 0, ssl=pki.server_context())
    return server, server.sockets[0].getsockname()[1]


async def connect(port: int, pki: Pki) -> tuple[asyncio.StreamReader, aio.SecureStreamWriter]:
    return await aio.open_connection("127.0.0.1", port, server_hostname="localhost", keyring_file=pki.ca_pem)


async def blocked_read(reader: asyncio.StreamReader) -> asyncio.Future[bytes]:
    """A read of up to 100 bytes, started and given the time to block."""
    pending = asyncio.ensure_future(reader.read(100))
    await asyncio.sleep(0.05)
    return pending


def test_reset_after_handshake_fails_the_read_with_406(pki: Pki) -> None:
    async def rst(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        reset(writer)

    async def main() -> GSKError:
        server, port = await tls_peer(pki, rst)
        async with server:
            reader, writer = await connect(port, pki)
            writer.write(b"x")
            await writer.drain()
            with pytest.raises(GSKError) as caught:
                await reader.read(100)
            with pytest.raises(GSKError) as again:              # the session stays failed
                writer.write(b"y")
            writer.close()
            await writer.wait_closed()
            assert again.value.rc == caught.value.rc
            return caught.value

    error = run(main())
    assert (error.rc, error.errno) == (rc.GSK_ERROR_IO, errno.ECONNRESET)


def test_tcp_close_without_close_notify_reads_as_eof(pki: Pki) -> None:
    async def vanish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"last words")
        await writer.drain()
        writer.get_extra_info("socket").shutdown(socket.SHUT_RDWR)   # no close_notify
        writer.transport.abort()

    async def main() -> list[bytes]:
        server, port = await tls_peer(pki, vanish)
        async with server:
            reader, writer = await connect(port, pki)
            chunks = [await reader.read(100), await reader.read(100)]
            writer.close()
            await writer.wait_closed()
            return chunks

    assert run(main()) == [b"last words", b""]


def test_cancelled_read_loses_nothing(pki: Pki) -> None:
    async def later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"after the cancel")
        await writer.drain()
        await reader.read(100)
        writer.close()

    async def main() -> bytes:
        server, port = await tls_peer(pki, later)
        async with server:
            reader, writer = await connect(port, pki)
            pending = await blocked_read(reader)
            pending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await pending
            writer.write(b"go")
            data = await reader.read(100)
            writer.close()
            await writer.wait_closed()
            return data

    assert run(main()) == b"after the cancel"


def test_cancelled_handshake_aborts_the_connection(pki: Pki) -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    async def main() -> gskit.Session:
        server, port = await plain_server(stall)
        async with server:
            with gskit.Environment(keyring_file=pki.ca_pem) as env, socket.create_connection(("127.0.0.1", port)) as sock:
                secure = await aio.wrap_socket(env, sock, server_name="localhost")
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(secure.handshake(), 0.2)
                await secure.writer.wait_closed()
                return secure.session

    assert run(main()).closed


def test_client_connected_cb_that_raises_is_reported_and_aborts(pki: Pki) -> None:
    reported: list[dict[str, Any]] = []

    async def broken(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        raise ValueError("application bug")

    async def main() -> bytes:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
            server = await aio.start_server(broken, "127.0.0.1", 0, environment=env)
            async with server:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", server.sockets[0].getsockname()[1], ssl=pki.client_context(),
                    server_hostname="localhost")
                try:
                    data = await reader.read(100)
                except ConnectionResetError:
                    data = b"reset"
                writer.close()
                return data

    assert run(main()) in (b"", b"reset")
    assert [type(c["exception"]) for c in reported] == [ValueError]


def test_close_under_a_pending_read_ends_it_with_eof(pki: Pki) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    async def main() -> tuple[bytes, bool]:
        server, port = await tls_peer(pki, silent)
        async with server:
            reader, writer = await connect(port, pki)
            pending = await blocked_read(reader)
            writer.close()
            await writer.wait_closed()
            return await pending, writer.session.closed

    assert run(main()) == (b"", True)


def test_a_silent_client_is_dropped_after_the_default_handshake_timeout(pki: Pki, monkeypatch) -> None:
    """GSK_HANDSHAKE_TIMEOUT 0 (IBM's default: none) still leaves a limit on the loop,
    HANDSHAKE_TIMEOUT (60 s, as asyncio's ssl; shortened here): a client that connects and
    never sends cannot hold a server connection for ever."""
    monkeypatch.setattr(aio, "HANDSHAKE_TIMEOUT", 0.5)

    async def main() -> float:
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
            server = await aio.start_server(lambda r, w: None, "127.0.0.1", 0, environment=env)
            async with server:
                reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
                started = time.monotonic()
                assert await asyncio.wait_for(reader.read(100), 10) == b""    # closed by the server
                writer.close()
                return time.monotonic() - started

    assert 0.4 <= run(main()) < 5
