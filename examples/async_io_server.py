"""Asynchronous I/O echo server (QsoStartRecv/QsoStartSend with a worker): a line-by-line port.

Seed: IBM i 7.3 Socket programming, "Example: Using asynchronous I/O".  Same flow, checks
and messages; what differs:

* it listens on 127.0.0.1 port 12345 (SERVPOR; --host, --port, 0 picks a free port) and
  says where; C listens on in6addr_any;
* ``perror`` prints the errno text; ``exit(-1)`` is exit status 1.

Use it with generic_client.py.
"""
from __future__ import annotations

import os
import socket
import sys
import threading

from common import ECHO_PORT, fail, listening, parser

from gskit import *  # noqa: F403 - the C header qsoasync.h

BufferLength = 80
Failure, Success = 0, 1


def perror(call: str) -> None:
    fail(f"{call}: {os.strerror(get_errno())}")


def main(argv: list[str] | None = None) -> int:
    """Master thread will establish a client connection and hand processing responsibility
    to a worker thread."""
    args = parser(__doc__.splitlines()[0], ECHO_PORT).parse_args(argv)
    status: list[int] = []

    # Create an I/O completion port for this process.
    if (ioCompPort := QsoCreateIOCompletionPort()) < 0:
        perror("QsoCreateIOCompletionPort() failed")
        return 1

    # Create a worker thread to process all client requests. The worker thread will wait
    # for client requests to arrive on the I/O completion port just created.
    thr = threading.Thread(target=lambda: status.append(workerThread(ioCompPort, args.timeout)), name="workerThread")
    thr.start()

    try:
        # Create a stream socket to receive incoming connections on,
        # allow socket descriptor to be reuseable, bind the socket, set listen backlog
        listen_sd = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        listen_sd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listen_sd.bind((args.host, args.port))
        listen_sd.listen(10)
    except OSError as exc:
        fail(f"socket()/setsockopt()/bind()/listen() failed: {exc.strerror}")
        QsoDestroyIOCompletionPort(ioCompPort)
        return 1

    listening(listen_sd.getsockname())
    print("Waiting for client connection.")

    # accept an incoming client connection.
    try:
        client_sd, _ = listen_sd.accept()
    except OSError as exc:
        fail(f"accept() failed: {exc.strerror}")
        QsoDestroyIOCompletionPort(ioCompPort)
        listen_sd.close()
        return 1

    # Issue QsoStartRecv() to receive client request.
    # Note: postFlag == on denoting request should posted to the I/O completion port, even
    #       if request is immediately available. Worker thread will process client request.

    # initialize Qso_OverlappedIO_t structure - reserved fields must be hex 00's.
    ioStruct = Qso_OverlappedIO_t()
    buffer = bytearray(BufferLength)
    ioStruct.buffer = buffer
    ioStruct.bufferLength = len(buffer)

    # Store the client descriptor in the Qso_OverlappedIO_t descriptorHandle field.
    # This area is used to house information defining the state of the client
    # connection. Field descriptorHandle is defined as a (void *) to allow the server
    # to address more extensive client connection state if needed.
    ioStruct.descriptorHandle = client_sd.fileno()
    ioStruct.postFlag = 1
    ioStruct.fillBuffer = 0

    rc = QsoStartRecv(client_sd.fileno(), ioCompPort, ioStruct)
    if rc == -1:
        perror("QsoStartRecv() failed")
        QsoDestroyIOCompletionPort(ioCompPort)
        listen_sd.close()
        client_sd.close()
        return 1

    # close the server's listening socket.
    listen_sd.close()

    # Wait for worker thread to finish processing client connection.
    thr.join()
    client_sd.close()          # the worker "closed" the descriptor; Python owns the object

    QsoDestroyIOCompletionPort(ioCompPort)
    if status == [Success]:
        print("Success.")
        return 0
    fail("pthread_join() reported failure")
    return 1


def wait_failed(call: str, rc: int, ioStruct: Qso_OverlappedIO_t) -> int:
    """The worker's report when a wait or the operation it waited for failed."""
    print(f"QsoWaitForIOCompletion() or {call} failed.")
    if rc != 1:
        perror("QsoWaitForIOCompletion() failed")
    if ioStruct.returnValue == -1:
        print(f"{call} failed - {os.strerror(ioStruct.errnoValue)}")
    return Failure


def workerThread(ioCompPort: int, wait_seconds: float) -> int:
    """Process client connection."""
    ioStruct = Qso_OverlappedIO_t()

    # Wait on the supplied I/O completion port for a client request.
    waitTime = timeval(tv_sec=int(wait_seconds), tv_usec=0)
    rc = QsoWaitForIOCompletion(ioCompPort, ioStruct, waitTime)
    if rc == 1 and ioStruct.returnValue != -1:
        pass  # Client request has been received.
    else:
        return wait_failed("QsoStartRecv()", rc, ioStruct)

    # Obtain the socket descriptor associated with the client connection.
    clientfd = ioStruct.descriptorHandle

    # Echo the data back to the client.
    # Note: postFlag == 0. If write completes immediate then indication will be
    #       returned, otherwise once the write is performed the I/O Completion port
    #       will be posted.
    ioStruct.postFlag = 0
    ioStruct.bufferLength = ioStruct.returnValue
    rc = QsoStartSend(clientfd, ioCompPort, ioStruct)

    if rc == 0:
        pass  # Operation complete - data has been sent.
    else:
        # Two possibilities
        #   rc == -1  Error on function call
        #   rc == 1   Write cannot be immediately performed. Once complete, the I/O
        #             completion port will be posted.
        if rc == -1:
            print("QsoStartSend() failed.")
            perror("QsoStartSend() failed")
            return Failure

        # Wait for operation to complete.
        rc = QsoWaitForIOCompletion(ioCompPort, ioStruct, waitTime)
        if rc == 1 and ioStruct.returnValue != -1:
            pass  # Send successful.
        else:
            return wait_failed("QsoStartSend()", rc, ioStruct)
    return Success


if __name__ == "__main__":
    sys.exit(main())
