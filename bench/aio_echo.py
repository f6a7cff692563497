"""gskit.aio against asyncio + ssl: a TLS 1.3 echo server, 1 KiB request and response.

The server runs in this process (one event loop), the client in a child process (asyncio
+ ssl, every connection in a closed loop).  Each round runs both servers, alternating;
medians of requests per second, p99 latency and server CPU per request are printed.

    .venv/bin/python bench/aio_echo.py [--conns 100,1000] [--seconds 3] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import ssl
import statistics
import sys
import tempfile

import trustme

os.environ.setdefault("GSKIT_HOME", tempfile.mkdtemp())

import gskit  # noqa: E402 - after GSKIT_HOME
from gskit import aio  # noqa: E402

CLIENT = r"""
import asyncio, ssl, sys, time
port, conns, seconds, ca = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.load_verify_locations(ca)
latencies, count = [], 0
async def one(start, deadline):
    global count
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
    payload = b"x" * 1024
    await start.wait()
    while time.monotonic() < deadline[0]:
        began = time.perf_counter()
        writer.write(payload); await writer.drain(); await reader.readexactly(1024)
        latencies.append(time.perf_counter() - began); count += 1
    writer.close()
async def main():
    start, deadline = asyncio.Event(), [0.0]
    tasks = [asyncio.ensure_future(one(start, deadline)) for _ in range(conns)]
    await asyncio.sleep(0.5 + conns / 500)           # connect (and handshake) first
    deadline[0] = time.monotonic() + seconds
    start.set()
    await asyncio.gather(*tasks, return_exceptions=True)
asyncio.run(main())
latencies.sort()
print(count / seconds, latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0)
"""


def listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:  # noqa: BLE001 - a client that goes away ends its connection
        pass
    writer.close()


async def run(kind: str, folder: str, conns: int, seconds: float) -> tuple[float, float, float]:
    """(requests/s, p99 ms, server CPU µs per request) of one server kind."""
    lsock = listener()
    if kind == "asyncio+ssl":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{folder}/server.pem")
        server = await asyncio.start_server(echo, sock=lsock, ssl=ctx, backlog=4096)
    else:
        env = gskit.Environment(session_type="server", keyring_file=f"{folder}/server.pem")
        env.init()
        server = await aio.start_server(echo, sock=lsock, environment=env, backlog=4096)
    before = resource.getrusage(resource.RUSAGE_SELF)
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, str(lsock.getsockname()[1]),
        str(conns), str(seconds), f"{folder}/ca.pem", stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(client.communicate(), 60 + conns / 10)
    after = resource.getrusage(resource.RUSAGE_SELF)
    server.close()
    rate, p99 = map(float, out.split())
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return rate, p99, cpu / max(rate * seconds, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conns", default="100,1000")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    ca = trustme.CA()
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(f"{folder}/server.pem")
    ca.cert_pem.write_to_path(f"{folder}/ca.pem")
    kinds = ("gskit.aio", "asyncio+ssl")
    print("| conns | server | req/s | p99 ms | server CPU µs/req | req/s vs asyncio+ssl |")
    print("|---|---|---|---|---|---|")
    for conns in map(int, args.conns.split(",")):
        figures: dict[str, list[tuple[float, float, float]]] = {k: [] for k in kinds}
        for round_ in range(args.rounds):
            for kind in (kinds if round_ % 2 == 0 else kinds[::-1]):
                figures[kind].append(asyncio.run(run(kind, folder, conns, args.seconds)))
        baseline = statistics.median(f[0] for f in figures["asyncio+ssl"])
        for kind in kinds:
            rate = statistics.median(f[0] for f in figures[kind])
            p99 = statistics.median(f[1] for f in figures[kind])
            cpu = statistics.median(f[2] for f in figures[kind])
            print(f"| {conns} | {kind} | {rate:,.0f} | {p99:.1f} | {cpu:.1f} | {rate / baseline:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
