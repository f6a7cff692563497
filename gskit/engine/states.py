"""The GSKit life cycle as a table: (object, state, operation) -> new state, or the rc to refuse with.

Everything that decides whether a call is allowed in a state lives here (h11's rule 1).
A missing (state, operation) pair is refused with ``GSK_INVALID_STATE``; a closed handle
refuses everything with ``GSK_INVALID_HANDLE``.  ``docs/states.md`` is generated from
these tables (``python -m gskit.generated_docs``).
"""
from __future__ import annotations

from enum import Enum
from typing import Final, cast

from gskit import errors as rc


class _FastEnum(Enum):
    """Members hash by identity: the state table is consulted on every call."""

    __hash__ = object.__hash__


class EnvState(_FastEnum):
    OPEN = "open"                    # after gsk_environment_open: attributes may be set
    INITIALIZED = "initialized"      # after gsk_environment_init: sessions may be opened
    CLOSED = "closed"                # after gsk_environment_close (resources freed with the last session)


class SessionState(_FastEnum):
    OPEN = "open"                    # after gsk_secure_soc_open: attributes may be set
    HANDSHAKING = "handshaking"      # gsk_secure_soc_init / startInit under way
    READY = "ready"                  # secure: read, write, misc
    ERROR = "error"                  # a fatal failure: every I/O call returns the same rc
    CLOSED = "closed"                # after gsk_secure_soc_close


class Op(_FastEnum):
    SET_ATTRIBUTE = "set attribute"
    GET_ATTRIBUTE = "get attribute"
    GET_RESULT = "get a handshake result"     # read-only attributes, cert info
    INIT = "init"
    OPEN_SESSION = "open a session"
    HANDSHAKE_DONE = "handshake succeeded"
    HANDSHAKE_FAILED = "handshake failed"
    IO = "read / write / misc"
    FATAL = "fatal I/O error"
    CLOSE = "close"


_SAME: Final = object()   # "stay in the current state"
# state -> operation -> new state, _SAME, or an int: refused with that rc (IBM's own code
# for the pair instead of GSK_INVALID_STATE); typed as plain dicts so that compiled code
# looks both levels up as dicts, not by calling a method by name
Transitions = dict[Enum, dict[Op, object]]

ENVIRONMENT_TRANSITIONS: Final[Transitions] = {
    EnvState.OPEN: {
        Op.SET_ATTRIBUTE: _SAME,
        Op.GET_ATTRIBUTE: _SAME,
        Op.INIT: EnvState.INITIALIZED,
        Op.OPEN_SESSION: rc.GSK_IBMI_ERROR_NO_INITIALIZE,   # (IBM: open calls never return 5)
        Op.CLOSE: EnvState.CLOSED,
    },
    EnvState.INITIALIZED: {
        Op.GET_ATTRIBUTE: _SAME,
        Op.GET_RESULT: _SAME,
        Op.OPEN_SESSION: _SAME,
        Op.CLOSE: EnvState.CLOSED,
    },
}

SESSION_TRANSITIONS: Final[Transitions] = {
    SessionState.OPEN: {
        Op.SET_ATTRIBUTE: _SAME,
        Op.GET_ATTRIBUTE: _SAME,
        Op.INIT: SessionState.HANDSHAKING,
        Op.CLOSE: SessionState.CLOSED,
    },
    SessionState.HANDSHAKING: {
        Op.GET_ATTRIBUTE: _SAME,
        Op.HANDSHAKE_DONE: SessionState.READY,
        Op.HANDSHAKE_FAILED: SessionState.ERROR,
        Op.CLOSE: SessionState.CLOSED,
    },
    SessionState.READY: {
        Op.GET_ATTRIBUTE: _SAME,
        Op.GET_RESULT: _SAME,
        Op.IO: _SAME,
        Op.HANDSHAKE_DONE: _SAME,
        Op.HANDSHAKE_FAILED: SessionState.ERROR,
        Op.FATAL: SessionState.ERROR,
        Op.CLOSE: SessionState.CLOSED,
    },
    SessionState.ERROR: {
        Op.GET_ATTRIBUTE: _SAME,
        Op.GET_RESULT: _SAME,
        Op.FATAL: _SAME,
        Op.HANDSHAKE_FAILED: _SAME,
        Op.CLOSE: SessionState.CLOSED,
    },
}


def unchanged_by(table: Transitions, op: Op) -> frozenset:
    """The states in which ``op`` is allowed and leaves the state as it is."""
    return frozenset(state for state, row in table.items() if row.get(op) is _SAME)


def next_state(table: Transitions, state: Enum, op: Op) -> tuple[int, Enum]:
    """(GSK_OK, new state) if ``op`` is allowed in ``state``, else (rc, state)."""
    row = table.get(state)
    if row is None:                           # CLOSED has no row
        return rc.GSK_INVALID_HANDLE, state
    target = row.get(op)
    if target is _SAME:
        return rc.GSK_OK, state
    if target is None:
        return rc.GSK_INVALID_STATE, state
    if type(target) is int:
        return cast(int, target), state
    return rc.GSK_OK, cast(Enum, target)


def render_markdown() -> str:
    """The state tables as Markdown, for docs/states.md."""
    lines = ["# GSKit handle states", "", "Generated from `gskit/engine/states.py` by `python -m gskit.generated_docs`. Any pair not",
             "listed returns `GSK_INVALID_STATE`, except that a read, write, misc or asynchronous start on",
             "a session in *error* returns the rc that put it there (docs/behaviour.md); any call on a",
             "closed handle returns `GSK_INVALID_HANDLE`. A pair refused with a code of its own says so.", ""]
    for title, table in (("Environment", ENVIRONMENT_TRANSITIONS), ("Session", SESSION_TRANSITIONS)):
        lines += [f"## {title}", "", "| state | operation | next state |", "|---|---|---|"]
        for state, ops in table.items():
            for op, target in ops.items():
                if target is _SAME:
                    shown = state.value
                elif type(target) is int:
                    shown = f"refused: {rc.entry_for(cast(int, target)).name} ({target})"  # type: ignore[union-attr]
                else:
                    shown = target.value  # type: ignore[attr-defined]
                lines.append(f"| {state.value} | {op.value} | {shown} |")
        lines.append("")
    return "\n".join(lines)
