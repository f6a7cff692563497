"""Generic client: a line-by-line port (socket, connect, send, recv, close).

Seed: IBM i 7.3 Socket programming, "Example: Generic client".  Same flow, checks and
messages; what differs: it connects to 127.0.0.1 port 12345 (--host, --port) rather than
in6addr_any; --message replaces the gets() prompt when given; it also prints the echoed
text.  Like the C program it sends the message with its terminating NUL and expects the
same length back.

Use it with async_io_server.py.
"""
from __future__ import annotations

import socket
import sys

from common import ECHO_PORT, fail, parser


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], ECHO_PORT)
    p.add_argument("--message", help="the message to send (default: read a line from stdin)")
    args = p.parse_args(argv)

    # Create a stream socket and connect to the server
    sockfd = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sockfd.connect((args.host, args.port))
    except OSError as exc:
        fail(f"connect: {exc.strerror}")
        sockfd.close()
        return 1
    print("Connect completed.")

    # Enter data buffer that is to be sent
    print("Enter message to be sent:")
    send_buf = (args.message if args.message is not None else sys.stdin.readline().rstrip("\n")).encode() + b"\0"

    # Send data buffer to the worker job
    length = sockfd.send(send_buf)
    if length != len(send_buf):
        fail("send: short write")
        sockfd.close()
        return 1
    print(f"{length} bytes sent")

    # Receive data buffer from the worker job
    recv_buf = sockfd.recv(80)
    if len(recv_buf) != len(send_buf):
        fail(f"recv: {len(recv_buf)} bytes, expected {len(send_buf)}")
        sockfd.close()
        return 1
    print(f"{len(recv_buf)} bytes received")
    print(recv_buf.rstrip(b"\0").decode(errors="replace"))

    # Close down the socket
    sockfd.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
