"""What a scan found: frozen dataclasses, and their ``--json`` form (cli.md)."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from gskit.attributes.ciphers import CipherSuite
from gskit.attributes.protocols import Protocol


@dataclass(frozen=True)
class ProtocolResult:
    """One protocol version: does the server accept it, and which suites, in what order."""

    protocol: Protocol
    supported: bool
    accepted: tuple[CipherSuite, ...] = ()
    server_order: bool | None = None   # True: server's preference; False: follows the client
    local_support: bool = True         # can the local OpenSSL speak this version at all
    error: str | None = None           # why the probe could not finish
    closed_not_alerted: bool = False   # the list ended with a closed connection, not an alert

    def to_json(self) -> dict:
        return {"protocol": self.protocol.label, "supported": self.supported,
                "accepted": [s.to_json() for s in self.accepted],
                "server_order": self.server_order, "local_support": self.local_support,
                "error": self.error}


@dataclass(frozen=True)
class CertSummary:
    """One certificate of the chain the server sent."""

    subject: str
    issuer: str
    key_type: str
    key_bits: int
    curve: str | None
    signature_algorithm: str
    not_before: _dt.datetime
    not_after: _dt.datetime
    sans: tuple[str, ...]
    sha256: str

    def to_json(self) -> dict:
        return {"subject": self.subject, "issuer": self.issuer, "key_type": self.key_type,
                "key_bits": self.key_bits, "curve": self.curve,
                "signature_algorithm": self.signature_algorithm,
                "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
                "sans": list(self.sans), "sha256": self.sha256}


@dataclass(frozen=True)
class CertificateResult:
    """The chain, and whether it verifies against the CA file and matches the name.

    The chain is the one the server sent even when the handshake then failed (``handshake_error``
    says why: typically the server requires a client certificate, and gskit sends none).
    """

    chain: tuple[CertSummary, ...]
    verified: bool | None          # None: no CA file given
    verify_error: str | None
    hostname: str | None
    hostname_matches: bool | None
    client_certificate: str | None = None   # "required", "optional", None: not asked for
    handshake_error: str | None = None      # the handshake failed after the chain came

    def to_json(self) -> dict:
        leaf = self.chain[0].to_json() if self.chain else {}
        return {**leaf, "chain": [c.to_json() for c in self.chain], "verified": self.verified,
                "verify_error": self.verify_error, "hostname": self.hostname,
                "hostname_matches": self.hostname_matches,
                "client_certificate": self.client_certificate,
                "handshake_error": self.handshake_error}


@dataclass(frozen=True)
class SNIResult:
    """Which certificate the server sends with and without SNI."""

    name: str | None
    with_sni: str | None       # leaf SHA-256, or None when that handshake failed
    without_sni: str | None
    summary: str

    def to_json(self) -> dict:
        return {"name": self.name, "with_sni": self.with_sni, "without_sni": self.without_sni,
                "summary": self.summary}


@dataclass(frozen=True)
class ResumptionResult:
    """Whether a session from one handshake resumes on the next, per protocol."""

    protocol: Protocol
    resumed: bool | None
    detail: str

    def to_json(self) -> dict:
        return {"protocol": self.protocol.label, "resumed": self.resumed, "detail": self.detail}


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found about one target."""

    target: str
    protocols: tuple[ProtocolResult, ...]
    certificate: CertificateResult | None
    groups: tuple[str, ...]
    groups_not_probed: tuple[str, ...]
    honours_client_order: bool | None
    sni: SNIResult | None
    resumption: tuple[ResumptionResult, ...]
    notes: tuple[str, ...]
    seconds: float
    certificate_error: str | None = None   # why no certificate was received, if none was

    def protocol(self, protocol: Protocol) -> ProtocolResult | None:
        return next((p for p in self.protocols if p.protocol == protocol), None)

    def to_json(self) -> dict:
        return {"target": self.target, "protocols": [p.to_json() for p in self.protocols],
                "certificate": self.certificate.to_json() if self.certificate else None,
                "groups": list(self.groups), "groups_not_probed": list(self.groups_not_probed),
                "honours_client_order": self.honours_client_order,
                "sni": self.sni.to_json() if self.sni else None,
                "resumption": [r.to_json() for r in self.resumption],
                "notes": list(self.notes), "seconds": round(self.seconds, 3),
                "certificate_error": self.certificate_error}
