"""Full-handshake rate: gskit (compat layer) vs raw pyOpenSSL vs Python's ssl.

Per handshake: TCP connect, full handshake with chain verification, the server writes one
byte, the client reads it, both close.  One client thread (the timed one) and one server
thread in one process, as in ../shared/reference/performance-baselines.md.  TLS 1.3 and
1.2 x ECDSA P-256 and RSA-2048; the implementations alternate inside every round.

    .venv/bin/python bench/handshake.py [--rounds 5] [--count 300] [--only gskit,pyopenssl]
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import common


def run(impl: common.Implementation, count: int) -> tuple[float, float, str]:
    """Handshakes per second over ``count`` connections, process CPU µs per handshake (both
    ends), and the first one's description."""
    lsock = common.listener()
    port = lsock.getsockname()[1]
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            for _ in range(count):
                channel = impl.server(common.accept(lsock))
                channel.write(b"x")
                channel.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the client side
            errors.append(exc)

    server = threading.Thread(target=serve, daemon=True)
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
    server.join(30)
    cpu = common.cpu_time() - cpu
    lsock.close()
    if errors:
        raise errors[0]
    return count / elapsed, cpu / count * 1e6, description


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--only", default=",".join(common.IMPLEMENTATIONS))
    args = parser.parse_args()
    names = args.only.split(",")
    rows: dict[str, dict[str, list[float]]] = {}
    cpu_rows: dict[str, dict[str, list[float]]] = {}
    for key_type in ("ecdsa", "rsa"):
        certs = common.make_certs(key_type)
        for version in ("1.3", "1.2"):
            impls = [common.FACTORIES[n](certs, version) for n in names]
            for impl in impls:                               # warm up, and show what is negotiated
                description = run(impl, 20)[2]
                print(f"TLS {version} {key_type}: {impl.name}: {description}")
            figures: dict[str, list[float]] = {n: [] for n in names}
            cpu: dict[str, list[float]] = {n: [] for n in names}
            for round_ in range(args.rounds):
                order = impls if round_ % 2 == 0 else impls[::-1]
                for impl in order:
                    rate, cpu_per_handshake, _ = run(impl, args.count)
                    figures[impl.name].append(rate)
                    cpu[impl.name].append(cpu_per_handshake)
            rows[f"TLS {version} {key_type}"] = figures
            cpu_rows[f"TLS {version} {key_type}"] = cpu
            medians = {n: statistics.median(v) for n, v in figures.items()}
            print("  medians: " + ", ".join(f"{n} {v:,.0f}" for n, v in medians.items()), flush=True)
    common.print_table("Full handshakes per second", "hs/s", rows)
    common.print_table("Process CPU per handshake, both ends (lower is better)", "µs", cpu_rows)


if __name__ == "__main__":
    main()
