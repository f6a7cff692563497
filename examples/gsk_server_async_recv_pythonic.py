"""The GSKit server with asynchronous data receive, in the Pythonic API.

Seed: "Example: GSKit secure server with asynchronous data receive".  The main thread does
the handshake and hands the session to a worker, which receives the client's message and
echoes it back; the main thread waits for the worker's result, as C's pthread_join does.
(The completion port itself is a compat-layer concept: see gsk_server_async_recv.py.)
"""
from __future__ import annotations

import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from common import GSK_PORT, SEED_SETTINGS, certificate_settings, listening, parser

import gskit


def handshake(session: gskit.Session) -> None:
    session.handshake()
    print(f"Handshake done: {session.protocol} {session.cipher}")


def echo_once(session: gskit.Session) -> int:
    """The worker: receive one message and send it back; returns its length."""
    data = session.recv(1024)
    print(f"Received {len(data)} bytes:")
    print(data.decode(errors="replace"))
    session.sendall(data)
    print(f"Echoed {len(data)} bytes.")
    return len(data)


def serve_one(description: str, argv: list[str] | None, in_main: Callable[[gskit.Session], None] | None,
              in_worker: Callable[[gskit.Session], int]) -> int:
    """Accept one client; run ``in_main`` on its session, then ``in_worker`` in a worker thread."""
    args = parser(description, GSK_PORT, "server").parse_args(argv)
    try:
        with gskit.Environment(session_type="server", **SEED_SETTINGS, **certificate_settings(args)) as env, \
                socket.create_server((args.host, args.port)) as lsd, ThreadPoolExecutor(1) as worker:
            listening(lsd.getsockname())
            conn, _ = lsd.accept()
            with conn, env.open_session(fd=conn) as session:
                if in_main is not None:
                    in_main(session)
                worker.submit(in_worker, session).result(timeout=args.timeout)
    except (gskit.GSKError, OSError, TimeoutError) as exc:
        print(f"{Path(sys.argv[0]).name}: {exc}", file=sys.stderr)
        return 1
    print("Success.")
    return 0


def main(argv: list[str] | None = None) -> int:
    return serve_one(__doc__.splitlines()[0], argv, handshake, echo_once)


if __name__ == "__main__":
    sys.exit(main())
