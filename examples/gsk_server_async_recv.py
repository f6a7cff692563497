"""GSK asynchronous server program: a line-by-line port through the compat layer.

Seed: IBM i 7.3 Socket programming, "Example: GSKit secure server with asynchronous data
receive" (GSKSERVa).  Same flow, checks and messages; what differs:

* the application ID defaults to the development store's GSKIT_DEMO_SERVER (which has an
  ECDSA certificate, as the C program assumes); --application-id / --keyring-file change it;
* it listens on 127.0.0.1 port 13333 (--host, --port; 0 picks a free port) and says where;
* C's out-parameters are returned: ``rc, my_env_handle = gsk_environment_open()``;
  ``errno`` is ``get_errno()``; ``perror`` prints the OSError text.

Run it, then ``python examples/gsk_client.py`` in another terminal.
"""
from __future__ import annotations

import sys
import threading

from common import GSK_PORT, fail, parser
from gsk_setup import (Failure, Success, clean_up, listen_and_accept, open_environment, open_secure_session,
                       report, worker_succeeded, write_all)

from gskit import *  # noqa: F403 - the C header gskssl.h + qsoasync.h


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], GSK_PORT, "server").parse_args(argv)
    my_env_handle = None       # secure environment handle
    my_session_handle = None   # secure session handle
    sd = lsd = None
    ioCompPort = -1
    successFlag = False
    status: list[int] = []     # the worker's exit status (pthread_join's status)

    # Issue all of the command in a do/while loop so that clean up can happen at end
    while True:
        # Create an I/O completion port for this process.
        if (ioCompPort := QsoCreateIOCompletionPort()) < 0:
            fail(f"QsoCreateIOCompletionPort() failed: errno {get_errno()}")
            break

        # Create a worker thread to process all client requests. The worker thread will
        # wait for client requests to arrive on the I/O completion port just created.
        worker = lambda: status.append(workerThread(ioCompPort, args.timeout))  # noqa: E731
        thr = threading.Thread(target=worker, name="workerThread")
        thr.start()

        # open the environment, set the application ID, the session type, the protocols
        # and the cipher suite, and initialize it (the C program's first block: gsk_setup.py)
        rc, my_env_handle = open_environment(args, GSK_SERVER_SESSION)
        if rc != GSK_OK:
            break

        # socket(), setsockopt(), bind(), listen() and accept() one client
        lsd, sd = listen_and_accept(args)
        if sd is None:
            break

        # gsk_secure_soc_open() and associate our socket with the secure session
        rc, my_session_handle = open_secure_session(my_env_handle, sd)
        if rc != GSK_OK:
            break

        # initiate the secure handshake
        set_errno(0)
        rc = gsk_secure_soc_init(my_session_handle)
        if rc != GSK_OK:
            report("gsk_secure_soc_init()", rc)
            break

        # Issue gsk_secure_soc_startRecv() to receive client request.
        # Note: postFlag == on denoting request should posted to the I/O completion port,
        # even if request is immediately available. Worker thread will process client request.
        buff = bytearray(1024)
        # initialize Qso_OverlappedIO_t structure - reserved fields must be hex 00's.
        ioStruct = Qso_OverlappedIO_t()
        ioStruct.buffer = buff
        ioStruct.bufferLength = len(buff)
        # Store the session handle in the Qso_OverlappedIO_t descriptorHandle field.
        # This area is used to house information defining the state of the client
        # connection.
        ioStruct.descriptorHandle = my_session_handle
        ioStruct.postFlag = 1
        ioStruct.fillBuffer = 0

        rc = gsk_secure_soc_startRecv(my_session_handle, ioCompPort, ioStruct)
        if rc != GSK_AS400_ASYNCHRONOUS_RECV:
            report("gsk_secure_soc_startRecv()", rc, failed="")
            break

        # This is where the server can loop back to accept a new connection.

        successFlag = worker_succeeded(thr, status)
        break

    clean_up(my_session_handle, my_env_handle, lsd, sd, ioCompPort)
    return 0 if successFlag else 1


def workerThread(ioCompPort: int, wait_seconds: float) -> int:
    """Process client connection (the main routine handles all of the clean up)."""
    ioStruct = Qso_OverlappedIO_t()

    # Wait on the supplied I/O completion port for a client request.
    waitTime = timeval(tv_sec=int(wait_seconds), tv_usec=0)
    rc = QsoWaitForIOCompletion(ioCompPort, ioStruct, waitTime)
    if rc == 1 and ioStruct.returnValue == GSK_OK and ioStruct.operationCompleted == GSKSECURESOCSTARTRECV:
        pass  # Client request has been received.
    else:
        fail("QsoWaitForIOCompletion()/gsk_secure_soc_startRecv() failed")
        print(f"ioStruct.returnValue = {ioStruct.returnValue}.")
        return Failure

    # write results to screen
    received = bytes(ioStruct.buffer[:ioStruct.secureDataTransferSize])
    print(f"gsk_secure_soc_startRecv() received {ioStruct.secureDataTransferSize} bytes, here they are:")
    print(received.decode(errors="replace"))

    # Obtain the session handle associated with the client connection.
    client_session_handle = ioStruct.descriptorHandle

    # get the socket associated with the secure session
    set_errno(0)
    rc, clientfd = gsk_attribute_get_numeric_value(client_session_handle, GSK_FD)
    if rc != GSK_OK:
        report("gsk_attribute_get_numeric_value()", rc, failed="")
        return Failure

    # send the message to the client using the secure session
    if not write_all(client_session_handle, ioStruct.buffer, ioStruct.secureDataTransferSize):
        return Failure
    return Success


if __name__ == "__main__":
    sys.exit(main())
