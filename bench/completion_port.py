"""Echo servers side by side: a completion port with a worker pool, asyncio, hand-written epoll.

Run by hand (not a test):

    .venv/bin/python bench/completion_port.py                 # plain TCP, 100 and 1000 conns
    .venv/bin/python bench/completion_port.py --conns 100 --seconds 3 --workers 2

Each server runs in its own process; one client process (closed loop: every connection
sends a 1 KiB request, waits for the 1 KiB echo, sends the next) measures requests/s and
latency percentiles.  The parent samples the server's resident memory before the clients
connect and while they are connected, and prints one table for the whole run.

Servers are rows of SERVERS: name -> (serve function, needs TLS).  A TLS variant (the GSKit
secure operations, asyncio + ssl, epoll + pyOpenSSL) plugs in as more rows selected with
``--tls``; the client then wraps its connections in TLS.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import selectors
import socket
import statistics
import subprocess
import sys
import time
from typing import Callable

REQUEST = 1024
NODELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def listener() -> socket.socket:
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(*NODELAY)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4096)
    return ls


def announce(ls: socket.socket) -> None:
    print(ls.getsockname()[1], flush=True)


# --------------------------------------------------------------------------- servers


def serve_qso(ls: socket.socket, workers: int) -> None:
    """The seed's design: QsoStartAccept/QsoStartRecv/QsoStartSend, workers on one port."""
    import threading

    from gskit.compat import qso
    from gskit.constants import QSOSTARTACCEPT, QSOSTARTRECV

    port = qso.QsoCreateIOCompletionPort()

    class Conn:
        __slots__ = ("sock", "io")

        def __init__(self, fd: int) -> None:
            self.sock = socket.socket(fileno=fd)
            self.sock.setsockopt(*NODELAY)
            self.io = qso.Qso_OverlappedIO_t(descriptorHandle=self, buffer=bytearray(REQUEST * 4))

        def close(self) -> None:
            self.sock.close()

        def echo(self, n: int) -> None:
            """Send back the ``n`` bytes received; when that completes at once (postFlag 0,
            the usual case), start the next receive."""
            if n <= 0:
                return self.close()
            io = self.io
            io.bufferLength, io.postFlag = n, 0
            rc = qso.QsoStartSend(self.sock, port, io)
            if rc == 0:
                self.receive()
            elif rc < 0:
                self.close()

        def receive(self) -> None:
            """Start a receive, always posted (postFlag 1): even data already there queues
            behind the other connections' completions, so no connection can hog a worker."""
            io = self.io
            io.bufferLength, io.postFlag = len(io.buffer), 1
            if qso.QsoStartRecv(self.sock, port, io) < 0:
                self.close()

    accept_io = qso.Qso_OverlappedIO_t(descriptorHandle="accept")

    def worker() -> None:
        out = qso.Qso_OverlappedIO_t()
        while qso.QsoWaitForIOCompletion(port, out, None) == 1:
            if out.operationCompleted == QSOSTARTACCEPT:
                if out.returnValue >= 0:
                    Conn(out.returnValue).receive()
                qso.QsoStartAccept(ls, port, accept_io)
                continue
            conn = out.descriptorHandle
            if out.operationCompleted == QSOSTARTRECV:
                conn.echo(out.returnValue)
            elif out.returnValue < 0:
                conn.close()
            else:
                conn.receive()

    accept_io.postFlag = 1
    qso.QsoStartAccept(ls, port, accept_io)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    announce(ls)
    sys.stdin.read()


def serve_asyncio(ls: socket.socket, workers: int) -> None:
    """asyncio's own way: a Protocol that writes back what it receives."""

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[attr-defined]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, sock=ls, backlog=4096)
        announce(ls)
        stop = loop.create_future()
        loop.add_reader(sys.stdin.fileno(), lambda: stop.done() or stop.set_result(None))
        await stop
        server.close()

    asyncio.run(main())


def serve_epoll(ls: socket.socket, workers: int) -> None:
    """One thread, epoll level-triggered, non-blocking sockets: the hand-written baseline."""
    ep = select.epoll()
    ls.setblocking(False)
    ep.register(ls.fileno(), select.EPOLLIN)
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    conns: dict[int, socket.socket] = {}
    backlog: dict[int, memoryview] = {}
    buf = bytearray(REQUEST * 4)
    view = memoryview(buf)
    announce(ls)
    while True:
        for fd, ev in ep.poll():
            if fd == ls.fileno():
                while True:
                    try:
                        s, _ = ls.accept()
                    except BlockingIOError:
                        break
                    s.setblocking(False)
                    s.setsockopt(*NODELAY)
                    conns[s.fileno()] = s
                    ep.register(s.fileno(), select.EPOLLIN)
                continue
            if fd == sys.stdin.fileno():
                return
            s = conns[fd]
            if ev & select.EPOLLOUT:
                rest = backlog.pop(fd)
                sent = s.send(rest)
                if sent < len(rest):
                    backlog[fd] = rest[sent:]
                else:
                    ep.modify(fd, select.EPOLLIN)
                continue
            try:
                n = s.recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                ep.unregister(fd)
                del conns[fd]
                s.close()
                continue
            sent = s.send(view[:n])
            if sent < n:
                backlog[fd] = memoryview(bytes(view[sent:n]))
                ep.modify(fd, select.EPOLLOUT)


SERVERS: dict[str, tuple[Callable[[socket.socket, int], None], bool]] = {
    "completion-port": (serve_qso, False),
    "asyncio": (serve_asyncio, False),
    "epoll": (serve_epoll, False),
}


# --------------------------------------------------------------------------- client


def run_client(port: int, conns: int, seconds: float, warmup: float) -> dict:
    """Closed loop over ``conns`` connections; returns counts and latency percentiles."""
    sel = selectors.DefaultSelector()
    payload = os.urandom(REQUEST)
    state: dict[int, list] = {}
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(*NODELAY)
        s.setblocking(False)
        socks.append(s)
        state[s.fileno()] = [s, 0, 0.0]  # socket, bytes still expected, send time
        sel.register(s, selectors.EVENT_READ)
    print("connected", flush=True)
    now = time.perf_counter()
    for st in state.values():
        st[0].send(payload)
        st[1], st[2] = REQUEST, now
    start_measure = now + warmup
    end = start_measure + seconds
    latencies: list[float] = []
    count = 0
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        for key, _ in sel.select(0.5):
            st = state[key.fd]
            try:
                data = st[0].recv(65536)
            except BlockingIOError:
                continue
            if not data:
                raise SystemExit("server closed a connection")
            st[1] -= len(data)
            if st[1] > 0:
                continue
            t = time.perf_counter()
            if t >= start_measure:
                latencies.append(t - st[2])
                count += 1
            st[0].send(payload)
            st[1], st[2] = REQUEST, t
    for s in socks:
        s.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    return {"requests": count, "rps": count / seconds, "p50_ms": pct(0.50), "p99_ms": pct(0.99)}


# --------------------------------------------------------------------------- driver


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(server: str, conns: int, seconds: float, warmup: float, workers: int) -> dict:
    me = [sys.executable, os.path.abspath(__file__)]
    srv = subprocess.Popen([*me, "--serve", server, "--workers", str(workers)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(srv.stdout.readline())  # type: ignore[union-attr]
        time.sleep(0.2)
        idle = rss_kib(srv.pid)
        cli = subprocess.Popen([*me, "--client", str(port), str(conns), str(seconds), str(warmup)],
                               stdout=subprocess.PIPE, text=True)
        try:
            assert cli.stdout.readline().strip() == "connected"  # type: ignore[union-attr]
            time.sleep(warmup)
            loaded, cpu0 = rss_kib(srv.pid), cpu_seconds(srv.pid)
            out, _ = cli.communicate(timeout=seconds + warmup + 60)
            cpu = cpu_seconds(srv.pid) - cpu0
        finally:
            cli.kill()
        result = json.loads(out)
        result["rss_per_conn_kib"] = max(0, loaded - idle) / conns
        result["rss_mib"] = loaded / 1024
        result["cpu_us"] = cpu / max(1, result["requests"]) * 1e6
        return result
    finally:
        srv.stdin.close()  # type: ignore[union-attr]
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conns", default="100,1000")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="runs per server (median reported)")
    ap.add_argument("--servers", default=",".join(n for n, (_, tls) in SERVERS.items() if not tls))
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        SERVERS[args.serve][0](listener(), args.workers)
        return
    if args.client:
        port, conns, seconds, warmup = args.client
        print(json.dumps(run_client(int(port), int(conns), float(seconds), float(warmup))))
        return
    servers = args.servers.split(",")
    print(f"{'server':<18}{'conns':>6}{'req/s':>9}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'CPU us/req':>11}{'RSS MiB':>9}{'KiB/conn':>9}")
    for conns in (int(c) for c in args.conns.split(",")):
        runs: dict[str, list[dict]] = {name: [] for name in servers}
        for _ in range(args.rounds):  # interleaved: a noisy neighbour hits every server alike
            for name in servers:
                runs[name].append(measure(name, conns, args.seconds, args.warmup, args.workers))
        base = median(runs[servers[0]], "rps")
        for name in servers:
            m = {key: median(runs[name], key) for key in runs[name][0]}
            print(f"{name:<18}{conns:>6}{m['rps']:>9.0f}{m['rps'] / base:>7.2f}{m['p50_ms']:>8.2f}"
                  f"{m['p99_ms']:>8.2f}{m['cpu_us']:>11.1f}{m['rss_mib']:>9.1f}"
                  f"{m['rss_per_conn_kib']:>9.1f}", flush=True)


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


if __name__ == "__main__":
    main()
