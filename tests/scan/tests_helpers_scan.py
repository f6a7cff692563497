"""A plain TCP server that answers every connection with fixed bytes (or stays silent)."""
from __future__ import annotations

import contextlib
import socket
import threading


@contextlib.contextmanager
def raw_server(reply: bytes | None):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            if reply is None:
                held.append(conn)  # say nothing, keep it open
            else:
                try:
                    conn.recv(4096)
                    conn.sendall(reply)
                except OSError:
                    pass
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in held:
            conn.close()
