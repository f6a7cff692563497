"""Memory per open session: N established connections, RSS delta / N.

Each implementation runs in its own fresh child process (so one's heap does not blur the
other's): it warms up (contexts built, 20 connections opened and closed), takes the RSS,
opens N connections over loopback (server thread + client thread, full handshakes, one
byte each way so TLS 1.3 tickets are processed), takes the RSS again and reports
(delta / N) per connection - both ends, a client and a server session - and half that
per session.  Same certificate files (ECDSA P-256) for every child.

    .venv/bin/python bench/memory.py [--sessions 1000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading

import common


def child(name: str, folder: str, key_type: str, version: str, count: int) -> dict[str, float]:
    impl = common.FACTORIES[name](common.Certs(folder, key_type), version)
    lsock = common.listener()
    port = lsock.getsockname()[1]
    servers: list[common.Channel] = []
    failures: list[BaseException] = []

    def serve(n: int) -> None:
        try:
            for _ in range(n):
                channel = impl.server(common.accept(lsock))
                channel.write(b"s")
                servers.append(channel)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def open_many(n: int) -> list[common.Channel]:
        thread = threading.Thread(target=serve, args=(n,), daemon=True)
        thread.start()
        clients = []
        one = bytearray(1)
        for _ in range(n):
            channel = impl.client(common.connect(port))
            channel.read_into(one)
            clients.append(channel)
        thread.join(60)
        if failures:
            raise failures[0]
        return clients

    for channel in open_many(20) + servers:
        channel.close()
    servers.clear()
    common.settle()
    before = common.rss_bytes()
    clients = open_many(count)
    common.settle()
    after = common.rss_bytes()
    for channel in clients + servers:
        channel.close()
    per_connection = (after - before) / count
    return {"per_connection": per_connection, "per_session": per_connection / 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(common.IMPLEMENTATIONS))
    parser.add_argument("--child", nargs=4, metavar=("IMPL", "FOLDER", "KEY", "VERSION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, folder, key_type, version = args.child
        print(json.dumps(child(name, folder, key_type, version, args.sessions)))
        return
    certs = common.make_certs("ecdsa")
    names = args.only.split(",")
    rows: dict[str, dict[str, list[float]]] = {}
    for version in ("1.3", "1.2"):
        figures: dict[str, list[float]] = {n: [] for n in names}
        for round_ in range(args.rounds):
            for name in (names if round_ % 2 == 0 else names[::-1]):
                out = subprocess.run([sys.executable, __file__, "--sessions", str(args.sessions),
                                      "--child", name, certs.folder, certs.key_type, version],
                                     capture_output=True, text=True, timeout=300, check=True)
                figures[name].append(json.loads(out.stdout)["per_session"] / 1024)
            print(f"TLS {version} round {round_ + 1}: " + ", ".join(f"{n} {v[-1]:.1f} KiB" for n, v in figures.items()),
                  flush=True)
        rows[f"TLS {version} ecdsa, N={args.sessions}"] = figures
    common.print_table("Memory per open session (RSS delta / (2N): both ends are in the process)", "KiB", rows)
    for config, figures in rows.items():
        medians = {n: statistics.median(v) for n, v in figures.items()}
        print(f"{config}: " + ", ".join(f"{n} {v:.2f} KiB" for n, v in medians.items()))


if __name__ == "__main__":
    main()
