"""A thousand concurrent TLS connections on one completion port with two workers.

The server runs here: QsoStartAccept, then gsk_secure_soc_startInit / startRecv /
startSend per connection, all posted to one port that two worker threads wait on.  The
clients run in another process (asyncio + ssl), all connections open at once.  Every
started operation must be posted exactly once, every echo must come back intact, and no
descriptor or thread may be left behind.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from gskit import *  # noqa: F403
from tests.deadlines import open_fd_set
from tests.engine.test_return_codes import server_env

CONNECTIONS = 1000
CLIENT = textwrap.dedent("""
    import asyncio, os, ssl, sys
    async def one(port, ctx, i):
        payload = os.urandom(1024)
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
        writer.write(payload)
        await writer.drain()
        echoed = await reader.readexactly(1024)
        writer.close()
        try:
            await writer.wait_closed()
        except (ssl.SSLError, OSError):
            pass
        return echoed == payload
    async def main(port, ca, count):
        ctx = ssl.create_default_context(cafile=ca)
        results = await asyncio.gather(*(one(port, ctx, i) for i in range(count)), return_exceptions=True)
        print(sum(r is True for r in results), sum(isinstance(r, BaseException) for r in results))
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
""")


class EchoServer:
    """The guide's design: one completion port, a pool of workers, state in descriptorHandle."""

    def __init__(self, pki, workers: int = 2) -> None:
        self.env = server_env(pki, pki.server_ec)
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=CONNECTIONS)
        self.port = QsoCreateIOCompletionPort()
        self.completions: Counter[tuple[int, int]] = Counter()
        self.echoed = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.workers = [threading.Thread(target=self.work, daemon=True) for _ in range(workers)]
        self.accept()
        for worker in self.workers:
            worker.start()

    def accept(self) -> None:
        """Start accepts until one has to wait (0: accepted at once, not posted; 1: pending)."""
        while True:
            io = Qso_OverlappedIO_t(descriptorHandle=("accept", None, None))
            started = QsoStartAccept(self.listener.fileno(), self.port, io)
            assert started in (0, 1), get_errno()
            if started == 1:
                return
            self.accepted(io.returnValue)

    def accepted(self, fd: int) -> None:
        rc, session = gsk_secure_soc_open(self.env)
        assert gsk_attribute_set_numeric_value(session, GSK_FD, fd) == GSK_OK
        io = Qso_OverlappedIO_t(descriptorHandle=("init", session, fd))
        assert gsk_secure_soc_startInit(session, self.port, io) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT

    def finish(self, session: object, fd: int) -> None:
        gsk_secure_soc_close(session)
        socket.close(fd)

    def work(self) -> None:
        done = Qso_OverlappedIO_t()
        while not self.stop.is_set():
            if QsoWaitForIOCompletion(self.port, done, 0.5) != 1:
                continue
            kind, session, fd = done.descriptorHandle
            with self.lock:
                self.completions[(done.operationCompleted, done.returnValue)] += 1
            if kind == "accept":
                self.accept()
                if done.returnValue >= 0:
                    self.accepted(done.returnValue)
            elif done.returnValue != GSK_OK:
                self.finish(session, fd)
            elif kind == "init":
                buffer = bytearray(1024)
                io = Qso_OverlappedIO_t(descriptorHandle=("recv", session, fd), buffer=buffer,
                                        bufferLength=1024, fillBuffer=1, postFlag=1)
                assert gsk_secure_soc_startRecv(session, self.port, io) == GSK_IBMI_ASYNCHRONOUS_RECV
            elif kind == "recv":
                io = Qso_OverlappedIO_t(descriptorHandle=("send", session, fd), buffer=done.buffer,
                                        bufferLength=done.secureDataTransferSize, postFlag=1)
                assert gsk_secure_soc_startSend(session, self.port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
            else:
                with self.lock:
                    self.echoed += 1
                self.finish(session, fd)

    def close(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(10)
        QsoDestroyIOCompletionPort(self.port)
        self.listener.close()
        gsk_environment_close(self.env)


@pytest.mark.slow
def test_a_thousand_concurrent_tls_connections(pki):
    fds_before, threads_before = open_fd_set(), threading.active_count()
    server = EchoServer(pki)
    try:
        client = subprocess.run([sys.executable, "-c", CLIENT, str(server.listener.getsockname()[1]),
                                 str(pki.ca_pem), str(CONNECTIONS)],
                                capture_output=True, text=True, timeout=120)
        assert client.returncode == 0, client.stderr
        succeeded, failed = map(int, client.stdout.split())
        for _ in range(100):                               # the last sends post after the client's read
            if server.echoed == CONNECTIONS:
                break
            time.sleep(0.1)
    finally:
        server.close()
    assert (succeeded, failed) == (CONNECTIONS, 0)
    assert server.echoed == CONNECTIONS
    for code in (GSKSECURESOCSTARTINIT, GSKSECURESOCSTARTRECV, GSKSECURESOCSTARTSEND):
        assert server.completions[(code, GSK_OK)] == CONNECTIONS, server.completions
    assert sum(n for (code, _), n in server.completions.items() if code != QSOSTARTACCEPT) == 3 * CONNECTIONS
    assert open_fd_set() <= fds_before
    assert threading.active_count() <= threads_before
