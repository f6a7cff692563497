"""What the call trace costs while it is off (run by hand: ``python bench/trace_overhead.py``).

Two measurements:

1. the wrapper alone: ns per call of a traced compat call vs the bare function, on a call
   that does almost nothing (``gsk_attribute_get_numeric_value`` on a bad handle);
2. a handshake loop: client handshakes through the compat layer (open, set GSK_FD, init,
   close: 4 compat calls each) against a Python ``ssl`` server thread on loopback, once with
   the bare functions (``gskit.compat.gsk``) and once with the traced ones (``gskit.*``),
   in alternating rounds; the median per-handshake time of each is compared.
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import socket
import ssl
import statistics
import tempfile
import threading
import time
from types import SimpleNamespace

import trustme

import gskit
from gskit import constants as c
from gskit import trace
from gskit.compat import gsk as bare

CALLS = ("gsk_secure_soc_open", "gsk_attribute_set_numeric_value", "gsk_secure_soc_init", "gsk_secure_soc_close")


def per_call_ns(n: int) -> tuple[float, float]:
    """ns per call: (bare, traced-while-off)."""
    results = []
    for func in (bare.gsk_attribute_get_numeric_value, gskit.gsk_attribute_get_numeric_value):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter_ns()
            for _ in range(n):
                func(None, c.GSK_FD)
            best = min(best, (time.perf_counter_ns() - start) / n)
        results.append(best)
    return results[0], results[1]


def echo_server(ca: trustme.CA, stop: threading.Event) -> int:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)

    def serve() -> None:
        with listener:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    continue
                conn.settimeout(10)
                try:
                    with ctx.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except (OSError, ssl.SSLError):
                    pass

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def handshakes(api: SimpleNamespace, env: object, port: int, n: int) -> float:
    """Seconds per handshake for ``n`` handshakes through ``api``."""
    start = time.perf_counter()
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.settimeout(None)
            rc, session = api.gsk_secure_soc_open(env)
            api.gsk_attribute_set_numeric_value(session, c.GSK_FD, sock.fileno())
            assert api.gsk_secure_soc_init(session) == 0
            api.gsk_secure_soc_close(session)
    return (time.perf_counter() - start) / n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--handshakes", type=int, default=50, help="per round and variant")
    args = p.parse_args()
    assert not trace.is_enabled(), "unset GSKIT_TRACE to measure tracing off"

    bare_ns, traced_ns = per_call_ns(200_000)
    print(f"per call: bare {bare_ns:.0f} ns, traced (off) {traced_ns:.0f} ns, wrapper {traced_ns - bare_ns:.0f} ns")

    folder = tempfile.mkdtemp(prefix="gskit-bench-")
    atexit.register(shutil.rmtree, folder, True)
    os.environ.setdefault("GSKIT_HOME", os.path.join(folder, "home"))
    ca = trustme.CA()
    ca.cert_pem.write_to_path(os.path.join(folder, "ca.pem"))
    stop = threading.Event()
    port = echo_server(ca, stop)
    rc, env = bare.gsk_environment_open()
    bare.gsk_attribute_set_buffer(env, c.GSK_KEYRING_FILE, os.path.join(folder, "ca.pem"))
    assert bare.gsk_environment_init(env) == 0
    variants = {"bare": SimpleNamespace(**{n: getattr(bare, n) for n in CALLS}),
                "traced-off": SimpleNamespace(**{n: getattr(gskit, n) for n in CALLS})}
    for api in variants.values():                 # warm up
        handshakes(api, env, port, 10)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, api in variants.items():
            times[name].append(handshakes(api, env, port, args.handshakes))
    stop.set()
    bare.gsk_environment_close(env)
    medians = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    for name, value in medians.items():
        print(f"handshake ({name}): median {value:.0f} us over {args.rounds} rounds of {args.handshakes}")
    overhead = (medians["traced-off"] - medians["bare"]) / medians["bare"] * 100
    computed = (traced_ns - bare_ns) * len(CALLS) / (medians["bare"] * 1000) * 100
    print(f"measured difference: {overhead:+.2f}% (noise included); "
          f"computed from the per-call cost: {computed:.4f}% of a handshake")


if __name__ == "__main__":
    main()
