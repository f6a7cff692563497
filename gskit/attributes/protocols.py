"""Protocol versions: GSKit's names, OpenSSL's numbers, and which ones can ever be negotiated."""
from __future__ import annotations

from enum import IntEnum


class Protocol(IntEnum):
    """A TLS/SSL protocol version, ordered oldest first; the value is the wire version."""

    SSLV2 = 0x0002
    SSLV3 = 0x0300
    TLSV10 = 0x0301
    TLSV11 = 0x0302
    TLSV12 = 0x0303
    TLSV13 = 0x0304

    @property
    def label(self) -> str:
        """The name OpenSSL and the CLI use: ``TLSv1.2``."""
        return _LABELS[self]

    @property
    def negotiable(self) -> bool:
        """SSLv2 and SSLv3 are never negotiated, whatever is configured."""
        return self >= Protocol.TLSV10

    @classmethod
    def from_label(cls, label: str) -> "Protocol":
        """``TLSv1.2`` / ``tls1.2`` / ``TLSV12`` -> Protocol.TLSV12."""
        key = label.strip().upper().replace(".", "").replace("_", "").replace(" ", "")
        key = {"TLSV1": "TLSV10", "TLS1": "TLSV10", "TLS10": "TLSV10", "TLS11": "TLSV11",
               "TLS12": "TLSV12", "TLS13": "TLSV13", "SSL3": "SSLV3", "SSL2": "SSLV2"}.get(key, key)
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown protocol version {label!r}") from None


_LABELS = {
    Protocol.SSLV2: "SSLv2",
    Protocol.SSLV3: "SSLv3",
    Protocol.TLSV10: "TLSv1",
    Protocol.TLSV11: "TLSv1.1",
    Protocol.TLSV12: "TLSv1.2",
    Protocol.TLSV13: "TLSv1.3",
}

NEGOTIABLE: tuple[Protocol, ...] = tuple(p for p in Protocol if p.negotiable)
