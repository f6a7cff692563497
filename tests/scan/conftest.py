"""Peers for the scanner tests: real ``openssl s_server`` instances, and misbehaving TCP servers."""
from __future__ import annotations

import contextlib
import select
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest
import trustme

OPENSSL = shutil.which("openssl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, log: Path, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"s_server exited: {log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("s_server did not start listening")


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> dict[str, Path]:
    """An RSA and an ECDSA identity (from separate CAs), and each CA's PEM."""
    folder = tmp_path_factory.mktemp("certs")
    out = {}
    for kind, key_type in (("rsa", trustme.KeyType.RSA), ("ecdsa", trustme.KeyType.ECDSA)):
        ca = trustme.CA(key_type=key_type)
        leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=key_type)
        other = ca.issue_cert("other.test", key_type=key_type)
        out[kind] = folder / f"{kind}.pem"
        out[f"{kind}-other"] = folder / f"{kind}-other.pem"
        out[f"{kind}-ca"] = folder / f"{kind}-ca.pem"
        leaf.private_key_and_cert_chain_pem.write_to_path(str(out[kind]))
        other.private_key_and_cert_chain_pem.write_to_path(str(out[f"{kind}-other"]))
        ca.cert_pem.write_to_path(str(out[f"{kind}-ca"]))
    return out


@pytest.fixture
def s_server(certs, tmp_path):
    """Start ``openssl s_server`` with extra arguments; returns its port; killed on teardown."""
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed")
    procs: list[subprocess.Popen] = []

    def start(*args: str, cert: str = "rsa") -> int:
        port = free_port()
        cmd = [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(certs[cert]),
               "-key", str(certs[cert]), "-quiet", "-naccept", "1000", *args]
        log = tmp_path / f"s_server-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_listening(port, proc, log)
        return port

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=5)


# --- misbehaving TCP servers (fixed bytes, silence, trickle, a connection limit) ----------

@contextlib.contextmanager
def _serving(handle):
    """Accept connections on loopback and run ``handle(conn, stop)`` for each in a thread."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def accept_loop() -> None:
        count = 0
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            count += 1
            worker = threading.Thread(target=_run, args=(handle, conn, stop, count), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for worker in workers:
            worker.join(timeout=5)


def _run(handle, conn: socket.socket, stop: threading.Event, count: int) -> None:
    conn.settimeout(0.2)
    try:
        handle(conn, stop, count)
    except OSError:
        pass
    finally:
        conn.close()


def raw_server(reply: bytes | None):
    """Answer each connection with ``reply`` after its first bytes; None: stay silent."""
    def handle(conn, stop, count):
        if reply is None:
            stop.wait()
            return
        conn.recv(4096)
        conn.sendall(reply)
    return _serving(handle)


def reset_server():
    """Reset every connection (RST: SO_LINGER 0) as soon as it is accepted."""
    def handle(conn, stop, count):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return _serving(handle)


def trickle_server():
    """Start a TLS record header, then send one byte every 0.1 s, forever."""
    def handle(conn, stop, count):
        conn.recv(4096)
        conn.sendall(b"\x16\x03\x03\x40\x00")
        while not stop.wait(0.1):
            conn.sendall(b"\x00")
    return _serving(handle)


def limited_proxy(upstream: int, allow: int):
    """Forward the first ``allow`` connections to ``upstream``; close every later one at once."""
    def handle(conn, stop, count):
        if count > allow:
            return
        with socket.create_connection(("127.0.0.1", upstream), timeout=5) as up:
            peers = {conn: up, up: conn}
            deadline = time.monotonic() + 10
            while not stop.is_set() and time.monotonic() < deadline:
                ready, _, _ = select.select(list(peers), [], [], 0.1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
    return _serving(handle)


def first_record_proxy(upstream: int):
    """Forward to ``upstream``, but close each connection once the server's first TLS record
    (its ServerHello) has gone through: the suite is known, the certificate never comes."""
    def first_record(sock: socket.socket) -> bytes:
        data = b""
        while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
            chunk = sock.recv(65536)
            if not chunk:
                return b""
            data += chunk
        return data[:5 + int.from_bytes(data[3:5], "big")]

    def handle(conn, stop, count):
        conn.settimeout(5)
        hello = first_record(conn)
        if not hello:
            return
        with socket.create_connection(("127.0.0.1", upstream), timeout=5) as up:
            up.sendall(hello)
            conn.sendall(first_record(up))
    return _serving(handle)


class SilentListener:
    """Accepts TCP connections and never answers; counts them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_listener():
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture
def misbehaving():
    """The misbehaving-server factories, each a context manager yielding its port."""
    return {"raw": raw_server, "reset": reset_server, "trickle": trickle_server, "limited_proxy": limited_proxy,
            "first_record_proxy": first_record_proxy}
