"""Certificate stores for gskit: keystores, the application-ID registry and resolution.

The stand-in for IBM i's Digital Certificate Manager: PKCS#12, PEM and CMS ``.kdb``/``.sth``
keystores behind one interface, a TOML registry of application definitions with a
``*SYSTEM`` store, and :func:`resolve`, which ``gsk_environment_init`` calls.
"""

from __future__ import annotations

from .devstore import (
    DEMO_CLIENT,
    DEMO_SERVER,
    ensure_dev_store,
    make_dev_certificates,
    write_dev_files,
)
from .errors import KeystoreError
from .keystore import FORMATS, encode_keystore, format_for_path, open_keystore, save_keystore
from .model import Entry, Identity, Keystore, check_label
from .registry import SYSTEM, ApplicationDefinition, Registry, registry_home
from .resolve import Credentials, resolve
from .stash import read as read_stash
from .stash import write as write_stash

__all__ = [
    "ApplicationDefinition",
    "Credentials",
    "DEMO_CLIENT",
    "DEMO_SERVER",
    "Entry",
    "FORMATS",
    "Identity",
    "Keystore",
    "KeystoreError",
    "Registry",
    "SYSTEM",
    "check_label",
    "encode_keystore",
    "ensure_dev_store",
    "format_for_path",
    "make_dev_certificates",
    "open_keystore",
    "read_stash",
    "registry_home",
    "resolve",
    "save_keystore",
    "write_dev_files",
    "write_stash",
]
