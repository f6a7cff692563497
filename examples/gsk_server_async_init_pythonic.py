"""The GSKit server with asynchronous handshake, in the Pythonic API.

Seed: "Example: GSKit secure server with asynchronous handshake".  The main thread accepts
the client and hands the new session to a worker, which does the handshake, receives the
client's message and echoes it back.  (The completion port itself is a compat-layer
concept: see gsk_server_async_init.py.)
"""
from __future__ import annotations

import sys

from gsk_server_async_recv_pythonic import echo_once, handshake, serve_one

import gskit


def handshake_and_echo(session: gskit.Session) -> int:
    """The worker: the handshake, then one echo."""
    handshake(session)
    return echo_once(session)


def main(argv: list[str] | None = None) -> int:
    return serve_one(__doc__.splitlines()[0], argv, None, handshake_and_echo)


if __name__ == "__main__":
    sys.exit(main())
