"""The GSKit server with asynchronous handshake, in the Pythonic API.

Seed: "Example: GSKit secure server with asynchronous handshake".  The main thread accepts
the client and hands the new session to a worker, which does the handshake, receives the
client's message and echoes it back.  (The completion port itself is a compat-layer
concept: see gsk_server_async_init.py.)
"""
from __future__ import annotations

import socket
import sys
from concurrent.futures import ThreadPoolExecutor

from common import GSK_PORT, SEED_SETTINGS, certificate_settings, listening, parser
from gsk_server_async_recv_pythonic import echo_once

import gskit


def handshake_and_echo(session: gskit.Session) -> int:
    """The worker: the handshake, then one echo."""
    session.handshake()
    print(f"Handshake done: {session.protocol} {session.cipher}")
    return echo_once(session)


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], GSK_PORT, "server").parse_args(argv)
    try:
        with gskit.Environment(session_type="server", **SEED_SETTINGS, **certificate_settings(args)) as env, \
                socket.create_server((args.host, args.port)) as lsd, ThreadPoolExecutor(1) as worker:
            listening(lsd.getsockname())
            conn, _ = lsd.accept()
            with conn, env.open_session(fd=conn) as session:
                worker.submit(handshake_and_echo, session).result(timeout=args.timeout)
    except (gskit.GSKError, OSError, TimeoutError) as exc:
        print(f"gsk_server_async_init_pythonic: {exc}", file=sys.stderr)
        return 1
    print("Success.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
