"""The application-ID registry: the stand-in for IBM i's Digital Certificate Manager.

One TOML file, ``registry.toml`` under :func:`registry_home`, holds where the ``*SYSTEM``
store is and every application definition.  Writers take an exclusive lock on
``registry.lock`` and replace the file atomically, so concurrent writers serialise and a
crash leaves either the old or the new registry.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

from gskit import errors as rc
from gskit.attributes.protocols import Protocol

from . import _toml
from .errors import KeystoreError, Refused, quoted
from .files import atomic_write, may_exist, read_bytes
from .model import check_label

SYSTEM = "*SYSTEM"
REGISTRY_FILE = "registry.toml"
LOCK_FILE = "registry.lock"
TYPES = ("server", "client")
CLIENT_AUTH = ("none", "optional", "required")
MAX_CERTIFICATES = 4
_APP_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}")
_SUITE = re.compile(r"TLS_[A-Z0-9_]+")
_NOT_ONE_LINE = ("Cc", "Zl", "Zp")  # control characters (ESC, BEL, new line...), line breaks
_LIST_FIELDS = ("certificate_labels", "ca_trust_list", "protocols", "cipher_suites", "sni_names")
HEADER = """\
# gskit certificate registry: the stand-in for IBM i's Digital Certificate Manager (DCM).
# Safe to edit by hand (keep it valid TOML); `gskit certstore app ...` edits it for you.
# Paths are relative to this folder unless absolute; "*SYSTEM" names the system store."""


def is_system(name: str | None) -> bool:
    """True for ``*SYSTEM`` in any case, with blanks around it."""
    return name is not None and name.strip().upper() == SYSTEM


def registry_home(home: str | os.PathLike | None = None) -> Path:
    """``home`` if given, else $GSKIT_HOME, else the per-user data folder for gskit."""
    if home is not None:
        return Path(home)
    env = os.environ.get("GSKIT_HOME")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "gskit"


@dataclass(frozen=True)
class ApplicationDefinition:
    """A DCM application definition."""

    application_id: str
    description: str = ""
    type: str = "server"
    certificate_labels: tuple[str, ...] = ()
    ca_trust_list: tuple[str, ...] = ()
    protocols: tuple[str, ...] | None = None
    cipher_suites: tuple[str, ...] | None = None
    sni_names: tuple[str, ...] | None = None
    client_auth: str | None = None
    store: str = SYSTEM
    stash_file: str | None = None  # for a store other than *SYSTEM

    def __post_init__(self) -> None:
        _validate(self)
        if self.protocols is not None:  # one spelling for the engine: "TLSv1.3"
            object.__setattr__(self, "protocols", normalise_protocols(self.protocols))

    def to_toml(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "type": self.type,
            "store": self.store,
            "stash_file": self.stash_file,
            "certificate_labels": list(self.certificate_labels),
            "ca_trust_list": list(self.ca_trust_list),
            "protocols": None if self.protocols is None else list(self.protocols),
            "cipher_suites": None if self.cipher_suites is None else list(self.cipher_suites),
            "sni_names": None if self.sni_names is None else list(self.sni_names),
            "client_auth": self.client_auth,
        }

    @classmethod
    def from_toml(cls, app_id: str, table: dict[str, Any]) -> ApplicationDefinition:
        """A definition from its registry table; unknown or mistyped settings are refused."""
        known = {f.name for f in fields(cls)} - {"application_id"}
        values: dict[str, Any] = {}
        for name, value in table.items():
            if name not in known:
                raise _invalid(app_id, f"{quoted(name)} is not a setting")
            if name in _LIST_FIELDS:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise _invalid(app_id, f"{name} must be a list of strings")
                value = tuple(value)
            elif not isinstance(value, str):
                raise _invalid(app_id, f"{name} must be a string")
            values[name] = value
        return cls(application_id=app_id, **values)


class InvalidDefinition(KeystoreError):
    """An application definition whose settings are not valid (GSK_IBMI_ERROR_NOT_REGISTERED)."""


def _invalid(app_id: object, why: str) -> InvalidDefinition:
    return InvalidDefinition(
        rc.GSK_IBMI_ERROR_NOT_REGISTERED,
        f"application definition {quoted(app_id)} is not valid: {why}.",
    )


def check_application_id(app_id: str) -> str:
    if not isinstance(app_id, str) or not _APP_ID.fullmatch(app_id):
        raise _invalid(app_id, "an application ID is 1 to 100 letters, digits, '_', '.' or '-'")
    return app_id


def _validate(app: ApplicationDefinition) -> None:
    check_application_id(app.application_id)
    if app.type not in TYPES:
        raise _invalid(app.application_id, f"type must be one of {', '.join(TYPES)}")
    if len(app.certificate_labels) > MAX_CERTIFICATES:
        raise _invalid(
            app.application_id, f"at most {MAX_CERTIFICATES} certificates can be assigned"
        )
    for label in (*app.certificate_labels, *app.ca_trust_list):
        check_label(label)
    if app.client_auth is not None and app.client_auth not in CLIENT_AUTH:
        raise _invalid(app.application_id, f"client_auth must be one of {', '.join(CLIENT_AUTH)}")
    for name in app.protocols or ():
        try:
            if not Protocol.from_label(name).negotiable:
                raise ValueError
        except ValueError:
            raise _invalid(app.application_id, f"{quoted(name)} is not a TLS protocol version") from None
    for suite in app.cipher_suites or ():
        if not _SUITE.fullmatch(suite):
            raise _invalid(app.application_id, f"{quoted(suite)} is not an IANA cipher-suite name")
    if not app.store:
        raise _invalid(app.application_id, "the store must be a keystore path or *SYSTEM")
    for name in ("description", "store", "stash_file", "sni_names"):
        value = getattr(app, name)
        if not all(_toml.is_text(v) for v in ((value,) if isinstance(value, str) else value or ())):
            raise _invalid(app.application_id, f"the {name} is not valid Unicode text")
    if any(unicodedata.category(c) in _NOT_ONE_LINE for c in app.description):
        raise _invalid(
            app.application_id,
            "the description must be one line of text, without control characters",
        )
    for name in app.sni_names or ():
        if not is_host_name(name):
            raise _invalid(app.application_id, f"the server name {quoted(name)} is not a host name")
    for name in ("protocols", "cipher_suites", "sni_names"):
        if getattr(app, name) == ():
            raise _invalid(
                app.application_id,
                f"an empty {name} list would allow nothing; leave the setting out for the "
                "system default",
            )


def is_host_name(name: str) -> bool:
    """A DNS host name, in ASCII or Unicode letters, optionally ``*.`` first: labels of
    letters, digits, '-' and '_' separated by dots (no blank, no control character)."""
    labels = name.removeprefix("*.").split(".")
    return len(name) <= 253 and all(
        0 < len(label) <= 63
        and all(c in "-_" or unicodedata.category(c)[0] in "LMN" for c in label)
        for label in labels
    )


def normalise_protocols(names: tuple[str, ...]) -> tuple[str, ...]:
    """``("tls1.3", "TLSV12")`` -> ``("TLSv1.3", "TLSv1.2")``."""
    return tuple(Protocol.from_label(n).label for n in names)


@dataclass
class RegistryData:
    """The registry file's content, in memory."""

    system_store: str | None = None
    system_stash: str | None = None
    applications: dict[str, ApplicationDefinition] = field(default_factory=dict)
    broken: dict[str, KeystoreError] = field(default_factory=dict)  # invalid hand-made entries


class Registry:
    """The registry under one home folder."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.home = registry_home(home)
        self.path = self.home / REGISTRY_FILE

    def resolve_path(self, name: str) -> Path:
        """A path from the registry, relative to the home folder."""
        path = Path(name).expanduser()
        return path if path.is_absolute() else self.home / path

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the registry's exclusive lock (other processes and threads wait)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / LOCK_FILE, "a+b") as f:
            _lock(f.fileno())
            try:
                yield
            finally:
                _unlock(f.fileno())

    def read(self) -> RegistryData:
        """The registry (empty when the file does not exist yet)."""
        if not may_exist(self.path):
            return RegistryData()
        raw = read_bytes(self.path, what="registry file")
        try:
            doc = _toml.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, _toml.TOMLDecodeError) as exc:
            raise KeystoreError(
                rc.GSK_KEYRING_OPEN_ERROR, f"the registry {self.path} is not valid TOML ({exc})."
            ) from None
        system, tables = doc.get("system_store") or {}, doc.get("applications") or {}
        if not (
            isinstance(system, dict)
            and isinstance(tables, dict)
            and all(isinstance(system.get(k, ""), str) for k in ("path", "stash"))
        ):
            raise KeystoreError(
                rc.GSK_KEYRING_OPEN_ERROR,
                f"the registry {self.path} has a malformed system_store or applications table.",
            )
        data = RegistryData(system.get("path"), system.get("stash"))
        for app_id, table in tables.items():
            try:
                if not isinstance(table, dict):
                    raise _invalid(app_id, "it is not a table")
                data.applications[app_id] = ApplicationDefinition.from_toml(app_id, table)
            except KeystoreError as exc:
                data.broken[app_id] = exc  # other applications stay usable
        return data

    def write(self, data: RegistryData) -> None:
        """Replace the registry file (call with :meth:`lock` held).

        Refused while a hand-made entry is invalid, so that a write never drops it."""
        if data.broken:
            exc = next(iter(data.broken.values()))
            raise KeystoreError(
                rc.GSK_KEYRING_OPEN_ERROR,
                f"{exc} Fix or remove it in {self.path} before changing the registry.",
            )
        doc: dict[str, Any] = {"version": 1}
        if data.system_store:
            doc["system_store"] = {"path": data.system_store, "stash": data.system_stash}
        doc["applications"] = {k: v.to_toml() for k, v in sorted(data.applications.items())}
        self.home.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, _toml.dumps(doc, HEADER).encode("utf-8"), mode=0o644)

    def update(self, change: Callable[[RegistryData], None]) -> RegistryData:
        """Read, apply ``change`` and write back, all under the lock."""
        with self.lock():
            data = self.read()
            change(data)
            self.write(data)
            return data

    def application(self, app_id: str, data: RegistryData | None = None) -> ApplicationDefinition:
        """The definition of ``app_id`` (in ``data``, one reading of the registry, or read
        now); GSK_IBMI_ERROR_NOT_REGISTERED when there is none."""
        data = data if data is not None else self.read()
        if app_id in data.broken:
            raise data.broken[app_id]
        app = data.applications.get(app_id)
        if app is None:
            raise KeystoreError(
                rc.GSK_IBMI_ERROR_NOT_REGISTERED,
                f"application ID {quoted(app_id)} is not registered in {self.path}.",
            )
        return app

    def require_unregistered(self, app_id: str, data: RegistryData | None = None) -> None:
        """:class:`Refused` when ``app_id`` is registered (in ``data``, or read now), even
        as an invalid entry."""
        data = data if data is not None else self.read()
        if app_id in data.applications or app_id in data.broken:
            raise Refused(f"application ID {quoted(app_id)} is already registered.")

    def register(self, app: ApplicationDefinition, *, replace_existing: bool = False) -> None:
        """Add ``app``; :class:`Refused` if its ID is taken, unless ``replace_existing``."""

        def change(data: RegistryData) -> None:
            if not replace_existing:
                self.require_unregistered(app.application_id, data)
            data.applications[app.application_id] = app
            data.broken.pop(app.application_id, None)

        self.update(change)

    def modify(self, app_id: str, **changes: Any) -> ApplicationDefinition:
        """Change fields of a registered definition; returns the new one."""
        result: list[ApplicationDefinition] = []

        def change(data: RegistryData) -> None:
            old = data.applications.get(app_id)
            if old is None:
                raise KeystoreError(
                    rc.GSK_IBMI_ERROR_NOT_REGISTERED,
                    f"application ID {quoted(app_id)} is not registered.",
                )
            result.append(replace(old, **changes))
            data.applications[app_id] = result[0]

        self.update(change)
        return result[0]

    def remove(self, app_id: str) -> None:
        def change(data: RegistryData) -> None:
            found = data.applications.pop(app_id, None) or data.broken.pop(app_id, None)
            if found is None:
                raise KeystoreError(
                    rc.GSK_IBMI_ERROR_NOT_REGISTERED,
                    f"application ID {quoted(app_id)} is not registered.",
                )

        self.update(change)

    def system_store(self, data: RegistryData | None = None) -> tuple[Path, Path | None]:
        """The *SYSTEM store and its stash (in ``data``, or read now); GSK_KEYRING_OPEN_ERROR
        when none is set up."""
        data = data if data is not None else self.read()
        if not data.system_store:
            raise KeystoreError(
                rc.GSK_KEYRING_OPEN_ERROR,
                f"no *SYSTEM store is set up in {self.home}; run 'gskit certstore dev-ca --system' "
                "or 'gskit certstore create *SYSTEM'.",
            )
        stash_path = self.resolve_path(data.system_stash) if data.system_stash else None
        return self.resolve_path(data.system_store), stash_path

    def store_files(
        self, app: ApplicationDefinition, data: RegistryData | None = None
    ) -> tuple[Path, Path | None]:
        """The store and stash file of ``app``: the *SYSTEM store's (in ``data``, or read now),
        or its own, relative to the registry folder unless absolute (``~`` expanded)."""
        if is_system(app.store):
            return self.system_store(data)
        stash_path = self.resolve_path(app.stash_file) if app.stash_file else None
        return self.resolve_path(app.store), stash_path


if sys.platform == "win32":  # pragma: no cover - not exercised on Linux CI
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
