"""GSK client program: a line-by-line port through the compat layer.

Seed: IBM i 7.3 Socket programming, "Example: Establishing a secure client with Global
Security Kit APIs" (GSKCLIENT).  Same flow, checks and messages; what differs:

* the application ID defaults to the development store's GSKIT_DEMO_CLIENT, which trusts
  the development CA (--application-id / --keyring-file change it);
* it connects to 127.0.0.1 port 13333 rather than the hard-coded FE80::1 (--host, --port);
* --message replaces the hard-coded "Test of gsk_secure_soc_write \\n\\n";
* it exits 1 when a call fails (the C program returns nothing).

Use it with gsk_server_async_recv.py or gsk_server_async_init.py.
"""
from __future__ import annotations

import socket
import sys

from common import GSK_PORT, fail, parser
from gsk_setup import clean_up, open_environment, open_secure_session, report, write_all

from gskit import *  # noqa: F403 - the C header gskssl.h

MESSAGE = "Test of gsk_secure_soc_write \n\n"


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], GSK_PORT, "client")
    p.add_argument("--message", default=MESSAGE, help="what to send (default: the C program's text)")
    args = p.parse_args(argv)
    my_env_handle = None       # secure environment handle
    my_session_handle = None   # secure session handle
    sd = None
    ok = False

    # Issue all of the command in a do/while loop so that cleanup can happen at end
    while True:
        # open the environment, set the application ID, the session type, the protocols
        # and the cipher suite, and initialize it (the C program's first block: gsk_setup.py)
        rc, my_env_handle = open_environment(args, GSK_CLIENT_SESSION)
        if rc != GSK_OK:
            break

        try:
            # initialize a socket and connect to the server using a set port number
            sd = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
            sd.connect((args.host, args.port))
        except OSError as exc:
            fail(f"connect() failed: {exc.strerror}")
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

        # send a message to the server using the secure session
        buff1 = args.message.encode()
        buf_len = len(buff1)
        if not write_all(my_session_handle, buff1, buf_len):
            break

        # receive a message from the client using the secure session
        buff2 = bytearray(1024)
        rc, amtRead = gsk_secure_soc_read(my_session_handle, buff2, len(buff2))
        if rc != GSK_OK:
            report("gsk_secure_soc_read()", rc, failed="")
            break

        # write results to screen
        print(f"gsk_secure_soc_read() received {amtRead} bytes, here they are ...")
        print(buff2[:amtRead].decode(errors="replace"))
        ok = True
        break

    # disable secure support for the socket, the secure environment, close the connection
    clean_up(my_session_handle, my_env_handle, None, sd)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
