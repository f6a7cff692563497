"""The blocks the three GSKit examples share, ported line by line from their C source.

Each seed program starts the same way: open an environment, set the application ID and the
session type, turn off SSLv3, TLS 1.0 and TLS 1.1, keep one TLS 1.2 suite, and initialize.
The servers then create, bind and listen on a socket and accept one client; all three open
a secure session on their socket, and end with the same clean-up.
"""
from __future__ import annotations

import argparse
import socket
import threading

from common import certificate_attributes, fail, listening, say

from gskit import *  # noqa: F403 - the C header gskssl.h

Failure, Success = 0, 1   # a worker thread's exit status


def report(call: str, rc: int, failed: str = "failed with ") -> None:
    """The two lines every failed GSKit call prints in the C programs."""
    say(f"{call} {failed}rc = {rc} and errno = {get_errno()}.")
    say(f"rc of {rc} means {gsk_strerror(rc)}")


def write_all(session: object, buff: bytes | bytearray, length: int) -> bool:
    """gsk_secure_soc_write of ``length`` bytes, with the C programs' checks and messages."""
    rc, amtWritten = gsk_secure_soc_write(session, buff, length)
    if amtWritten != length:
        if rc != GSK_OK:
            report("gsk_secure_soc_write()", rc, failed="")
        else:
            say("gsk_secure_soc_write() did not write all data.")
        return False
    # write results to screen
    say(f"gsk_secure_soc_write() wrote {amtWritten} bytes...")
    say(bytes(buff[:length]).decode(errors="replace"))
    return True


def open_environment(args: argparse.Namespace, session_type: int, verbose: bool = False) -> tuple[int, object]:
    """gsk_environment_open ... gsk_environment_init, as in the C programs.

    Returns ``(rc, my_env_handle)``; on failure the two lines are printed and the handle
    (if one was opened) is returned so that the caller closes it.  ``verbose`` prints the name
    of each main call first, as the asynchronous-handshake example does.
    """
    # open a gsk environment
    set_errno(0)
    _say(verbose, "gsk_environment_open()")
    rc, my_env_handle = gsk_environment_open()
    if rc != GSK_OK:
        report("gsk_environment_open()", rc)
        return rc, None

    # set the Application ID to use (or the keystore file given with --keyring-file)
    for buf_id, value in certificate_attributes(args):
        set_errno(0)
        rc = gsk_attribute_set_buffer(my_env_handle, buf_id, value, len(value))
        if rc != GSK_OK:
            report("gsk_attribute_set_buffer()", rc)
            return rc, my_env_handle

    # set this side as the server or the client
    set_errno(0)
    rc = gsk_attribute_set_enum(my_env_handle, GSK_SESSION_TYPE, session_type)
    if rc != GSK_OK:
        report("gsk_attribute_set_enum()", rc)
        return rc, my_env_handle

    # by default TLSV10, TLSV11, and TLSV12 are enabled
    # We will disable SSL_V3, TLS_V10 and TLS_V11 for this example.
    for enum_id, enum_value in ((GSK_PROTOCOL_SSLV3, GSK_PROTOCOL_SSLV3_OFF),
                                (GSK_PROTOCOL_TLSV10, GSK_FALSE),
                                (GSK_PROTOCOL_TLSV11, GSK_FALSE)):
        set_errno(0)
        rc = gsk_attribute_set_enum(my_env_handle, enum_id, enum_value)
        if rc != GSK_OK:
            report("gsk_attribute_set_enum()", rc)
            return rc, my_env_handle

    # set the cipher suite to use. By default our default list
    # of ciphers is enabled. For this example we will just use one
    set_errno(0)
    rc = gsk_attribute_set_buffer(my_env_handle, GSK_TLSV12_CIPHER_SPECS_EX,
                                  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 39)
    if rc != GSK_OK:
        report("gsk_attribute_set_buffer()", rc)
        return rc, my_env_handle

    # Initialize the secure environment
    set_errno(0)
    _say(verbose, "gsk_environment_init()")
    rc = gsk_environment_init(my_env_handle)
    if rc != GSK_OK:
        report("gsk_environment_init()", rc)
    return rc, my_env_handle


def listen_and_accept(args: argparse.Namespace,
                      verbose: bool = False) -> tuple[socket.socket | None, socket.socket | None]:
    """socket(), setsockopt(SO_REUSEADDR), bind(), listen(5), accept(): ``(lsd, sd)``.

    On failure the error is printed (perror) and ``sd`` is None.
    """
    lsd = None
    try:
        # initialize a socket to be used for listening
        _say(verbose, "socket()")
        lsd = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        # set socket so can be reused immediately
        lsd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # bind to the local server address
        _say(verbose, "bind()")
        lsd.bind((args.host, args.port))
        # enable the socket for incoming client connections
        _say(verbose, "listen()")
        lsd.listen(5)
        listening(lsd.getsockname())
        # accept an incoming client connection
        _say(verbose, "accept()")
        sd, _address = lsd.accept()
        return lsd, sd
    except OSError as exc:
        fail(f"socket()/bind()/listen()/accept() failed: {exc.strerror}")
        return lsd, None


def _say(verbose: bool, call: str) -> None:
    if verbose:
        say(call)


def open_secure_session(my_env_handle: object, sd: socket.socket, verbose: bool = False) -> tuple[int, object]:
    """gsk_secure_soc_open and GSK_FD: ``(rc, my_session_handle)``."""
    # open a secure session
    set_errno(0)
    _say(verbose, "gsk_secure_soc_open()")
    rc, my_session_handle = gsk_secure_soc_open(my_env_handle)
    if rc != GSK_OK:
        report("gsk_secure_soc_open()", rc)
        return rc, None

    # associate our socket with the secure session
    set_errno(0)
    rc = gsk_attribute_set_numeric_value(my_session_handle, GSK_FD, sd.fileno())
    if rc != GSK_OK:
        report("gsk_attribute_set_numeric_value()", rc)
    return rc, my_session_handle


def worker_succeeded(thr: threading.Thread, status: list[int]) -> bool:
    """pthread_join and the check of the worker's status."""
    # Wait for worker thread to finish processing client connection.
    thr.join()
    # check status of the worker
    if status == [Success]:
        say("Success.")
        return True
    fail("pthread_join() reported failure")
    return False


def clean_up(my_session_handle: object, my_env_handle: object, lsd: socket.socket | None,
             sd: socket.socket | None, ioCompPort: int = -1) -> None:
    """The end of every program, after the do/while(FALSE) loop."""
    # disable the secure session
    if my_session_handle is not None:
        gsk_secure_soc_close(my_session_handle)
    # disable the secure environment
    if my_env_handle is not None:
        gsk_environment_close(my_env_handle)
    # close the listening socket
    if lsd is not None:
        lsd.close()
    # close the accepted (or connected) socket
    if sd is not None:
        sd.close()
    # destroy the completion port (wakes the worker if it is still waiting)
    if ioCompPort > -1:
        QsoDestroyIOCompletionPort(ioCompPort)
