"""Bulk throughput, one way: 64 KiB writes over one TLS 1.3 AES-128-GCM connection.

The client thread writes ``--megabytes`` in 64 KiB writes (gsk_secure_soc_write for gskit),
the server thread reads into a 64 KiB buffer (gsk_secure_soc_read) until it has everything.
The clock runs from the first write to the last byte read; the handshake is not timed.
ECDSA P-256 certificate; a fresh connection per round; implementations alternate.

    .venv/bin/python bench/bulk.py [--rounds 7] [--megabytes 200]
"""
from __future__ import annotations

import argparse
import threading
import time

import common

CHUNK = 65536


def run(impl: common.Implementation, total: int) -> tuple[float, float, str]:
    """MB/s (10^6 bytes) for ``total`` bytes one way, process CPU µs per 64 KiB (both ends),
    and the negotiated suite."""
    lsock = common.listener()
    port = lsock.getsockname()[1]
    result: dict[str, object] = {}

    def serve() -> None:
        try:
            channel = impl.server(common.accept(lsock))
            buffer = bytearray(CHUNK)
            received = 0
            while received < total:
                count = channel.read_into(buffer)
                if count == 0:
                    raise RuntimeError(f"EOF after {received} bytes")
                received += count
            result["end"] = time.perf_counter()
            channel.write(b"k")
            channel.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the client side
            result["error"] = exc

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    channel = impl.client(common.connect(port))
    payload = memoryview(bytes(range(256)) * (CHUNK // 256))
    cpu = common.cpu_time()
    start = time.perf_counter()
    for _ in range(total // CHUNK):
        channel.write(payload)
    channel.read_into(bytearray(1))
    description = channel.describe()
    channel.close()
    server.join(60)
    cpu = common.cpu_time() - cpu
    lsock.close()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return total / (result["end"] - start) / 1e6, cpu / (total / CHUNK) * 1e6, description  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--only", default=",".join(common.IMPLEMENTATIONS))
    args = parser.parse_args()
    total = args.megabytes * 1_000_000 // CHUNK * CHUNK
    certs = common.make_certs("ecdsa")
    impls = [common.FACTORIES[n](certs, "1.3") for n in args.only.split(",")]
    for impl in impls:
        description = run(impl, 8 * CHUNK)[2]
        print(f"{impl.name}: {description}")
    figures: dict[str, list[float]] = {impl.name: [] for impl in impls}
    cpu: dict[str, list[float]] = {impl.name: [] for impl in impls}
    for round_ in range(args.rounds):
        for impl in (impls if round_ % 2 == 0 else impls[::-1]):
            rate, cpu_per_chunk, _ = run(impl, total)
            figures[impl.name].append(rate)
            cpu[impl.name].append(cpu_per_chunk)
        print(f"round {round_ + 1}: " + ", ".join(f"{n} {v[-1]:,.0f}" for n, v in figures.items()), flush=True)
    common.print_table(f"Bulk one-way, {total / 1e6:.0f} MB in 64 KiB writes, TLS 1.3 AES-128-GCM", "MB/s",
                       {"TLS 1.3 ecdsa": figures})
    common.print_table("Process CPU per 64 KiB, both ends (lower is better)", "µs", {"TLS 1.3 ecdsa": cpu})


if __name__ == "__main__":
    main()
