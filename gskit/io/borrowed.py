"""``BorrowedSocket``: a socket object on a descriptor the application owns.

Python, not compiled (``setup.py``): a compiled class cannot extend a C type such as
``_socket.socket``.  ``gskit.io.transports``, which is compiled, makes one when a session
needs a socket object (memory BIOs, the asynchronous calls), never for one OpenSSL runs on.
"""
from __future__ import annotations

import _socket


class BorrowedSocket(_socket.socket):
    """A socket object that never closes its descriptor, even when dropped by the garbage
    collector (the socket types would).  Built on the C type: ``socket.socket``'s Python
    layer adds nothing used here."""

    def __del__(self) -> None:
        self.detach()
