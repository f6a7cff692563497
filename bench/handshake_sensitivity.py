"""Which points of the handshake loop the rate is sensitive to: busy work added at one point.

Both ends gskit in one process, one thread each, as ``bench/handshake.py`` runs them
(compat calls, ECDSA P-256).  Each point in turn gets ``--delay`` µs of busy work that keeps
the interpreter lock; the rate is compared with the loop's own, measured before and after.
Work added where one end waits for the other anyway costs nothing; where the other end then
waits for the lock it costs the delay, or more.  Run by hand (not a test):

    .venv/bin/python bench/handshake_sensitivity.py [--delay 20] [--count 1500] [--rounds 3]

Results: docs/performance.md, handshakes.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import common

from gskit import constants as c
from gskit.compat import gsk

POINTS = ("client setup", "server setup", "client after handshake", "server after handshake",
          "server after write", "client after read", "server after close", "client after close")


class Loop:
    """The handshake loop of ``bench/handshake.py`` through the compat calls, with a delay
    at one of ``POINTS`` (None: none)."""

    def __init__(self, version: str, delay_us: int) -> None:
        self.gskit = common.Gskit(common.make_certs("ecdsa"), version)
        self.delay_ns = delay_us * 1000
        self.point: str | None = None

    def _busy(self, point: str) -> None:
        if point == self.point:
            end = time.perf_counter_ns() + self.delay_ns
            while time.perf_counter_ns() < end:
                pass

    def _session(self, env: object, sock: object, point: str) -> object:
        self._busy(f"{point} setup")
        _, handle = gsk.gsk_secure_soc_open(env)
        gsk.gsk_attribute_set_numeric_value(handle, c.GSK_FD, sock.fileno())  # type: ignore[attr-defined]
        if gsk.gsk_secure_soc_init(handle) != 0:
            raise RuntimeError("gsk_secure_soc_init failed")
        self._busy(f"{point} after handshake")
        return handle

    def _serve(self, lsock: object, count: int) -> None:
        for _ in range(count):
            sock = common.accept(lsock)  # type: ignore[arg-type]
            handle = self._session(self.gskit.server_env, sock, "server")
            gsk.gsk_secure_soc_write(handle, b"x")
            self._busy("server after write")
            gsk.gsk_secure_soc_close(handle)
            sock.close()
            self._busy("server after close")

    def rate(self, count: int) -> float:
        """Handshakes per second over ``count`` pairs."""
        lsock = common.listener()
        server = threading.Thread(target=self._serve, args=(lsock, count), daemon=True)
        server.start()
        buffer = bytearray(1)
        start = time.perf_counter()
        for _ in range(count):
            sock = common.connect(lsock.getsockname()[1])
            handle = self._session(self.gskit.client_env, sock, "client")
            if gsk.gsk_secure_soc_read(handle, buffer) != (0, 1):
                raise RuntimeError("the server's byte did not arrive")
            self._busy("client after read")
            gsk.gsk_secure_soc_close(handle)
            sock.close()
            self._busy("client after close")
        server.join(30)
        elapsed = time.perf_counter() - start
        lsock.close()
        return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=int, default=20, help="µs of busy work at the point")
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--version", default="1.3")
    args = parser.parse_args()
    loop = Loop(args.version, args.delay)
    loop.rate(200)                                            # warm up

    def median_rate(point: str | None) -> float:
        loop.point = point
        return statistics.median(loop.rate(args.count) for _ in range(args.rounds))

    before = median_rate(None)
    rates = {point: median_rate(point) for point in POINTS}
    after = median_rate(None)
    own = (before + after) / 2
    print(f"TLS {args.version}, gskit both ends, {args.delay} µs of busy work at one point "
          f"(medians of {args.rounds} x {args.count} pairs; without: {before:,.0f} and {after:,.0f} hs/s)")
    print("| point | hs/s | against none |")
    print("|---|---|---|")
    for point, rate in rates.items():
        print(f"| {point} | {rate:,.0f} | {rate / own - 1:+.1%} |")


if __name__ == "__main__":
    main()
