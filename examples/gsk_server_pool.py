"""A GSKit echo server for many clients: a pool of worker threads on one completion port.

This is the design the guide's "Socket application design recommendations" favour for a
server with many concurrent clients: asynchronous I/O in a threaded server, a tuned number
of worker threads (--workers), and start operations *without* postFlag, so that an
operation that is satisfied at once is handled in place, without a trip through the port.

The main thread accepts clients, opens a secure session for each and starts its handshake
(gsk_secure_soc_startInit).  Every client then moves through handshake -> receive ->
send -> receive ... in whichever worker takes its next completion; the client's state
travels in ``descriptorHandle``.  It echoes until the client closes.  With --clients N the
server stops after N clients (0 = serve until interrupted), posting one QsoPostIOCompletion
per worker to end them.
"""
from __future__ import annotations

import argparse
import socket
import sys
import threading
from dataclasses import dataclass, field

from common import GSK_PORT, fail, parser, say
from gsk_setup import listen_and_accept, open_environment

from gskit import *  # noqa: F403


@dataclass
class Client:
    """What a worker needs to carry one client forward (C: the descriptorHandle storage)."""

    number: int
    sock: socket.socket
    session: object
    buffer: bytearray = field(default_factory=lambda: bytearray(4096))
    echoed: int = 0


class Server:
    def __init__(self, port: int, expected: int) -> None:
        self.port = port
        self.expected = expected
        self.finished = 0
        self.lock = threading.Lock()
        self.all_done = threading.Event()

    # -- one client's life -------------------------------------------------------------------
    def advance(self, client: Client, completed: int, rc: int, size: int) -> None:
        """Carry ``client`` on from a finished operation until one is left pending."""
        while True:
            if completed == GSKSECURESOCSTARTRECV and (rc == GSK_ERROR_SOCKET_CLOSED or (rc == GSK_OK and size == 0)):
                return self.finish(client, "closed by the client")
            if rc != GSK_OK:
                return self.finish(client, f"operation {completed} failed: rc = {rc}, {gsk_strerror(rc)}")
            if completed == GSKSECURESOCSTARTINIT:
                _, protocol = gsk_attribute_get_buffer(client.session, GSK_CONNECT_SEC_TYPE)
                _, suite = gsk_attribute_get_buffer(client.session, GSK_CONNECT_CIPHER_SPEC_EX)
                say(f"client {client.number}: secure session {protocol} {suite}")
            if completed in (GSKSECURESOCSTARTINIT, GSKSECURESOCSTARTSEND):
                io = Qso_OverlappedIO_t(descriptorHandle=client, buffer=client.buffer,
                                        bufferLength=len(client.buffer), postFlag=0)
                rc = gsk_secure_soc_startRecv(client.session, self.port, io)
                if rc == GSK_OS400_ASYNCHRONOUS_RECV:
                    return                              # a worker gets it when it completes
                completed, size = GSKSECURESOCSTARTRECV, io.secureDataTransferSize
            else:                                       # received `size` bytes: echo them
                client.echoed += size
                io = Qso_OverlappedIO_t(descriptorHandle=client, buffer=client.buffer, bufferLength=size, postFlag=0)
                rc = gsk_secure_soc_startSend(client.session, self.port, io)
                if rc == GSK_OS400_ASYNCHRONOUS_SEND:
                    return
                completed = GSKSECURESOCSTARTSEND

    def finish(self, client: Client, why: str) -> None:
        gsk_secure_soc_close(client.session)
        client.sock.close()
        say(f"client {client.number}: {why}; echoed {client.echoed} bytes")
        with self.lock:
            self.finished += 1
            if self.finished == self.expected:
                self.all_done.set()

    # -- the pool ----------------------------------------------------------------------------
    def worker(self) -> None:
        """Take completions until the port is destroyed or a shutdown post arrives."""
        while True:
            io = Qso_OverlappedIO_t()
            if QsoWaitForIOCompletion(self.port, io, None) != 1:
                return                                  # the port was destroyed
            if io.operationCompleted == QSOPOSTIOCOMPLETION:
                return                                  # the main thread says: stop
            self.advance(io.descriptorHandle, io.operationCompleted, io.returnValue, io.secureDataTransferSize)


def serve(args: argparse.Namespace, my_env_handle: object, port: int) -> int:
    """Accept clients and start their handshakes; returns the number accepted."""
    server = Server(port, args.clients)
    workers = [threading.Thread(target=server.worker, name=f"worker-{n}") for n in range(args.workers)]
    for thread in workers:
        thread.start()
    lsd, accepted = None, 0
    try:
        while args.clients == 0 or accepted < args.clients:
            if lsd is None:
                lsd, sd = listen_and_accept(args)
            else:
                sd, _ = lsd.accept()
            if sd is None:
                break
            accepted += 1
            rc, session = gsk_secure_soc_open(my_env_handle)
            if rc == GSK_OK:
                rc = gsk_attribute_set_numeric_value(session, GSK_FD, sd.fileno())
            client = Client(accepted, sd, session)
            io = Qso_OverlappedIO_t(descriptorHandle=client)
            if rc == GSK_OK:
                rc = gsk_secure_soc_startInit(session, port, io)
            if rc != GSK_OS400_ASYNCHRONOUS_SOC_INIT:
                server.finish(client, f"could not start the handshake: rc = {rc}, {gsk_strerror(rc)}")
        if accepted and not server.all_done.wait(args.timeout):
            fail(f"not every client finished within {args.timeout:g} s")
    except KeyboardInterrupt:
        pass
    finally:
        for _ in workers:
            QsoPostIOCompletion(port, Qso_OverlappedIO_t())
        for thread in workers:
            thread.join(args.timeout)
        if lsd is not None:
            lsd.close()
    return accepted


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], GSK_PORT, "server")
    p.add_argument("--workers", type=int, default=4, help="worker threads on the completion port (default 4)")
    p.add_argument("--clients", type=int, default=0, help="stop after this many clients (default 0: never)")
    args = p.parse_args(argv)
    rc, my_env_handle = open_environment(args, GSK_SERVER_SESSION)
    if rc != GSK_OK:
        if my_env_handle is not None:
            gsk_environment_close(my_env_handle)
        return 1
    port = QsoCreateIOCompletionPort()
    try:
        accepted = serve(args, my_env_handle, port)
    finally:
        QsoDestroyIOCompletionPort(port)
        gsk_environment_close(my_env_handle)
    say(f"Served {accepted} clients with {args.workers} workers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
