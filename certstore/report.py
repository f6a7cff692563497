"""Plain data views of entries and application definitions, for listings and JSON."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes

from .model import Entry, key_type
from .registry import ApplicationDefinition


def entry_info(entry: Entry) -> dict[str, Any]:
    cert = entry.certificate
    return {
        "label": entry.label,
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": f"{cert.serial_number:x}",
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "key_type": key_type(cert),
        "has_private_key": entry.has_key,
        "is_ca": entry.is_ca,
        "trusted": entry.trusted,
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


def entry_kind(entry: Entry) -> str:
    if entry.has_key:
        return "key"
    return "ca" if entry.is_ca else "cert"


def application_info(app: ApplicationDefinition) -> dict[str, Any]:
    return {"application_id": app.application_id, **app.to_toml()}
