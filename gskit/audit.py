"""Secure-connection audit records (IBM i's SK-S / SK-X journal entries).  Stub: being written."""
from __future__ import annotations


def handshake(session: object, error: object | None) -> None:
    """Record one handshake: ``error`` is None on success, else the GSKError."""
