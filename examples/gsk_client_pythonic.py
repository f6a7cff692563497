"""The GSKit client in the Pythonic API (same exchange as gsk_client.py).

Seed: "Example: Establishing a secure client with Global Security Kit APIs".  The
environment and the session are context managers; a failure raises GSKError (rc, name,
message ID), printed here as one line.
"""
from __future__ import annotations

import socket
import sys

from common import GSK_PORT, SEED_SETTINGS, certificate_settings, parser

import gskit

MESSAGE = "Test of gsk_secure_soc_write \n\n"


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], GSK_PORT, "client")
    p.add_argument("--message", default=MESSAGE, help="what to send (default: the C program's text)")
    args = p.parse_args(argv)
    try:
        with gskit.Environment(session_type="client", **SEED_SETTINGS, **certificate_settings(args)) as env, \
                socket.create_connection((args.host, args.port)) as sd, \
                env.open_session(fd=sd, server_name=args.host) as session:
            session.handshake()
            message = args.message.encode()
            session.sendall(message)
            print(f"Sent {len(message)} bytes:")
            print(args.message)
            reply = session.recv(1024)
            print(f"Received {len(reply)} bytes ({session.protocol}, {session.cipher}):")
            print(reply.decode(errors="replace"))
    except (gskit.GSKError, OSError) as exc:
        print(f"gsk_client_pythonic: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
