"""Full-handshake rate: gskit (compat layer) vs raw pyOpenSSL vs Python's ssl.

Per handshake: TCP connect, full handshake with chain verification, the server writes one
byte, the client reads it, both close.  One client thread (the timed one) and one server
thread in one process, as in ../shared/reference/performance-baselines.md.  TLS 1.3 and
1.2 x ECDSA P-256 and RSA-2048; the implementations alternate inside every round.

    .venv/bin/python bench/handshake.py [--rounds 5] [--count 300] [--only gskit,pyopenssl]
    .venv/bin/python bench/handshake.py --peer-process [--only gskit,pyopenssl]

``--peer-process`` measures the client end alone: the server is raw pyOpenSSL in a child
process, so the CPU figure is the client's and no interpreter lock is shared.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time

import common


def serve(impl: common.Implementation, lsock: object, count: int | None,
          errors: list[BaseException]) -> None:
    """The server end: ``count`` handshakes (None: until killed), one byte each."""
    try:
        while count is None or count > 0:
            channel = impl.server(common.accept(lsock))  # type: ignore[arg-type]
            channel.write(b"x")
            channel.close()
            count = None if count is None else count - 1
    except BaseException as exc:  # noqa: BLE001 - reported by the client side
        errors.append(exc)


def run(impl: common.Implementation, count: int, peer_port: int | None = None) -> tuple[float, float, str]:
    """Handshakes per second over ``count`` connections, process CPU µs per handshake (both
    ends; the client's alone with ``peer_port``, a server in another process), and the first
    one's description."""
    errors: list[BaseException] = []
    lsock = server = None
    port = peer_port
    if port is None:
        lsock = common.listener()
        port = lsock.getsockname()[1]
        server = threading.Thread(target=serve, args=(impl, lsock, count, errors), daemon=True)
        server.start()
    buffer = bytearray(1)
    description = ""
    cpu = common.cpu_time()
    start = time.perf_counter()
    for i in range(count):
        channel = impl.client(common.connect(port))
        if channel.read_into(buffer) != 1:
            raise RuntimeError("the server's byte did not arrive")
        if i == 0:
            description = channel.describe()
        channel.close()
    elapsed = time.perf_counter() - start
    if server is not None:
        server.join(30)
    cpu = common.cpu_time() - cpu
    if lsock is not None:
        lsock.close()
    if errors:
        raise errors[0]
    return count / elapsed, cpu / count * 1e6, description


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--only", default=",".join(common.IMPLEMENTATIONS))
    parser.add_argument("--peer-process", action="store_true",
                        help="server: raw pyOpenSSL in a child process; measure the client end alone")
    parser.add_argument("--serve", nargs=3, metavar=("FOLDER", "KEY_TYPE", "VERSION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        folder, key_type, version = args.serve
        lsock = common.listener()
        print(lsock.getsockname()[1], flush=True)
        serve(common.PyOpenSSL(common.Certs(folder, key_type), version), lsock, None, [])
        return
    names = args.only.split(",")
    rows: dict[str, dict[str, list[float]]] = {}
    cpu_rows: dict[str, dict[str, list[float]]] = {}
    for key_type in ("ecdsa", "rsa"):
        certs = common.make_certs(key_type)
        for version in ("1.3", "1.2"):
            impls = [common.FACTORIES[n](certs, version) for n in names]
            peer = peer_port = None
            if args.peer_process:
                peer = subprocess.Popen([sys.executable, __file__, "--serve", certs.folder, key_type, version],
                                        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
                peer_port = int(peer.stdout.readline())  # type: ignore[union-attr]
            for impl in impls:                               # warm up, and show what is negotiated
                description = run(impl, 20, peer_port)[2]
                print(f"TLS {version} {key_type}: {impl.name}: {description}")
            figures: dict[str, list[float]] = {n: [] for n in names}
            cpu: dict[str, list[float]] = {n: [] for n in names}
            for round_ in range(args.rounds):
                order = impls if round_ % 2 == 0 else impls[::-1]
                for impl in order:
                    rate, cpu_per_handshake, _ = run(impl, args.count, peer_port)
                    figures[impl.name].append(rate)
                    cpu[impl.name].append(cpu_per_handshake)
            if peer is not None:
                peer.kill()
                peer.wait()
            rows[f"TLS {version} {key_type}"] = figures
            cpu_rows[f"TLS {version} {key_type}"] = cpu
            medians = {n: statistics.median(v) for n, v in figures.items()}
            print("  medians: " + ", ".join(f"{n} {v:,.0f}" for n, v in medians.items()), flush=True)
    common.print_table("Full handshakes per second", "hs/s", rows)
    ends = "the client end" if args.peer_process else "both ends"
    common.print_table(f"Process CPU per handshake, {ends} (lower is better)", "µs", cpu_rows)


if __name__ == "__main__":
    main()
