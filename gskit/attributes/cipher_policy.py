"""Per-protocol effective cipher configuration: what a GSKit setting really allows.

GSKit keeps one suite list per protocol (V3, TLSv1.0, 1.1, 1.2, 1.3) and one switch per
protocol.  :func:`effective_suites` turns switches and lists into, for each enabled protocol,
the suites that can be negotiated there, in preference order, and a list of everything asked
for that cannot be had, each with its reason.  No I/O; the OpenSSL probe is
:func:`gskit.attributes.ciphers.openssl_supported` (cached).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Mapping, Sequence

from gskit.attributes.ciphers import (CipherSuite, openssl_cipher_list, openssl_supported,
                                      openssl_tls13_ciphersuites)
from gskit.attributes.protocols import Protocol


class Reason(Enum):
    """Why a suite (or protocol) asked for cannot be had."""

    OBSOLETE = "obsolete: never negotiated (SSLv2, export, RC4, RC2, DES and 3DES are gone from OpenSSL)"
    NOT_IN_OPENSSL = "not in this OpenSSL build"
    PROTOCOL_OFF = "its protocols are switched off"
    WRONG_PROTOCOL = "not valid for this protocol"
    NEEDS_CERTIFICATE = "needs a certificate of another key type"
    PROTOCOL_NEVER = "SSLv2 and SSLv3 are never negotiated, whatever is set"
    NO_SUITES = "no usable suite is left for this protocol"


# The key type a server certificate needs for each authentication method.
_CERT_FOR_AUTH = {"RSA": "RSA", "ECDSA": "ECDSA", "DSS": "DSA"}


@dataclass(frozen=True)
class Unavailable:
    """One thing asked for that cannot be had."""

    reason: Reason
    protocol: Protocol | None = None
    suite: CipherSuite | None = None
    detail: str = ""

    def __str__(self) -> str:
        what = self.suite.iana_name if self.suite else (self.protocol.label if self.protocol else "")
        where = f" on {self.protocol.label}" if self.suite and self.protocol else ""
        return f"{what}{where}: {self.detail or self.reason.value}"


@dataclass(frozen=True)
class ProtocolSuites:
    """One enabled protocol and the suites it can negotiate, most preferred first."""

    protocol: Protocol
    suites: tuple[CipherSuite, ...]


@dataclass(frozen=True)
class EffectiveCiphers:
    """The effective configuration: per enabled protocol, its suites; and what was lost."""

    protocols: tuple[ProtocolSuites, ...]
    unavailable: tuple[Unavailable, ...] = field(default=())

    @property
    def enabled(self) -> tuple[Protocol, ...]:
        """Protocols that can be negotiated (enabled and with at least one suite), oldest first."""
        return tuple(p.protocol for p in self.protocols if p.suites)

    def suites_for(self, protocol: Protocol) -> tuple[CipherSuite, ...]:
        return next((p.suites for p in self.protocols if p.protocol == protocol), ())

    @property
    def min_version(self) -> Protocol | None:
        return min(self.enabled, default=None)

    @property
    def max_version(self) -> Protocol | None:
        return max(self.enabled, default=None)

    @property
    def tls12_and_older(self) -> tuple[CipherSuite, ...]:
        """The union of the TLS <= 1.2 lists: the newest protocol's order first."""
        merged: list[CipherSuite] = []
        for entry in sorted(self.protocols, key=lambda p: p.protocol, reverse=True):
            if entry.protocol != Protocol.TLSV13:
                merged.extend(s for s in entry.suites if s not in merged)
        return tuple(merged)

    @property
    def lists_differ(self) -> bool:
        """True when TLS 1.0/1.1/1.2 allow different suites or orders (one OpenSSL list cannot)."""
        lists = {p.suites for p in self.protocols if p.protocol != Protocol.TLSV13 and p.suites}
        return len(lists) > 1

    @property
    def openssl_cipher_string(self) -> str:
        """The cipher string the engine gives OpenSSL for this configuration."""
        return openssl_cipher_list(self.tls12_and_older, self.min_version)

    @property
    def openssl_ciphersuites(self) -> str:
        return openssl_tls13_ciphersuites(self.suites_for(Protocol.TLSV13))


def _switches(protocols: Iterable[Protocol] | Mapping[Protocol, bool]) -> set[Protocol]:
    if isinstance(protocols, Mapping):
        return {p for p, on in protocols.items() if on}
    return set(protocols)


def _refusal(suite: CipherSuite, protocol: Protocol, cert_key_types: frozenset[str] | None) -> Unavailable | None:
    """Why this suite cannot be used on this protocol, or None if it can."""
    if suite.obsolete and not openssl_supported(suite):
        return Unavailable(Reason.OBSOLETE, protocol, suite)
    if protocol not in suite.protocols:
        valid = ", ".join(p.label for p in sorted(suite.protocols))
        return Unavailable(Reason.WRONG_PROTOCOL, protocol, suite,
                           f"not valid for {protocol.label} (only {valid})")
    if not openssl_supported(suite):
        return Unavailable(Reason.NOT_IN_OPENSSL, protocol, suite)
    needed = _CERT_FOR_AUTH.get(suite.authentication)
    if cert_key_types is not None and needed and needed not in cert_key_types:
        return Unavailable(Reason.NEEDS_CERTIFICATE, protocol, suite,
                           f"needs an {needed} certificate (have: {', '.join(sorted(cert_key_types)) or 'none'})")
    return None


def effective_suites(protocols: Iterable[Protocol] | Mapping[Protocol, bool],
                     lists: Mapping[Protocol, Sequence[CipherSuite]] | None = None, *,
                     shared: Sequence[CipherSuite] | None = None,
                     cert_key_types: Iterable[str] | None = None) -> EffectiveCiphers:
    """The suites each enabled protocol can negotiate, in order, and what cannot be had.

    ``protocols``: the switches (a set of protocols that are on, or a mapping protocol -> on).
    ``lists``: a protocol's own list (``GSK_TLSV12_CIPHER_SPECS_EX`` ...): every entry that
    cannot be used there is reported.  ``shared``: one list for every enabled protocol without
    its own (the V3 list or an IBM i default list, which GSKit splits by protocol): an entry
    is skipped quietly on protocols it is not valid for and reported only if no enabled
    protocol can use it.  ``cert_key_types``: the server's certificate key types ("RSA",
    "ECDSA", "DSA"); None means unknown (no certificate check).
    """
    on = _switches(protocols)
    lists = dict(lists or {})
    keys = None if cert_key_types is None else frozenset(k.upper() for k in cert_key_types)
    lost: list[Unavailable] = [Unavailable(Reason.PROTOCOL_NEVER, p) for p in sorted(on) if not p.negotiable]
    result: list[ProtocolSuites] = []
    shared_used: set[CipherSuite] = set()
    shared_why: dict[CipherSuite, Unavailable] = {}
    for protocol in sorted(p for p in on if p.negotiable):
        own = protocol in lists
        chosen: list[CipherSuite] = []
        for suite in (lists[protocol] if own else (shared or ())):
            refusal = _refusal(suite, protocol, keys)
            if refusal is None:
                if suite not in chosen:
                    chosen.append(suite)
                shared_used.add(suite)
            elif own:
                lost.append(refusal)
            elif refusal.reason is not Reason.WRONG_PROTOCOL or suite not in shared_why:
                shared_why[suite] = refusal
        result.append(ProtocolSuites(protocol, tuple(chosen)))
        if not chosen:
            lost.append(Unavailable(Reason.NO_SUITES, protocol))
    for suite in shared or ():
        if suite in shared_used:
            continue
        why = shared_why.get(suite)
        if why is None or why.reason is Reason.WRONG_PROTOCOL:
            valid = ", ".join(p.label for p in sorted(suite.protocols))
            why = Unavailable(Reason.PROTOCOL_OFF, None, suite, f"only for {valid}, which is off")
        lost.append(Unavailable(why.reason, None, suite, why.detail))
    for protocol, suites in lists.items():
        if protocol not in on:
            lost.extend(Unavailable(Reason.PROTOCOL_OFF, protocol, s, f"{protocol.label} is off")
                        for s in suites)
        elif not protocol.negotiable:
            lost.extend(Unavailable(Reason.PROTOCOL_NEVER, protocol, s) for s in suites)
    return EffectiveCiphers(tuple(result), tuple(_dedupe(lost)))


def _dedupe(items: Iterable[Unavailable]) -> list[Unavailable]:
    seen: list[Unavailable] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
