"""Where a handshake pair's time goes: each call of the handshake loop timed, each end's share.

Both ends in one process, one thread each, as ``bench/handshake.py`` runs them (ECDSA P-256).
Run by hand (not a test):

    .venv/bin/python bench/handshake_phases.py [--count 2000] [--version 1.3]
    .venv/bin/python bench/handshake_phases.py --mix [--rounds 4] [--count 500]

The default times every call of the client's and the server's loop with ``perf_counter_ns``
(gskit: ``gsk_secure_soc_open``, the GSK_FD set, ``gsk_secure_soc_init``, the read or the
write, the close; raw pyOpenSSL: ``Connection()``, ``do_handshake``, ``recv_into`` or
``sendall``, ``shutdown``), and prints the medians and when each end's handshake call
starts and returns relative to the other's.  ``--mix`` measures the handshake rate with one
end gskit and the other raw pyOpenSSL, every pairing interleaved, as a ratio of the raw
pair's.  Results: docs/performance.md, handshakes.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
from functools import partial
from typing import Callable

import common
import handshake
from OpenSSL import SSL

from gskit import constants as c
from gskit.compat import gsk

now = time.perf_counter_ns
Marks = list[int]

# The marks each loop takes, in order (the first: the connection is there).
CLIENT_PHASES = ("connect", "open", "set fd", "handshake", "read", "close", "socket close")
SERVER_PHASES = ("open", "set fd", "handshake", "write", "close", "socket close")


def _gskit_session(env: object, sock: socket.socket, marks: Marks) -> object:
    _, session = gsk.gsk_secure_soc_open(env)
    marks.append(now())
    gsk.gsk_attribute_set_numeric_value(session, c.GSK_FD, sock.fileno())
    marks.append(now())
    if gsk.gsk_secure_soc_init(session) != 0:
        raise RuntimeError("gsk_secure_soc_init failed")
    marks.append(now())
    return session


def _pyopenssl_connection(ctx: SSL.Context, sock: socket.socket, server: bool, marks: Marks) -> SSL.Connection:
    conn = SSL.Connection(ctx, sock)
    conn.set_accept_state() if server else conn.set_connect_state()
    marks += [now(), now()]                 # (no GSK_FD step)
    conn.do_handshake()
    marks.append(now())
    return conn


def _end(close: Callable[[], object], sock: socket.socket, marks: Marks, rows: list[Marks]) -> None:
    """After the read or the write: the session's close, the socket's, the marks kept."""
    marks.append(now())
    close()
    marks.append(now())
    sock.close()
    marks.append(now())
    rows.append(marks)


def server_loop(impl: common.Implementation, lsock: socket.socket, count: int, rows: list[Marks]) -> None:
    for _ in range(count):
        sock = common.accept(lsock)
        marks = [now()]
        if isinstance(impl, common.Gskit):
            session = _gskit_session(impl.server_env, sock, marks)
            gsk.gsk_secure_soc_write(session, b"x")
            close: Callable[[], object] = partial(gsk.gsk_secure_soc_close, session)
        else:
            conn = _pyopenssl_connection(impl.server_ctx, sock, True, marks)  # type: ignore[attr-defined]
            conn.sendall(b"x")
            close = partial(common.shutdown_quietly, conn)
        _end(close, sock, marks, rows)


def client_loop(impl: common.Implementation, port: int, count: int, rows: list[Marks]) -> None:
    buffer = bytearray(1)
    for _ in range(count):
        marks = [now()]
        sock = common.connect(port)
        marks.append(now())
        if isinstance(impl, common.Gskit):
            session = _gskit_session(impl.client_env, sock, marks)
            arrived = gsk.gsk_secure_soc_read(session, buffer) == (0, 1)
            close: Callable[[], object] = partial(gsk.gsk_secure_soc_close, session)
        else:
            conn = _pyopenssl_connection(impl.client_ctx, sock, False, marks)  # type: ignore[attr-defined]
            arrived = conn.recv_into(buffer) == 1
            close = partial(common.shutdown_quietly, conn)
        if not arrived:
            raise RuntimeError("the server's byte did not arrive")
        _end(close, sock, marks, rows)


def _median_us(values: list[int]) -> float:
    return statistics.median(values) / 1000


def phases(impl: common.Implementation, count: int) -> None:
    """Time ``count`` pairs (after a warm-up) and print the medians."""
    for n in (200, count):
        clients: list[Marks] = []
        servers: list[Marks] = []
        lsock = common.listener()
        thread = threading.Thread(target=server_loop, args=(impl, lsock, n, servers))
        thread.start()
        start = now()
        client_loop(impl, lsock.getsockname()[1], n, clients)
        thread.join()
        elapsed = now() - start
        lsock.close()
    print(f"{impl.name}: {count / (elapsed / 1e9):,.0f} pairs/s, {elapsed / count / 1000:,.0f} µs a pair")

    def steps(rows: list[Marks], names: tuple[str, ...]) -> str:
        return ", ".join(f"{name} {_median_us([r[i + 1] - r[i] for r in rows]):.0f}"
                         for i, name in enumerate(names))

    print("  client µs: " + steps(clients, CLIENT_PHASES))
    print("  server µs: " + steps(servers, SERVER_PHASES)
          + f", waiting for the next connection {_median_us([b[0] - a[-1] for a, b in zip(servers, servers[1:])]):.0f}")
    pairs = list(zip(clients, servers))
    print("  the server, after the client (µs): has the connection "
          f"{_median_us([s[0] - cl[0] for cl, s in pairs]):.0f} after the client's connect began, "
          f"calls its handshake {_median_us([s[2] - cl[3] for cl, s in pairs]):.0f} after the client's call, "
          f"returns from it {_median_us([s[3] - cl[4] for cl, s in pairs]):.0f} after the client's return")


def mix(rounds: int, count: int, version: str) -> None:
    """Rates with gskit at one end, the other, or both, as ratios of raw pyOpenSSL at both."""
    certs = common.make_certs("ecdsa")
    impls = {name: common.FACTORIES[name](certs, version) for name in ("gskit", "pyopenssl")}
    pairings = [("pyopenssl", "pyopenssl"), ("gskit", "pyopenssl"), ("pyopenssl", "gskit"), ("gskit", "gskit")]

    def rate(server: str, client: str, n: int) -> float:
        return handshake.run(impls[client], n, server_impl=impls[server])[0]

    for pairing in pairings:
        rate(*pairing, 100)
    rates: dict[tuple[str, str], list[float]] = {pairing: [] for pairing in pairings}
    for _ in range(rounds):
        for pairing in pairings:
            rates[pairing].append(rate(*pairing, count))
    base = statistics.median(rates[pairings[0]])
    print(f"TLS {version} ECDSA, both ends in one process, {rounds} × {count} handshakes, interleaved:")
    for server, client in pairings:
        median = statistics.median(rates[(server, client)])
        print(f"  server {server:9} client {client:9} {median:7,.0f} hs/s  {median / base:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=None, help="pairs timed (2000; --mix: 500 a round)")
    parser.add_argument("--version", default="1.3", choices=("1.3", "1.2"))
    parser.add_argument("--mix", action="store_true", help="each end's share instead of the timings")
    parser.add_argument("--rounds", type=int, default=4, help="--mix: rounds of every pairing")
    args = parser.parse_args()
    if args.mix:
        mix(args.rounds, args.count or 500, args.version)
        return
    certs = common.make_certs("ecdsa")
    for name in ("gskit", "pyopenssl"):
        phases(common.FACTORIES[name](certs, args.version), args.count or 2000)


if __name__ == "__main__":
    main()
