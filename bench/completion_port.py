"""Echo servers side by side: a completion port with a worker pool, asyncio, hand-written epoll.

Run by hand (not a test):

    .venv/bin/python bench/completion_port.py                 # plain TCP, 100 and 1000 conns
    .venv/bin/python bench/completion_port.py --conns 100 --seconds 3 --workers 1 --rounds 1
    .venv/bin/python bench/completion_port.py --tls              # the same over TLS 1.3
    .venv/bin/python bench/completion_port.py --tls --servers gskit.aio,asyncio-streams

Each server runs in its own process; one client process (closed loop: every connection
sends a 1 KiB request, waits for the 1 KiB echo, sends the next) measures requests/s and
latency percentiles.  The parent samples the server's resident memory before the clients
connect and while they are connected, and prints one table for the whole run.

Servers are rows of SERVERS (name -> serve function).  ``--tls`` runs the same three over
TLS 1.3 with an ECDSA P-256 certificate: the GSKit asynchronous calls
(gsk_secure_soc_startInit/startRecv/startSend) on the completion port, asyncio with
Python's ``ssl``, and the epoll loop with non-blocking pyOpenSSL; the client then
handshakes every connection (verifying the chain) before the clock starts.  ``gskit.aio``
and ``asyncio-streams`` are the same streams echo (``read``/``write``/``drain``) on
``gskit.aio.start_server`` and on ``asyncio.start_server`` with ``ssl``: the asyncio API's
benchmark.

The first line says which gskit build ran: compiled (``make native``, the default) or pure
Python (a tree without the compiled modules, e.g. ``GSKIT_PURE_PYTHON=1`` installs).
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
import tempfile
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from gskit.aio import SecureStreamWriter

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


def stdin_closed(loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
    """Done when the parent closes the server's stdin (its signal to stop)."""
    stop: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), finish)
    return stop


# --------------------------------------------------------------------------- servers


class PlainCalls:
    """The Qso calls on the socket itself.  ``start_recv`` and ``start_send`` are the API's
    own functions, called straight from ``Conn`` as an application calls them; the
    constants say what they answer."""

    buffer_size = REQUEST * 4
    start_recv: Callable[[Any, Any, Any], int]   # (socket or session, port, Qso_OverlappedIO_t)
    start_send: Callable[[Any, Any, Any], int]

    def __init__(self, opts: argparse.Namespace) -> None:
        from gskit.compat import qso
        from gskit.constants import QSOSTARTRECV

        self.recv_code = QSOSTARTRECV
        self.start_recv, self.start_send = qso.QsoStartRecv, qso.QsoStartSend
        self.recv_started = 1                   # start_recv: pending or posted
        self.sent_now, self.sent_later = 0, 1   # start_send: done at once, or to be posted

    def open(self, conn: "Conn") -> object:
        return conn.sock

    def begin(self, conn: "Conn", port: int) -> bool:
        return conn.receive()

    def received(self, out: object) -> int:
        return out.returnValue  # type: ignore[attr-defined]

    def sent_ok(self, out: object) -> bool:
        return out.returnValue >= 0  # type: ignore[attr-defined]


class SecureCalls(PlainCalls):
    """gsk_secure_soc_startInit/startRecv/startSend on a GSKit server session per socket."""

    buffer_size = 16384  # one TLS record

    def __init__(self, opts: argparse.Namespace) -> None:
        from gskit import constants as c
        from gskit import errors as rc
        from gskit.compat import async_gsk, gsk

        self.c, self.rc, self.gsk, self.agsk = c, rc, gsk, async_gsk
        self.recv_code = c.GSKSECURESOCSTARTRECV
        self.start_recv, self.start_send = async_gsk.gsk_secure_soc_startRecv, async_gsk.gsk_secure_soc_startSend
        self.recv_started = rc.GSK_IBMI_ASYNCHRONOUS_RECV
        self.sent_now, self.sent_later = rc.GSK_OK, rc.GSK_IBMI_ASYNCHRONOUS_SEND
        _, self.env = gsk.gsk_environment_open()
        gsk.gsk_attribute_set_enum(self.env, c.GSK_SESSION_TYPE, c.GSK_SERVER_SESSION)
        gsk.gsk_attribute_set_buffer(self.env, c.GSK_KEYRING_FILE, opts.keyring)
        assert gsk.gsk_environment_init(self.env) == rc.GSK_OK

    def open(self, conn: "Conn") -> object:
        _, session = self.gsk.gsk_secure_soc_open(self.env)
        self.gsk.gsk_attribute_set_numeric_value(session, self.c.GSK_FD, conn.sock.fileno())
        return session

    def begin(self, conn: "Conn", port: int) -> bool:
        return self.agsk.gsk_secure_soc_startInit(conn.handle, port, conn.io) == \
            self.rc.GSK_IBMI_ASYNCHRONOUS_SOC_INIT

    def received(self, out: object) -> int:
        return out.secureDataTransferSize if out.returnValue == self.rc.GSK_OK else -1  # type: ignore[attr-defined]

    def sent_ok(self, out: object) -> bool:
        return out.returnValue == self.rc.GSK_OK  # type: ignore[attr-defined]


class Conn:
    """One client connection of the completion-port server."""

    __slots__ = ("sock", "io", "handle", "calls", "port")

    def __init__(self, fd: int, calls: PlainCalls, port: int) -> None:
        from gskit.compat.structs import Qso_OverlappedIO_t

        self.sock = socket.socket(fileno=fd)
        self.sock.setsockopt(*NODELAY)
        self.io = Qso_OverlappedIO_t(descriptorHandle=self, buffer=bytearray(calls.buffer_size))
        self.calls, self.port = calls, port
        self.handle = calls.open(self)

    def close(self) -> None:
        self.sock.close()

    def echo(self, n: int) -> None:
        """Send back the ``n`` bytes received; when that completes at once (postFlag 0,
        the usual case), start the next receive."""
        if n <= 0:
            return self.close()
        io, calls = self.io, self.calls
        io.bufferLength, io.postFlag = n, 0
        sent = calls.start_send(self.handle, self.port, io)
        if sent == calls.sent_now:
            self.receive()
        elif sent != calls.sent_later:
            self.close()

    def receive(self) -> bool:
        """Start a receive, always posted (postFlag 1): even data already there queues
        behind the other connections' completions, so no connection can hog a worker."""
        io, calls = self.io, self.calls
        io.bufferLength, io.postFlag = len(io.buffer), 1
        if calls.start_recv(self.handle, self.port, io) != calls.recv_started:
            self.close()
            return False
        return True


def serve_completion_port(ls: socket.socket, opts: argparse.Namespace) -> None:
    """The seed's design: QsoStartAccept, then receive/echo on a port served by workers."""
    import threading

    from gskit.compat import qso
    from gskit.constants import QSOSTARTACCEPT

    calls = SecureCalls(opts) if opts.tls else PlainCalls(opts)
    port = qso.QsoCreateIOCompletionPort()
    accept_io = qso.Qso_OverlappedIO_t(descriptorHandle="accept", postFlag=1)

    def worker() -> None:
        out = qso.Qso_OverlappedIO_t()
        while qso.QsoWaitForIOCompletion(port, out, None) == 1:
            code, conn = out.operationCompleted, out.descriptorHandle
            if code == QSOSTARTACCEPT:
                if out.returnValue >= 0:
                    fresh = Conn(out.returnValue, calls, port)
                    if not calls.begin(fresh, port):
                        fresh.close()
                qso.QsoStartAccept(ls, port, accept_io)
            elif code == calls.recv_code:
                conn.echo(calls.received(out))
            elif calls.sent_ok(out):  # a send, or the handshake, done: receive the next
                conn.receive()
            else:
                conn.close()

    qso.QsoStartAccept(ls, port, accept_io)
    for _ in range(opts.workers):
        threading.Thread(target=worker, daemon=True).start()
    announce(ls)
    sys.stdin.read()


def serve_asyncio(ls: socket.socket, opts: argparse.Namespace) -> None:
    """asyncio's own way: a Protocol that writes back what it receives (``ssl`` with --tls)."""
    context = None
    if opts.tls:
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(opts.keyring)

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[attr-defined]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, sock=ls, backlog=4096, ssl=context)
        announce(ls)
        await stdin_closed(loop)
        server.close()

    asyncio.run(main())


def serve_streams(ls: socket.socket, opts: argparse.Namespace, gskit_aio: bool) -> None:
    """An asyncio streams echo (``reader.read``, ``writer.write``, ``drain``), TLS from
    Python's ``ssl`` or, with ``gskit_aio``, from ``gskit.aio`` (TLS only)."""
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter | SecureStreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except Exception:  # noqa: BLE001 - a client that goes away ends its connection
            pass
        writer.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ls.setblocking(False)
        if gskit_aio:
            import gskit
            from gskit import aio

            env = gskit.Environment(session_type="server", keyring_file=opts.keyring)
            env.init()
            server = await aio.start_server(echo, sock=ls, environment=env, backlog=4096)
        else:
            import ssl

            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH) if opts.tls else None
            if context is not None:
                context.load_cert_chain(opts.keyring)
            server = await asyncio.start_server(echo, sock=ls, ssl=context, backlog=4096)
        announce(ls)
        await stdin_closed(loop)
        server.close()

    if gskit_aio and not opts.tls:
        raise SystemExit("gskit.aio is TLS only: add --tls")
    asyncio.run(main())


def epoll_transport(opts: argparse.Namespace) -> tuple[Callable, tuple, Callable]:
    """(wrap a non-blocking socket, exceptions meaning "not now", "more buffered?")."""
    if not opts.tls:
        return (lambda s: s), (BlockingIOError,), (lambda c: False)
    from OpenSSL import SSL

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate_chain_file(opts.keyring)
    ctx.use_privatekey_file(opts.keyring)

    def wrap(s: socket.socket) -> SSL.Connection:
        conn = SSL.Connection(ctx, s)
        conn.set_accept_state()
        return conn

    return wrap, (SSL.WantReadError, SSL.WantWriteError), (lambda c: c.pending() > 0)


def serve_epoll(ls: socket.socket, opts: argparse.Namespace) -> None:
    """One thread, epoll level-triggered, non-blocking sockets (pyOpenSSL with --tls):
    the hand-written baseline."""
    wrap, not_now, more = epoll_transport(opts)
    ep = select.epoll()
    ls.setblocking(False)
    ep.register(ls.fileno(), select.EPOLLIN)
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    conns: dict[int, object] = {}
    backlog: dict[int, bytes] = {}
    buf = bytearray(16384)
    view = memoryview(buf)
    announce(ls)

    def close(fd: int) -> None:
        ep.unregister(fd)
        conns.pop(fd).close()  # type: ignore[attr-defined]
        backlog.pop(fd, None)

    def send(fd: int, conn: object, data: bytes | memoryview) -> None:
        try:
            sent = conn.send(data)  # type: ignore[attr-defined]
        except not_now:
            sent = 0
        if sent < len(data):
            backlog[fd] = bytes(data[sent:])
            ep.modify(fd, select.EPOLLOUT)
        elif fd in backlog:
            del backlog[fd]
            ep.modify(fd, select.EPOLLIN)

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
                    conns[s.fileno()] = wrap(s)
                    ep.register(s.fileno(), select.EPOLLIN)
                continue
            if fd == sys.stdin.fileno():
                return
            conn = conns[fd]
            if ev & select.EPOLLOUT:
                send(fd, conn, backlog[fd])
                continue
            while True:
                try:
                    n = conn.recv_into(buf)  # type: ignore[attr-defined]
                except not_now:
                    break
                except Exception:  # reset, TLS alert, close_notify: the client is gone
                    n = 0
                if n == 0:
                    close(fd)
                    break
                send(fd, conn, view[:n])
                if not more(conn):
                    break


SERVERS: dict[str, Callable[[socket.socket, argparse.Namespace], None]] = {
    "completion-port": serve_completion_port,
    "asyncio": serve_asyncio,
    "epoll": serve_epoll,
    "gskit.aio": lambda ls, opts: serve_streams(ls, opts, gskit_aio=True),
    "asyncio-streams": lambda ls, opts: serve_streams(ls, opts, gskit_aio=False),
}
DEFAULT_SERVERS = "completion-port,asyncio,epoll"


# --------------------------------------------------------------------------- client


def run_client(port: int, conns: int, seconds: float, warmup: float, ca: str | None) -> dict:
    """Closed loop over ``conns`` connections (TLS when ``ca`` is given, verified against it);
    returns counts and latency percentiles."""
    import ssl

    context = None
    if ca:
        context = ssl.create_default_context(cafile=ca)
        context.check_hostname = False
    sel = selectors.DefaultSelector()
    payload = os.urandom(REQUEST)
    state: dict[int, list] = {}
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(*NODELAY)
        if context is not None:
            s = context.wrap_socket(s)  # the handshake, blocking, before the clock starts
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
                while getattr(st[0], "pending", lambda: 0)():
                    data += st[0].recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError):
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


def make_pki(folder: str) -> tuple[str, str]:
    """A CA and an ECDSA P-256 server certificate: (keyring PEM: key, chain, CA; CA PEM)."""
    import trustme

    ca = trustme.CA(organization_name="gskit bench CA")
    issued = ca.issue_cert("127.0.0.1", "localhost", key_type=trustme.KeyType.ECDSA)
    keyring, ca_pem = os.path.join(folder, "server.pem"), os.path.join(folder, "ca.pem")
    issued.private_key_and_cert_chain_pem.write_to_path(keyring)
    with open(keyring, "ab") as f:
        f.write(ca.cert_pem.bytes())
    ca.cert_pem.write_to_path(ca_pem)
    return keyring, ca_pem


def measure(server: str, conns: int, args: argparse.Namespace) -> dict:
    """One run: the server in its process, the client in another; figures as a dict."""
    me = [sys.executable, os.path.abspath(__file__)]
    tls_server = ["--tls", "--keyring", args.keyring] if args.tls else []
    tls_client = ["--ca", args.ca] if args.tls else []
    srv = subprocess.Popen([*me, "--serve", server, "--workers", str(args.workers), *tls_server],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(srv.stdout.readline())  # type: ignore[union-attr]
        time.sleep(0.2)
        idle = rss_kib(srv.pid)
        cli = subprocess.Popen([*me, "--client", str(port), str(conns), str(args.seconds),
                                str(args.warmup), *tls_client], stdout=subprocess.PIPE, text=True)
        try:
            assert cli.stdout.readline().strip() == "connected"  # type: ignore[union-attr]
            time.sleep(args.warmup)
            loaded, cpu0 = rss_kib(srv.pid), cpu_seconds(srv.pid)
            out, _ = cli.communicate(timeout=args.seconds + args.warmup + 60)
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
    ap.add_argument("--workers", type=int, default=4,
                    help="completion-port worker threads, a pool as in the seed's design "
                         "(on CPython they share one interpreter lock)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per server (median reported)")
    ap.add_argument("--servers", default=DEFAULT_SERVERS,
                    help=f"comma-separated, first is the ratio's base; of {', '.join(SERVERS)}")
    ap.add_argument("--tls", action="store_true", help="TLS 1.3 echo (GSKit / asyncio+ssl / pyOpenSSL)")
    ap.add_argument("--keyring", help=argparse.SUPPRESS)
    ap.add_argument("--ca", help=argparse.SUPPRESS)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        SERVERS[args.serve](listener(), args)
        return
    if args.client:
        port, conns, seconds, warmup = args.client
        print(json.dumps(run_client(int(port), int(conns), float(seconds), float(warmup), args.ca)))
        return
    with tempfile.TemporaryDirectory() as folder:
        if args.tls:
            args.keyring, args.ca = make_pki(folder)
        report(args)


def report(args: argparse.Namespace) -> None:
    from gskit.io import completion

    servers = args.servers.split(",")
    print(f"gskit build: {'pure Python' if completion.__file__.endswith('.py') else 'compiled (mypyc)'}")
    print(f"{'TLS ' if args.tls else ''}{'server':<18}{'conns':>6}{'req/s':>9}{'ratio':>7}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'CPU us/req':>11}{'RSS MiB':>9}{'KiB/conn':>9}")
    for conns in (int(c) for c in args.conns.split(",")):
        runs: dict[str, list[dict]] = {name: [] for name in servers}
        for _ in range(args.rounds):  # interleaved: a noisy neighbour hits every server alike
            for name in servers:
                runs[name].append(measure(name, conns, args))
        base = median(runs[servers[0]], "rps")
        for name in servers:
            m = {key: median(runs[name], key) for key in runs[name][0]}
            print(f"{'TLS ' if args.tls else ''}{name:<18}{conns:>6}{m['rps']:>9.0f}"
                  f"{m['rps'] / base:>7.2f}{m['p50_ms']:>8.2f}{m['p99_ms']:>8.2f}"
                  f"{m['cpu_us']:>11.1f}{m['rss_mib']:>9.1f}{m['rss_per_conn_kib']:>9.1f}", flush=True)


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


if __name__ == "__main__":
    main()
