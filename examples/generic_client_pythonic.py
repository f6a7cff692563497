"""The generic client in idiomatic Python (same exchange as generic_client.py).

Seed: "Example: Generic client".  Sends one message with its terminating NUL, as the C
program does, and checks that the same number of bytes comes back.
"""
from __future__ import annotations

import socket
import sys

from common import ECHO_PORT, parser


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], ECHO_PORT)
    p.add_argument("--message", help="the message to send (default: read a line from stdin)")
    args = p.parse_args(argv)
    text = args.message if args.message is not None else input("Enter message to be sent:\n")
    message = text.encode() + b"\0"
    try:
        with socket.create_connection((args.host, args.port)) as sock:
            sock.sendall(message)
            print(f"{len(message)} bytes sent")
            reply = sock.recv(80)
    except OSError as exc:
        print(f"generic_client_pythonic: {exc}", file=sys.stderr)
        return 1
    if len(reply) != len(message):
        print(f"generic_client_pythonic: {len(reply)} bytes received, expected {len(message)}", file=sys.stderr)
        return 1
    print(f"{len(reply)} bytes received")
    print(reply.rstrip(b"\0").decode(errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
