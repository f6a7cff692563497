"""What environments and sessions share: attribute values set and read through the table.

``Handle.set_attribute`` / ``get_attribute`` implement ``gsk_attribute_set_*`` and
``gsk_attribute_get_*`` for both kinds of handle: look the ID up in the attribute table,
check scope, phase and state, check the value, store it.  They raise ``GSKError`` with the
rc IBM i returns; the compat layer turns that back into the return code.
"""
from __future__ import annotations

from _thread import RLock  # (threading.RLock is a Python function that returns this)
from enum import Enum
from typing import Any, ClassVar, Final, TypeVar

from gskit import constants as c
from gskit import errors as rc
from gskit._compiled import mypyc_attr
from gskit.attributes import ciphers
from gskit.attributes.protocols import Protocol
from gskit.attributes.table import (
    ATTRIBUTES, CIPHER_SPEC_ATTRIBUTES, PROTOCOL_SWITCHES, Attribute, Kind, Phase, lookup,
)
from gskit.attributes.values import AttributeValues
from gskit.callbacks import check_callback, conflicting_validation
from gskit.engine import config as config_module
from gskit.engine.states import Op, Transitions, next_state
from gskit.errors import GSKError

MAX_LABELS: Final = 4
# Attributes a session may change without needing an OpenSSL context of its own.
PER_CONNECTION: Final = frozenset({
    c.GSK_FD, c.GSK_USER_DATA, c.GSK_IBMI_READ_TIMEOUT, c.GSK_HANDSHAKE_TIMEOUT,
    c.GSK_SSL_EXTN_SERVERNAME_REQUEST, c.GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST,
    c.GSK_IO_CALLBACK, c.GSK_CLIENT_CERT_CALLBACK,
    c.GSK_CIPHER_SESSION_RESET,
})


def _fail(code: int, detail: str | None = None) -> GSKError:
    return GSKError.for_rc(code, detail)


def buffer_text(value: object, size: object) -> str:
    """C's (buffer, bufSize) as Python text: size 0/None = up to the first NUL; otherwise
    the first ``size`` characters of a str, or bytes of a bytes-like value (UTF-8)."""
    if isinstance(value, str):
        return value[:_end(value, size)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        whole = bytes(value)
        return whole[:_end(whole, size)].decode("utf-8", "surrogateescape")
    raise _fail(rc.GSK_IBMI_ERROR_INVALID_POINTER, "the buffer must be str or bytes")


def _end(whole: str | bytes, size: object) -> int:
    """Where C's (buffer, bufSize) ends: at ``size``, or for 0/None at the first NUL (or the end)."""
    if size is None or size == 0:
        nul = whole.find("\0") if isinstance(whole, str) else whole.find(b"\0")
        return len(whole) if nul < 0 else nul
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or size > len(whole):
        raise _fail(rc.GSK_ATTRIBUTE_INVALID_LENGTH, f"bufSize {size!r} does not fit a buffer of {len(whole)}")
    return size


def _kind_of(attr_id: object) -> Kind:
    """The kind of attribute ``attr_id`` names; GSK_ATTRIBUTE_INVALID_ID when it names none."""
    row = ATTRIBUTES.get(attr_id) if isinstance(attr_id, int) else None  # (not hashable: no ID)
    if row is None:
        raise _fail(rc.GSK_ATTRIBUTE_INVALID_ID, f"{attr_id!r} is not an attribute ID")
    return row.kind


H = TypeVar("H", bound="Handle")


@mypyc_attr(allow_interpreted_subclasses=True)
class Handle:
    """Base of Environment and Session: a lock, a state, attribute values; a context
    manager that closes it (subclasses define ``close``)."""

    is_session: ClassVar[bool] = False

    def __init__(self, values: AttributeValues, state: Enum, release: str,
                 transitions: Transitions, closed_state: Enum) -> None:
        self._lock = RLock()
        self._values = values
        self._state = state
        self.release = release          # the IBM i release whose defaults apply
        # The kind's life cycle (gskit.engine.states), consulted on every call: kept in the
        # instance, which compiled code reads without the class look-up by name.
        self._transitions = transitions
        self._closed_state = closed_state

    # -- state -------------------------------------------------------------------------------
    @property
    def state(self) -> Enum:
        return self._state

    @property
    def closed(self) -> bool:
        return self._state is self._closed_state

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.closed:
            self.close()

    def _advance(self, op: Op) -> None:
        code, new_state = next_state(self._transitions, self._state, op)
        if code != rc.GSK_OK:
            raise _fail(code, f"{op.value} is not allowed when the {self._kind} is {self._state.value}")
        self._state = new_state

    @property
    def _kind(self) -> str:
        return "session" if self.is_session else "environment"

    # -- set ---------------------------------------------------------------------------------
    def set_attribute(self, kind: Kind, attr_id: Any, value: Any, size: Any = None) -> None:
        """``gsk_attribute_set_<kind>``: raises GSKError with IBM's rc."""
        with self._lock:
            if self.closed:
                raise _fail(rc.GSK_INVALID_HANDLE, f"the {self._kind} is closed")
            row = self._row(kind, attr_id)
            if row.phase is Phase.READ_ONLY:
                raise _fail(rc.GSK_ATTRIBUTE_INVALID_ID, f"{row.name} can only be read")
            self._advance(Op.SET_ATTRIBUTE)
            stored = self._check_value(row, value, size)
            self._store(row, stored)

    def _row(self, kind: Kind, attr_id: object) -> Attribute:
        row = lookup(attr_id, kind)
        if row is None:
            raise _fail(rc.GSK_ATTRIBUTE_INVALID_ID, f"{attr_id!r} is not a {kind.value} attribute ID")
        if not row.scope.allows(self.is_session):
            raise _fail(rc.GSK_ATTRIBUTE_INVALID_ID, f"{row.name} cannot be used with a {self._kind} handle")
        return row

    def _check_value(self, row: Attribute, value: Any, size: Any) -> object:
        if row.kind is Kind.BUFFER:
            text = buffer_text(value, size)
            if row.id in CIPHER_SPEC_ATTRIBUTES:
                return self._parse_specs(row, text)
            if row.id == c.GSK_KEYRING_LABEL_EX and len([x for x in text.split(",") if x.strip()]) > MAX_LABELS:
                raise _fail(rc.GSK_INVALID_PARAMETER, f"at most {MAX_LABELS} labels may be given")
            return text
        if row.kind is Kind.NUMERIC:
            if row.id == c.GSK_FD and hasattr(value, "fileno"):
                value = value.fileno()
            if not isinstance(value, int) or isinstance(value, bool) or not row.check_value(value):
                raise _fail(rc.GSK_ATTRIBUTE_INVALID_NUMERIC_VALUE, f"{value!r} is not valid for {row.name}")
            return value
        if row.kind is Kind.ENUM:
            if not isinstance(value, int) or isinstance(value, bool) or not row.check_value(value):
                raise _fail(rc.GSK_ATTRIBUTE_INVALID_ENUMERATION, f"{value!r} is not valid for {row.name}")
            if conflicting_validation(value, self._values.get(c.GSK_CERT_VALIDATION_CALLBACK)):
                raise _fail(rc.GSK_CONFLICTING_VALIDATION_SETTING,
                            "PASSTHRU authentication conflicts with a callback that requires validation")
            return value
        return self._check_callback(row, value)

    def _parse_specs(self, row: Attribute, text: str) -> tuple:
        try:
            return tuple(config_module.parse_spec_attribute(row.id, text))
        except ciphers.CipherSpecError as exc:
            raise _fail(rc.GSK_INVALID_PARAMETER, f"{row.name}: {exc}") from None

    def _check_callback(self, row: Attribute, value: Any) -> object:
        code = check_callback(row.id, value, self._values)
        if code != rc.GSK_OK:
            raise _fail(code, f"not a valid {row.name} value")
        return value

    def _store(self, row: Attribute, value: object) -> None:
        if row.id in CIPHER_SPEC_ATTRIBUTES:
            key, _ = CIPHER_SPEC_ATTRIBUTES[row.id]
            self._values.cipher_lists[key] = value  # type: ignore[assignment]
        else:
            self._values.values[row.id] = value

    # -- get ---------------------------------------------------------------------------------
    def get_attribute(self, kind: Kind, attr_id: Any) -> Any:
        """``gsk_attribute_get_<kind>``: raises GSKError with IBM's rc."""
        with self._lock:
            if self.closed:
                raise _fail(rc.GSK_INVALID_HANDLE, f"the {self._kind} is closed")
            row = self._row(kind, attr_id)
            if row.phase is Phase.READ_ONLY:
                self._advance(Op.GET_RESULT)
                return self._result(row)
            self._advance(Op.GET_ATTRIBUTE)
            return self._current(row)

    def _current(self, row: Attribute) -> Any:
        if row.id in CIPHER_SPEC_ATTRIBUTES:
            return self._spec_text(row.id)
        if row.id in PROTOCOL_SWITCHES:
            enabled = config_module.enabled_protocols(self._values, self.release)
            return c.GSK_TRUE if Protocol[PROTOCOL_SWITCHES[row.id]] in enabled else c.GSK_FALSE
        value = self._values.get(row.id, row.default)
        if row.kind is Kind.BUFFER and value is None:
            return ""
        return value

    def _spec_text(self, attr_id: int) -> str:
        key, _ = CIPHER_SPEC_ATTRIBUTES[attr_id]
        if key in ("V2", "V3"):
            suites = self._values.cipher_lists.get(key)
            if suites is None:
                suites = () if key == "V2" else config_module.default_suites(self.release, Protocol.TLSV12)
        else:
            suites, _ = config_module.protocol_suites(self._values, self.release, Protocol[key])
        return config_module.format_spec_attribute(attr_id, list(suites))

    def _result(self, row: Attribute) -> Any:
        raise _fail(rc.GSK_ATTRIBUTE_INVALID_ID, f"{row.name} is a session result")

    # -- Pythonic access by ID, whatever the kind ------------------------------------------
    def get(self, attr_id: Any) -> Any:
        """The value of any attribute (``session.get(GSK_PROTOCOL_USED)``); raises GSKError."""
        return self.get_attribute(_kind_of(attr_id), attr_id)

    def set(self, attr_id: Any, value: Any) -> None:
        """Set any attribute by ID (``env.set(GSK_HANDSHAKE_TIMEOUT, 5)``); raises GSKError."""
        self.set_attribute(_kind_of(attr_id), attr_id, value)

    @property
    def values(self) -> AttributeValues:
        return self._values

