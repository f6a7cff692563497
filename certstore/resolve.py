"""From GSKit environment attributes to the certificates and keys a handshake needs.

Called by ``gsk_environment_init``: every failure is a :class:`KeystoreError` carrying the
return code IBM i gives, so a server with no usable certificate fails at init time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from collections.abc import Sequence

from cryptography import x509

from gskit import errors as rc

from .errors import KeystoreError
from .keystore import open_keystore
from .model import Identity, Keystore
from .registry import ApplicationDefinition, Registry, RegistryData, is_system

ROLES = ("client", "server")
MAX_LABELS = 4  # GSK_KEYRING_LABEL_EX takes up to four


@dataclass(frozen=True)
class Credentials:
    """What an environment presents and trusts."""

    identities: tuple[Identity, ...]
    trusted: tuple[x509.Certificate, ...]
    use_system_trust: bool
    application: ApplicationDefinition | None = None


def open_system_store(registry: Registry, data: RegistryData | None = None) -> Keystore:
    """The *SYSTEM store, opened with the password the registry stashed for it (``data``:
    a reading of the registry already made)."""
    path, stash_path = registry.system_store(data)
    return open_keystore(path, stash_file=stash_path)


def _open_keyring(
    registry: Registry, store: str, password: str | None, stash_file: str | os.PathLike | None
) -> Keystore:
    """The store GSK_KEYRING_FILE names: *SYSTEM, or a path as the program gave it."""
    if is_system(store):
        return open_system_store(registry)
    return open_keystore(store, password=password or None, stash_file=stash_file or None)


def _identities(store: Keystore, labels: Sequence[str]) -> tuple[Identity, ...]:
    if len(labels) > MAX_LABELS:
        raise KeystoreError(
            rc.GSK_ERROR_BAD_KEYFILE_LABEL,
            f"at most {MAX_LABELS} certificate labels can be given, not {len(labels)}.",
        )
    if labels:
        return tuple(store.identity(label) for label in labels)
    default = store.default_identity()
    return (default,) if default is not None else ()


def _require_certificate(identities: tuple[Identity, ...], role: str, where: str) -> None:
    if role == "server" and not identities:
        raise KeystoreError(
            rc.GSK_ERROR_NO_CERTIFICATE, f"a server needs a certificate and {where} has none."
        )


def _credentials(
    identities: tuple[Identity, ...],
    trust: tuple[x509.Certificate, ...],
    role: str,
    app: ApplicationDefinition | None,
) -> Credentials:
    return Credentials(identities, trust, role == "client" and not trust, app)


def resolve(
    *,
    application_id: str | None = None,
    keyring_file: str | None = None,
    password: str | None = None,
    stash_file: str | None = None,
    labels: Sequence[str] = (),
    role: str = "client",
    home: str | os.PathLike | None = None,
) -> Credentials:
    """Resolve an application ID, or else a keyring file, into credentials.

    An application ID takes precedence: when both are set the keyring attributes are
    ignored, as IBM documents the application ID as the preferred of the two.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    registry = Registry(home)
    if application_id:
        data = registry.read()  # once: the application and the *SYSTEM store it may name
        app = registry.application(application_id, data)
        path, stash_path = registry.store_files(app, data)  # relative to the registry folder
        store = open_keystore(path, stash_file=stash_path)
        if role == "server" and not app.certificate_labels:
            raise KeystoreError(
                rc.GSK_ERROR_NO_CERTIFICATE,
                f"application ID {application_id!r} has no certificate assigned.",
            )
        identities = tuple(store.identity(label) for label in app.certificate_labels)
        trust = (
            tuple(store.get(label).certificate for label in app.ca_trust_list)
            if app.ca_trust_list
            else store.trusted_certificates()
        )
        return _credentials(identities, trust, role, app)
    if keyring_file:
        store = _open_keyring(registry, keyring_file, password, stash_file)
        identities = _identities(store, labels)
        _require_certificate(identities, role, f"keystore {keyring_file}")
        return _credentials(identities, store.trusted_certificates(), role, None)
    if role == "server":
        raise KeystoreError(
            rc.GSK_ERROR_NO_CERTIFICATE,
            "a server needs a certificate: set an application ID or a keyring file.",
        )
    return Credentials((), (), True, None)
