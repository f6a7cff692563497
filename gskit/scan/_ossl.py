"""The two OpenSSL calls the scanner needs that pyOpenSSL does not expose publicly.

They come from the ``cryptography`` bindings pyOpenSSL itself uses; each is looked up once
and degrades (returns None / False) if a future binding drops it, so a missing function
turns into "not probed" in the report, never a crash.
"""
from __future__ import annotations

from OpenSSL import SSL
from OpenSSL._util import lib as _lib

_SET_GROUPS = getattr(_lib, "SSL_CTX_set1_curves_list", None)  # = SSL_CTX_set1_groups_list
_SESSION_REUSED = getattr(_lib, "SSL_session_reused", None)

CAN_SET_GROUPS = _SET_GROUPS is not None


def set_groups(ctx: SSL.Context, groups: str) -> bool:
    """Restrict the client's supported groups (``"X25519:secp256r1"``); False if OpenSSL refuses."""
    if _SET_GROUPS is None:
        return False
    return _SET_GROUPS(ctx._context, groups.encode()) == 1


def session_reused(conn: SSL.Connection) -> bool | None:
    """Did this handshake resume a session?  None if the binding is missing."""
    if _SESSION_REUSED is None:
        return None
    return bool(_SESSION_REUSED(conn._ssl))

