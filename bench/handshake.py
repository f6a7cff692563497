"""Full-handshake rate: gskit (compat layer) vs raw pyOpenSSL vs Python's ssl.

Per handshake: TCP connect, full handshake with chain verification, the server writes one
byte, the client reads it, both close.  One client thread (the timed one) and one server
thread in one process, as in ../shared/reference/performance-baselines.md.  TLS 1.3 and
1.2 x ECDSA P-256 and RSA-2048; the implementations alternate inside every round.

    .venv/bin/python bench/handshake.py [--rounds 15] [--count 200] [--only gskit,pyopenssl]
    .venv/bin/python bench/handshake.py --one-end client|server [--only gskit,pyopenssl]

``--one-end`` measures one end alone: the other end is raw pyOpenSSL in a child process,
so the CPU figure is that end's own and no interpreter lock is shared.

Many short rounds rather than a few long ones: on this two-vCPU machine one round's pairing
may stray by a tenth either way (how the two threads meet on the interpreter lock), and
the median of fifteen per-round ratios moves far less from run to run than that of five
(docs/performance.md, "Fifteen short rounds").
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time

import common


def serve(impl: common.Implementation, lsock: socket.socket, count: int | None,
          errors: list[BaseException]) -> str:
    """The server end: ``count`` handshakes (None: until killed), one byte each; returns
    the first one's description."""
    description = ""
    try:
        while count is None or count > 0:
            channel = impl.server(common.accept(lsock))
            channel.write(b"x")
            description = description or channel.describe()
            channel.close()
            count = None if count is None else count - 1
    except BaseException as exc:  # noqa: BLE001 - reported by the caller
        errors.append(exc)
    return description


def connect(impl: common.Implementation, port: int, count: int | None) -> str:
    """The client end: ``count`` handshakes (None: until killed); the first one's description."""
    buffer = bytearray(1)
    description = ""
    while count is None or count > 0:
        channel = impl.client(common.connect(port))
        if channel.read_into(buffer) != 1:
            raise RuntimeError("the server's byte did not arrive")
        description = description or channel.describe()
        channel.close()
        count = None if count is None else count - 1
    return description


def run(impl: common.Implementation, count: int, one_end: str | None = None,
        peer: int | socket.socket | None = None,
        server_impl: common.Implementation | None = None) -> tuple[float, float, str]:
    """Handshakes per second over ``count`` connections, process CPU µs per handshake, and
    the first one's description.  Both ends here (``one_end`` None; the server end
    ``server_impl`` if given, else ``impl`` too), or one end with the other in a child
    process: ``"client"`` against the server at port ``peer``, ``"server"`` on the
    listening socket ``peer``."""
    errors: list[BaseException] = []
    lsock = server = None
    cpu = common.cpu_time()
    start = time.perf_counter()
    if one_end == "server":
        description = serve(impl, peer, count, errors)  # type: ignore[arg-type]
    elif one_end == "client":
        description = connect(impl, peer, count)  # type: ignore[arg-type]
    else:
        lsock = common.listener()
        server = threading.Thread(target=serve, args=(server_impl or impl, lsock, count, errors), daemon=True)
        server.start()
        description = connect(impl, lsock.getsockname()[1], count)
        server.join(30)
        lsock.close()
    elapsed = time.perf_counter() - start
    cpu = common.cpu_time() - cpu
    if errors:
        raise errors[0]
    return count / elapsed, cpu / count * 1e6, description


def start_peer(one_end: str, certs: common.Certs, version: str) -> tuple[subprocess.Popen, int | socket.socket]:
    """Raw pyOpenSSL as the other end, in a child process: (the process, what ``run`` needs)."""
    role = "server" if one_end == "client" else "client"
    command = [sys.executable, __file__, "--peer", role, certs.folder, certs.key_type, version]
    if role == "server":
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        return process, int(process.stdout.readline())  # type: ignore[union-attr]
    lsock = common.listener()
    process = subprocess.Popen(command + [str(lsock.getsockname()[1])], stdin=subprocess.DEVNULL, text=True)
    return process, lsock


def peer_main(role: str, folder: str, key_type: str, version: str, port: str | None) -> None:
    """The child process: raw pyOpenSSL serving, or connecting, until killed."""
    impl = common.PyOpenSSL(common.Certs(folder, key_type), version)
    if role == "server":
        lsock = common.listener()
        print(lsock.getsockname()[1], flush=True)
        serve(impl, lsock, None, [])
    else:
        connect(impl, int(port or 0), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--only", default=",".join(common.IMPLEMENTATIONS))
    parser.add_argument("--one-end", choices=("client", "server"),
                        help="measure that end alone; raw pyOpenSSL is the other end, in a child process")
    parser.add_argument("--peer", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer_main(*args.peer, *([None] * (5 - len(args.peer))))
        return
    names = args.only.split(",")
    rows: dict[str, dict[str, list[float]]] = {}
    cpu_rows: dict[str, dict[str, list[float]]] = {}
    for key_type in ("ecdsa", "rsa"):
        certs = common.make_certs(key_type)
        for version in ("1.3", "1.2"):
            impls = [common.FACTORIES[n](certs, version) for n in names]
            peer, target = start_peer(args.one_end, certs, version) if args.one_end else (None, None)
            for impl in impls:                               # warm up, and show what is negotiated
                description = run(impl, 20, args.one_end, target)[2]
                print(f"TLS {version} {key_type}: {impl.name}: {description}")
            figures: dict[str, list[float]] = {n: [] for n in names}
            cpu: dict[str, list[float]] = {n: [] for n in names}
            for round_ in range(args.rounds):
                order = impls if round_ % 2 == 0 else impls[::-1]
                for impl in order:
                    rate, cpu_per_handshake, _ = run(impl, args.count, args.one_end, target)
                    figures[impl.name].append(rate)
                    cpu[impl.name].append(cpu_per_handshake)
            if peer is not None:
                peer.kill()
                peer.wait()
                if isinstance(target, socket.socket):
                    target.close()
            rows[f"TLS {version} {key_type}"] = figures
            cpu_rows[f"TLS {version} {key_type}"] = cpu
            medians = {n: statistics.median(v) for n, v in figures.items()}
            print("  medians: " + ", ".join(f"{n} {v:,.0f}" for n, v in medians.items()), flush=True)
    common.print_table("Full handshakes per second", "hs/s", rows)
    ends = f"the {args.one_end} end" if args.one_end else "both ends"
    common.print_table(f"Process CPU per handshake, {ends} (lower is better)", "µs", cpu_rows)


if __name__ == "__main__":
    main()
