"""Misbehaving TCP servers for the scanner tests: fixed bytes, silence, trickle, a connection limit."""
from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


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
