"""GSK asynchronous server program using gsk_secure_soc_startInit(): a line-by-line port.

Seed: IBM i 7.3 Socket programming, "Example: GSKit secure server with asynchronous
handshake" (GSKSERVSI).  Same flow, checks and messages; what differs:

* the application ID defaults to the development store's GSKIT_DEMO_SERVER (--application-id
  / --keyring-file change it); it listens on 127.0.0.1 port 13333 (--host, --port);
* the worker's sleep(4) before it waits is --worker-delay (default 4 s, as in C);
* C's out-parameters are returned; ``errno`` is ``get_errno()``.

Run it, then ``python examples/gsk_client.py`` in another terminal.
"""
from __future__ import annotations

import sys
import threading
import time

from common import GSK_PORT, fail, parser, say
from gsk_setup import (Failure, Success, clean_up, listen_and_accept, open_environment, open_secure_session,
                       report, worker_succeeded, write_all)

from gskit import *  # noqa: F403 - the C header gskssl.h + qsoasync.h


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], GSK_PORT, "server")
    p.add_argument("--worker-delay", type=float, default=4.0, help="seconds the worker sleeps first (default 4)")
    args = p.parse_args(argv)
    my_env_handle = None       # secure environment handle
    my_session_handle = None   # secure session handle
    sd = lsd = None
    ioCompPort = -1
    successFlag = False
    status: list[int] = []

    # Issue all of the command in a do/while loop so that clean up can happen at end
    while True:
        # Create an I/O completion port for this process.
        if (ioCompPort := QsoCreateIOCompletionPort()) < 0:
            fail(f"QsoCreateIOCompletionPort() failed: errno {get_errno()}")
            break

        # Create a worker thread to process all client requests. The worker thread will
        # wait for client requests to arrive on the I/O completion port just created.
        worker = lambda: status.append(workerThread(ioCompPort, args.timeout, args.worker_delay))  # noqa: E731
        thr = threading.Thread(target=worker, name="workerThread")
        thr.start()

        # open the environment, set the application ID, the session type, the protocols
        # and the cipher suite, and initialize it (the C program's first block: gsk_setup.py)
        rc, my_env_handle = open_environment(args, GSK_SERVER_SESSION, verbose=True)
        if rc != GSK_OK:
            break

        # socket(), setsockopt(), bind(), listen() and accept() one client
        lsd, sd = listen_and_accept(args, verbose=True)
        if sd is None:
            break

        # gsk_secure_soc_open() and associate our socket with the secure session
        rc, my_session_handle = open_secure_session(my_env_handle, sd, verbose=True)
        if rc != GSK_OK:
            break

        # Issue gsk_secure_soc_startInit() to process the secure Handshake flow asynchronously
        # initialize Qso_OverlappedIO_t structure - reserved fields must be hex 00's.
        ioStruct = Qso_OverlappedIO_t()
        # Store the session handle in the Qso_OverlappedIO_t descriptorHandle field.
        # This area is used to house information defining the state of the client
        # connection.
        ioStruct.descriptorHandle = my_session_handle

        # initiate the secure handshake
        set_errno(0)
        say("gsk_secure_soc_startInit()")
        rc = gsk_secure_soc_startInit(my_session_handle, ioCompPort, ioStruct)
        if rc != GSK_OS400_ASYNCHRONOUS_SOC_INIT:
            report("gsk_secure_soc_startInit()", rc, failed="")
            break
        say("gsk_secure_soc_startInit got GSK_OS400_ASYNCHRONOUS_SOC_INIT")

        # This is where the server can loop back to accept a new connection.

        successFlag = worker_succeeded(thr, status)
        break

    clean_up(my_session_handle, my_env_handle, lsd, sd, ioCompPort)
    return 0 if successFlag else 1


def workerThread(ioCompPort: int, wait_seconds: float, delay: float) -> int:
    """Process client connection (the main routine handles all of the clean up)."""
    ioStruct = Qso_OverlappedIO_t()

    # Wait on the supplied I/O completion port for the secure handshake to complete.
    waitTime = timeval(tv_sec=int(wait_seconds), tv_usec=0)
    time.sleep(delay)
    say("QsoWaitForIOCompletion()")
    rc = QsoWaitForIOCompletion(ioCompPort, ioStruct, waitTime)
    if rc == 1 and ioStruct.returnValue == GSK_OK and ioStruct.operationCompleted == GSKSECURESOCSTARTINIT:
        pass  # Secure Handshake has completed.
    else:
        say("QsoWaitForIOCompletion()/gsk_secure_soc_startInit() failed.")
        say(f"rc == {rc}, returnValue - {ioStruct.returnValue}, "
            f"operationCompleted = {ioStruct.operationCompleted}")
        fail(f"QsoWaitForIOCompletion()/gsk_secure_soc_startInit() failed: {gsk_strerror(ioStruct.returnValue)}")
        return Failure

    # Obtain the session handle associated with the client connection.
    client_session_handle = ioStruct.descriptorHandle

    # get the socket associated with the secure session
    set_errno(0)
    say("gsk_attribute_get_numeric_value()")
    rc, clientfd = gsk_attribute_get_numeric_value(client_session_handle, GSK_FD)
    if rc != GSK_OK:
        report("gsk_attribute_get_numeric_value()", rc, failed="")
        return Failure

    # receive a message from the client using the secure session
    buff = bytearray(1024)
    say("gsk_secure_soc_read()")
    rc, amtRead = gsk_secure_soc_read(client_session_handle, buff, len(buff))
    if rc != GSK_OK:
        report("gsk_secure_soc_read()", rc, failed="")
        return Failure

    # write results to screen
    say(f"gsk_secure_soc_read() received {amtRead} bytes, here they are ...")
    say(buff[:amtRead].decode(errors="replace"))

    # send the message to the client using the secure session
    say("gsk_secure_soc_write()")
    if not write_all(client_session_handle, buff, amtRead):
        return Failure
    return Success


if __name__ == "__main__":
    sys.exit(main())
