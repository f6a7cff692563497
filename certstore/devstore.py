"""Development certificates and the demo's embedded default *SYSTEM store."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gskit import errors as rc

from . import pem, stash
from .errors import KeystoreError
from .files import atomic_write
from .keystore import open_keystore, save_keystore
from .model import Entry
from .registry import ApplicationDefinition, Registry, RegistryData

CA_LABEL = "gskit-dev-ca"
SERVER_RSA_LABEL = "gskit-dev-server-rsa"
SERVER_ECDSA_LABEL = "gskit-dev-server-ecdsa"
CLIENT_LABEL = "gskit-dev-client"
SERVER_NAMES = ("localhost", "127.0.0.1", "::1")
SYSTEM_STORE_FILE = "system.kdb"
SYSTEM_STASH_FILE = "system.sth"
DEMO_SERVER = "GSKIT_DEMO_SERVER"
DEMO_CLIENT = "GSKIT_DEMO_CLIENT"
# file name in a dev-ca output folder -> label of the entry it holds
DEV_FILES = {
    "ca.pem": CA_LABEL,
    "server-rsa.pem": SERVER_RSA_LABEL,
    "server-ecdsa.pem": SERVER_ECDSA_LABEL,
    "client.pem": CLIENT_LABEL,
}
DEMO_APPLICATIONS = (
    ApplicationDefinition(
        DEMO_SERVER,
        "gskit demo TLS echo server",
        "server",
        certificate_labels=(SERVER_RSA_LABEL, SERVER_ECDSA_LABEL),
        ca_trust_list=(CA_LABEL,),
    ),
    ApplicationDefinition(
        DEMO_CLIENT,
        "gskit demo TLS client",
        "client",
        certificate_labels=(CLIENT_LABEL,),
        ca_trust_list=(CA_LABEL,),
    ),
)


@dataclass(frozen=True)
class DevCertificates:
    """A development CA and the certificates it issued, as keystore entries."""

    entries: tuple[Entry, ...]  # CA (trusted, no key), RSA server, ECDSA server, client

    @property
    def ca(self) -> x509.Certificate:
        return self.entries[0].certificate


def _leaf(
    ca: trustme.CA, label: str, names: tuple[str, ...], key_type: trustme.KeyType, cn: str
) -> Entry:
    issued = ca.issue_cert(*names, common_name=cn, key_type=key_type)
    cert = x509.load_pem_x509_certificate(issued.cert_chain_pems[0].bytes())
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), None)
    return Entry(label, cert, key)


def make_dev_certificates() -> DevCertificates:
    """A fresh development CA (RSA), RSA and ECDSA server certificates for localhost,
    127.0.0.1 and ::1, and a client certificate."""
    ca = trustme.CA(organization_name="gskit development CA", key_type=trustme.KeyType.RSA)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    return DevCertificates(
        (
            Entry(CA_LABEL, ca_cert, None, trusted=True),
            _leaf(ca, SERVER_RSA_LABEL, SERVER_NAMES, trustme.KeyType.RSA, "localhost"),
            _leaf(ca, SERVER_ECDSA_LABEL, SERVER_NAMES, trustme.KeyType.ECDSA, "localhost"),
            _leaf(
                ca,
                CLIENT_LABEL,
                ("client.gskit.test",),
                trustme.KeyType.ECDSA,
                "gskit development client",
            ),
        )
    )


def write_dev_files(dev: DevCertificates, folder: str | os.PathLike) -> list[Path]:
    """Write one PEM file per entry (see DEV_FILES) into ``folder``; keys are not encrypted."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    by_label = {e.label: e for e in dev.entries}
    return [
        atomic_write(
            out / name,
            pem.build([by_label[label]], None),
            mode=0o600 if by_label[label].private_key else 0o644,
        )
        for name, label in DEV_FILES.items()
    ]


def system_store_exists(registry: Registry, data: RegistryData) -> bool:
    """Does the registry name a *SYSTEM store that is there?"""
    return data.system_store is not None and registry.resolve_path(data.system_store).exists()


def _system_files(registry: Registry) -> list[Path]:
    """Those of system.kdb and system.sth that are in the registry folder."""
    names = (SYSTEM_STORE_FILE, SYSTEM_STASH_FILE)
    return [registry.home / n for n in names if os.path.lexists(registry.home / n)]


def _left_unchanged(registry: Registry, found: list[Path], why: str) -> KeystoreError:
    """GSK_KEYRING_OPEN_ERROR: ``found`` stays as it is, and what to do about it."""
    one = len(found) == 1
    return KeystoreError(
        rc.GSK_KEYRING_OPEN_ERROR,
        f"{' and '.join(p.name for p in found)} {'is' if one else 'are'} already in "
        f"{registry.home} and {why}, so {'it was' if one else 'they were'} left unchanged: "
        f"move {'it' if one else 'them'} away to create a new *SYSTEM store.",
    )


def adopt_system_store(registry: Registry, data: RegistryData) -> bool:
    """Name in ``data`` the system.kdb and system.sth already in the registry folder when the
    registry does not (registry.toml was deleted or rewritten) and the stash opens the store;
    False when neither file is there.  One of them alone, or a pair that does not open, is
    GSK_KEYRING_OPEN_ERROR: they are never overwritten."""
    found = _system_files(registry)
    if not found:
        return False
    if len(found) == 1:
        raise _left_unchanged(registry, found, "the other file of the pair is missing")
    try:
        open_keystore(found[0], stash_file=found[1])
    except KeystoreError as exc:
        raise _left_unchanged(registry, found, f"they do not open ({exc.name})") from None
    data.system_store, data.system_stash = SYSTEM_STORE_FILE, SYSTEM_STASH_FILE
    return True


def create_system_store(registry: Registry, data: RegistryData, entries: list[Entry]) -> None:
    """A new *SYSTEM store (.kdb) holding ``entries``, its random password stashed beside it;
    the caller holds the registry lock and writes ``data``.  An existing system.kdb or
    system.sth is never overwritten (GSK_KEYRING_OPEN_ERROR; see :func:`adopt_system_store`)."""
    found = _system_files(registry)
    if found:
        them = "it" if len(found) == 1 else "them"
        raise _left_unchanged(registry, found, f"a new store would replace {them}")
    password = secrets.token_urlsafe(32)
    save_keystore(
        registry.home / SYSTEM_STORE_FILE, entries, password, "kdb",
        stash_file=registry.home / SYSTEM_STASH_FILE,
    )
    data.system_store, data.system_stash = SYSTEM_STORE_FILE, SYSTEM_STASH_FILE


def _add_missing(registry: Registry, data: RegistryData, dev: DevCertificates) -> None:
    """Put the development entries into an existing *SYSTEM store that lacks them."""
    path, stash_path = registry.system_store(data)
    password = stash.read(stash_path) if stash_path else ""
    store = open_keystore(path, password)
    missing = [e for e in dev.entries if store.find(e.label) is None]
    if missing:
        save_keystore(path, store.entries + missing, password, "kdb")


def ensure_dev_store(home: str | os.PathLike | None = None) -> Path:
    """Make sure the *SYSTEM store and the demo application IDs exist; return the home.

    The first call creates them; later calls (and concurrent first calls, which wait on the
    registry lock) find them and change nothing.
    """
    registry = Registry(home)
    with registry.lock():
        data = registry.read()
        store_ok = system_store_exists(registry, data) or adopt_system_store(registry, data)
        if store_ok and all(a.application_id in data.applications for a in DEMO_APPLICATIONS):
            return registry.home
        dev = make_dev_certificates()
        if store_ok:
            _add_missing(registry, data, dev)
        else:
            create_system_store(registry, data, list(dev.entries))
            atomic_write(
                registry.home / "dev-ca.pem", pem.build([dev.entries[0]], None), mode=0o644
            )
        for app in DEMO_APPLICATIONS:
            data.applications.setdefault(app.application_id, app)
        registry.write(data)
    return registry.home
