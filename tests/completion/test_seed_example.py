"""The seed's "Example: Using asynchronous I/O" (IBM i 7.3 Socket programming), ported line by
line, against the seed's "Example: Generic client"; then the same design with a worker pool."""
from __future__ import annotations

import os
import socket
import threading

from gskit.compat.errno_state import get_errno
from gskit.compat.qso import (
    QsoCreateIOCompletionPort,
    QsoDestroyIOCompletionPort,
    QsoPostIOCompletion,
    QsoStartRecv,
    QsoStartSend,
    QsoWaitForIOCompletion,
)
from gskit.compat.structs import Qso_OverlappedIO_t, timeval

from tests.completion.completion_helpers import FAMILIES, LOOPBACK, spawn

BufferLength = 80
Failure = 0
Success = 1


def workerThread(ioCompPort: int) -> int:
    """The seed's workerThread: one receive, echo it, close."""
    waitTime = timeval()
    ioStruct = Qso_OverlappedIO_t()
    waitTime.tv_sec = 500
    waitTime.tv_usec = 0
    rc = QsoWaitForIOCompletion(ioCompPort, ioStruct, waitTime)
    if not (rc == 1 and ioStruct.returnValue != -1):
        return Failure
    clientfd = ioStruct.descriptorHandle
    ioStruct.postFlag = 0
    ioStruct.bufferLength = ioStruct.returnValue
    rc = QsoStartSend(clientfd, ioCompPort, ioStruct)
    if rc != 0:
        if rc == -1:
            os.close(clientfd)
            return Failure
        rc = QsoWaitForIOCompletion(ioCompPort, ioStruct, waitTime)
        if not (rc == 1 and ioStruct.returnValue != -1):
            return Failure
    os.close(clientfd)
    return Success


def seed_server(ready: threading.Event, address: list) -> int:
    """The seed's main(); it binds port 0 instead of 12345 and reports the address."""
    buffer = bytearray(BufferLength)
    ioStruct = Qso_OverlappedIO_t()
    if (ioCompPort := QsoCreateIOCompletionPort()) < 0:
        return -1
    status: list[int] = []
    thr = spawn(lambda: status.append(workerThread(ioCompPort)))
    listen_sd = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listen_sd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listen_sd.bind(("::", 0))
    listen_sd.listen(10)
    address.append(listen_sd.getsockname()[1])
    ready.set()
    client_sd, _ = listen_sd.accept()
    ioStruct = Qso_OverlappedIO_t()  # memset(&ioStruct, '\0', sizeof(ioStruct))
    ioStruct.buffer = buffer
    ioStruct.bufferLength = len(buffer)
    ioStruct.descriptorHandle = client_sd.detach()  # the worker owns (and closes) it
    ioStruct.postFlag = 1
    ioStruct.fillBuffer = 0
    rc = QsoStartRecv(ioStruct.descriptorHandle, ioCompPort, ioStruct)
    if rc == -1:
        QsoDestroyIOCompletionPort(ioCompPort)
        listen_sd.close()
        os.close(ioStruct.descriptorHandle)
        return -1
    listen_sd.close()
    thr.join(10)
    QsoDestroyIOCompletionPort(ioCompPort)
    return 0 if status == [Success] else -1


def generic_client(family: int, port: int, send_buf: bytes) -> bytes:
    """The seed's generic client: socket, connect, send (with the NUL), recv, close."""
    with socket.socket(family, socket.SOCK_STREAM) as sockfd:
        sockfd.settimeout(10)
        sockfd.connect((LOOPBACK[family], port))
        length = sockfd.send(send_buf + b"\0")
        assert length == len(send_buf) + 1
        return sockfd.recv(BufferLength)


def test_seed_asynchronous_io_example() -> None:
    ready, address, result = threading.Event(), [], []
    server = spawn(lambda: result.append(seed_server(ready, address)))
    assert ready.wait(10)
    family = socket.AF_INET6 if socket.AF_INET6 in FAMILIES else socket.AF_INET
    echoed = generic_client(family, address[0], b"Hello from the generic client")
    server.join(10)
    assert echoed == b"Hello from the generic client\0"
    assert result == [0]


def test_worker_pool_echo_over_many_clients() -> None:
    """The seed's design scaled out: 4 workers, 40 clients, 5 round trips each, then
    QsoPostIOCompletion tells each worker to end (the seed's step 7)."""
    ioCompPort = QsoCreateIOCompletionPort()
    END = "end"
    served = []

    def worker() -> None:
        io = Qso_OverlappedIO_t()
        while QsoWaitForIOCompletion(ioCompPort, io, 10) == 1:
            if io.descriptorHandle == END:
                return
            sd = io.descriptorHandle
            if io.operationCompleted == 2:  # QSOSTARTRECV
                if io.returnValue <= 0:
                    sd.close()
                    continue
                served.append(io.returnValue)
                io.bufferLength, io.postFlag = io.returnValue, 1
                assert QsoStartSend(sd, ioCompPort, io) == 1
            else:  # QSOSTARTSEND done: receive the next request
                io.bufferLength = BufferLength
                assert QsoStartRecv(sd, ioCompPort, io) == 1
        raise AssertionError(f"wait failed, errno {get_errno()}")

    workers = [spawn(worker) for _ in range(4)]
    ls = socket.create_server(("127.0.0.1", 0))
    clients_ok = []

    def client(i: int) -> None:
        with socket.create_connection(ls.getsockname(), timeout=10) as c:
            for k in range(5):
                msg = b"client %d round %d" % (i, k)
                c.sendall(msg)
                assert c.recv(BufferLength) == msg
            clients_ok.append(i)

    clients = [spawn(client, i) for i in range(40)]
    for _ in range(40):
        s, _ = ls.accept()
        io = Qso_OverlappedIO_t(buffer=bytearray(BufferLength), bufferLength=BufferLength,
                                descriptorHandle=s, postFlag=1)
        assert QsoStartRecv(s, ioCompPort, io) == 1
    for t in clients:
        t.join(15)
    ls.close()
    assert sorted(clients_ok) == list(range(40))
    for _ in workers:
        QsoPostIOCompletion(ioCompPort, Qso_OverlappedIO_t(descriptorHandle=END))
    for t in workers:
        t.join(10)
    assert not any(t.is_alive() for t in workers)
    assert QsoDestroyIOCompletionPort(ioCompPort) == 0
