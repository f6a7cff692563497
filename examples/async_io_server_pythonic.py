"""The asynchronous I/O echo server in idiomatic Python (same exchange as async_io_server.py).

Seed: "Example: Using asynchronous I/O".  Without TLS there is nothing of GSKit's here: the
Pythonic form of "the master thread accepts, a worker thread echoes" is a socket and a
``ThreadPoolExecutor``.  The Qso completion port itself is in async_io_server.py; the
GSKit servers on a completion port are gsk_server_async_*.py and gsk_server_pool.py.
"""
from __future__ import annotations

import socket
import sys
from concurrent.futures import ThreadPoolExecutor

from common import ECHO_PORT, listening, parser

BufferLength = 80


def echo_once(client: socket.socket) -> int:
    """The worker: receive up to 80 bytes and send them back."""
    data = client.recv(BufferLength)
    client.sendall(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], ECHO_PORT).parse_args(argv)
    try:
        with socket.create_server((args.host, args.port)) as listen_sd, ThreadPoolExecutor(1) as worker:
            listening(listen_sd.getsockname())
            print("Waiting for client connection.")
            client, _ = listen_sd.accept()
            with client:
                worker.submit(echo_once, client).result(timeout=args.timeout)
    except (OSError, TimeoutError) as exc:
        print(f"async_io_server_pythonic: {exc}", file=sys.stderr)
        return 1
    print("Success.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
