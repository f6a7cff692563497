"""gskit.aio's own API: awaitable sessions, timeouts, half-close, resumption, audit, load."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import AsyncIterator

import pytest

import gskit
from gskit import aio, audit
from gskit import constants as c
from gskit import errors as rc
from gskit.compat import gsk
from gskit.errors import GSKError

from aio_support import Pki, run


@contextlib.asynccontextmanager
async def gskit_server(pki: Pki, handler: aio.ClientConnected) -> AsyncIterator[int]:
    """A gskit echo-style server on a loopback port, for the duration of the block."""
    with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
        server = await aio.start_server(handler, "127.0.0.1", 0, environment=env)
        async with server:
            yield server.sockets[0].getsockname()[1]


async def echo(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def test_async_session_handshake_read_write(pki: Pki) -> None:
    async def main() -> None:
        async with gskit_server(pki, echo) as port:
            with gskit.Environment(keyring_file=pki.ca_pem, check_hostname=True) as env:
                sock = socket.create_connection(("127.0.0.1", port))
                secure = await aio.wrap_socket(env, sock, server_name="localhost")
                async with secure:
                    await secure.handshake()
                    assert secure.session.protocol == "TLSv1.3"
                    assert await secure.write(b"abc") == 3
                    assert await secure.read(2) == b"ab"
                    assert await secure.read(100) == b"c"
                    with pytest.raises(GSKError) as size:
                        await secure.read(0)
                    with pytest.raises(TypeError):          # (before: GSKError 501)
                        await secure.read("2")
                    with pytest.raises(GSKError) as empty:
                        await secure.write(b"")
                assert secure.session.closed
        assert size.value.rc == empty.value.rc == rc.GSK_INVALID_BUFFER_SIZE

    run(main())


def test_the_blocking_calls_on_a_stream_session_are_refused(pki: Pki) -> None:
    """The session of an asyncio connection moves its data through the streams: the blocking
    and completion-port calls on it answer GSK_INVALID_STATE (before: a TypeError of the
    compiled code out of the Pythonic calls and of startRecv/startSend, and 3 from misc)."""
    async def main() -> None:
        async with gskit_server(pki, echo) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port, keyring_file=pki.ca_pem,
                                                       server_hostname="localhost")
            session = writer.session
            calls = {"recv": lambda: session.recv(10), "sendall": lambda: session.sendall(b"x"),
                     "misc": lambda: session.misc(c.GSK_CLOSE_NOTIFY)}
            for name, call in calls.items():
                with pytest.raises(gskit.GSKStateError) as info:
                    call()
                assert info.value.rc == rc.GSK_INVALID_STATE, name
            io_port = gskit.QsoCreateIOCompletionPort()
            io = gskit.Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8)
            try:
                answers = [gsk.gsk_secure_soc_read(session, bytearray(8))[0],
                           gsk.gsk_secure_soc_misc(session, c.GSK_CLOSE_NOTIFY),
                           gskit.gsk_secure_soc_startRecv(session, io_port, io),
                           gskit.gsk_secure_soc_startSend(session, io_port, io)]
            finally:
                gskit.QsoDestroyIOCompletionPort(io_port)
            assert answers == [rc.GSK_INVALID_STATE] * 4
            writer.write(b"still")                      # the streams go on
            assert await reader.readexactly(5) == b"still"
            writer.close()
            await writer.wait_closed()

    run(main())


def test_read_timeout_is_6011_and_the_session_goes_on(pki: Pki) -> None:
    async def late(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        await reader.read(10)
        await asyncio.sleep(0.5)
        writer.write(b"late")
        await writer.drain()
        await reader.read(10)
        writer.close()

    async def main() -> bytes:
        async with gskit_server(pki, late) as port:
            with gskit.Environment(keyring_file=pki.ca_pem) as env:
                secure = await aio.wrap_socket(env, socket.create_connection(("127.0.0.1", port)),
                                               server_name="localhost", read_timeout_ms=200)
                await secure.write(b"go")
                with pytest.raises(GSKError) as timed_out:
                    await secure.read(10)
                assert timed_out.value.rc == rc.GSK_IBMI_ERROR_TIMED_OUT
                await asyncio.sleep(0.5)
                data = await secure.read(10)
                await secure.close()
                return data

    assert run(main()) == b"late"


def test_write_before_the_handshake_is_refused(pki: Pki) -> None:
    async def main() -> GSKError:
        async with gskit_server(pki, echo) as port:
            with gskit.Environment(keyring_file=pki.ca_pem) as env:
                secure = await aio.wrap_socket(env, socket.create_connection(("127.0.0.1", port)),
                                               server_name="localhost")
                with pytest.raises(GSKError) as caught:
                    secure.writer.write(b"too early")        # the ServerHello cannot be here yet
                await secure.handshake()
                await secure.close()
                return caught.value

    assert run(main()).rc == rc.GSK_INVALID_STATE


def test_write_eof_half_closes_with_close_notify(pki: Pki) -> None:
    async def collect(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        data = await reader.read(-1)                # to the client's close_notify
        writer.write(b"got %d bytes" % len(data))
        await writer.drain()
        writer.close()

    async def main() -> tuple[bytes, GSKError]:
        async with gskit_server(pki, collect) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                                       keyring_file=pki.ca_pem)
            assert writer.can_write_eof()
            writer.write(b"12345")
            writer.write_eof()
            with pytest.raises(GSKError) as closed:
                writer.write(b"more")
            answer = await reader.read(-1)
            writer.close()
            await writer.wait_closed()
            return answer, closed.value

    answer, closed = run(main())
    assert answer == b"got 5 bytes"
    assert closed.rc == rc.GSK_ERROR_SSL_CLOSED


@pytest.mark.parametrize("version_setting", [{}, {"tlsv13": False}])
def test_second_connection_resumes_through_the_environment_cache(pki: Pki, version_setting: dict) -> None:
    async def main() -> list[int]:
        firsts = []
        async with gskit_server(pki, echo) as port:
            with gskit.Environment(keyring_file=pki.ca_pem, check_hostname=True, **version_setting) as env:
                for _ in range(2):
                    reader, writer = await aio.open_connection("127.0.0.1", port, environment=env,
                                                               server_hostname="localhost")
                    writer.write(b"x")
                    assert await reader.read(10) == b"x"      # TLS 1.3 tickets arrive before this
                    firsts.append(gsk.gsk_attribute_get_enum(writer.session, c.GSK_SID_FIRST)[1])
                    writer.close()
                    await writer.wait_closed()
        return firsts

    assert run(main()) == [c.GSK_SID_IS_FIRST, c.GSK_SID_NOT_FIRST]


def test_handshakes_are_audited(pki: Pki) -> None:
    async def main() -> int:
        async with gskit_server(pki, echo) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                                       keyring_file=pki.ca_pem)
            writer.write(b"x")
            await reader.read(10)
            writer.close()
            await writer.wait_closed()
            with pytest.raises(GSKError):
                await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                          keyring_file=pki.other_ca_pem)
            return port

    with audit.capture() as records:
        port = run(main())
    entries = [r["entry_type"] for r in records]
    assert entries.count(audit.SUCCESS) == 2                   # client and server
    assert entries.count(audit.FAILURE) >= 1                   # the client that trusts another CA
    client_ports = {r["remote_port"] for r in records if r["entry_type"] == audit.SUCCESS and r["remote_port"] == port}
    assert client_ports == {port}


def test_tcp_nodelay_even_on_a_listening_socket_made_without_ipproto_tcp(pki: Pki) -> None:
    flags: list[int] = []

    async def check(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        flags.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    async def main() -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        with gskit.Environment(session_type="server", keyring_file=pki.server_pem) as env:
            server = await aio.start_server(check, sock=listener, environment=env)
            async with server:
                reader, writer = await aio.open_connection("127.0.0.1", listener.getsockname()[1],
                                                           server_hostname="localhost", keyring_file=pki.ca_pem)
                flags.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                assert await reader.read(10) == b""
                writer.close()
                await writer.wait_closed()

    run(main())
    assert flags == [1, 1]


def test_many_concurrent_connections_gskit_and_python_ssl_clients(pki: Pki) -> None:
    """300 connections at once on one loop: 250 gskit clients and 50 Python ssl clients."""

    async def gskit_client(port: int, env: gskit.Environment, i: int) -> bytes:
        reader, writer = await aio.open_connection("127.0.0.1", port, environment=env, server_hostname="localhost")
        payload = b"%05d" % i * 200
        writer.write(payload)
        await writer.drain()
        data = await reader.readexactly(len(payload))
        writer.close()
        await writer.wait_closed()
        return data

    async def ssl_client(port: int, i: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=pki.client_context(),
                                                       server_hostname="localhost")
        payload = b"%05d" % i * 200
        writer.write(payload)
        await writer.drain()
        data = await reader.readexactly(len(payload))
        writer.close()
        return data

    async def main() -> None:
        async with gskit_server(pki, echo) as port:
            with gskit.Environment(keyring_file=pki.ca_pem, check_hostname=True, session_cache_size=0) as env:
                results = await asyncio.gather(*[gskit_client(port, env, i) for i in range(250)],
                                               *[ssl_client(port, i) for i in range(250, 300)])
        assert results == [b"%05d" % i * 200 for i in range(300)]

    run(main(), timeout=18)


@pytest.mark.parametrize("kind", ["function", "coroutine"])
def test_a_failing_client_connected_cb_is_reported_and_its_connection_aborted(pki: Pki, kind: str) -> None:
    """As asyncio.start_server: the loop's exception handler gets "Unhandled exception in
    client_connected_cb" with the exception, and the client sees its connection end."""
    failure = ValueError("the handler failed")
    reported: list[dict] = []

    def function(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        raise failure

    async def coroutine(reader: asyncio.StreamReader, writer: aio.SecureStreamWriter) -> None:
        raise failure

    async def main() -> bytes | GSKError:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        async with gskit_server(pki, function if kind == "function" else coroutine) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                                       keyring_file=pki.ca_pem)
            try:
                return await asyncio.wait_for(reader.read(10), 10)
            except GSKError as exc:
                return exc
            finally:
                writer.close()

    ended = run(main())
    assert ended == b"" or isinstance(ended, GSKError)
    assert [(c["message"], c["exception"]) for c in reported] == [
        ("Unhandled exception in client_connected_cb", failure)]


def test_an_environment_of_the_wrong_role_is_refused_at_once(pki: Pki) -> None:
    """start_server with a client environment, open_connection with a server one: GSKError
    GSK_INVALID_PARAMETER before anything listens or connects (before: accepted, and every
    client then saw 406 ECONNRESET)."""
    async def main() -> list[int]:
        codes = []
        with gskit.Environment(keyring_file=pki.ca_pem) as client_env, \
                gskit.Environment(session_type="server", keyring_file=pki.server_pem) as server_env:
            for call in (lambda: aio.start_server(echo, "127.0.0.1", 0, environment=client_env),
                         lambda: aio.open_connection("127.0.0.1", 1, environment=server_env)):
                with pytest.raises(GSKError) as caught:
                    await call()
                codes.append(caught.value.rc)
        return codes

    assert run(main()) == [rc.GSK_INVALID_PARAMETER] * 2


def test_arguments_of_the_wrong_type_are_type_errors() -> None:
    """As asyncio's own calls: a wrong environment, socket or host name is a TypeError that
    says what was expected, before anything is opened."""
    env = gskit.Environment(session_type="client")

    async def main() -> list[str]:
        messages = []
        for call in (lambda: aio.open_connection("127.0.0.1", 1, environment="client"),
                     lambda: aio.open_connection(5, 443, environment=env),
                     lambda: aio.wrap_socket(env, 5),
                     lambda: aio.wrap_socket(None, unused),
                     lambda: aio.start_server(echo, "127.0.0.1", 0, environment=object())):
            with pytest.raises(TypeError) as caught:
                await call()
            messages.append(str(caught.value))
        return messages

    with socket.socket() as unused:
        assert run(main()) == [
            "environment must be a gskit.Environment, not str", "the host name must be a str, not int",
            "sock must be a connected socket.socket, not int", "environment must be a gskit.Environment, not NoneType",
            "environment must be a gskit.Environment, not object"]
    env.close()
