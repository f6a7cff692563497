"""Which suites a server accepts on one protocol version, and in what order it prefers them.

Offer every candidate; the server picks one; offer the rest again; and so on until the server
refuses.  The picks are the accepted set in the server's order of preference (when it has one;
otherwise in the order offered).  Two more handshakes offering the accepted set forwards and
backwards tell which: a server that follows the client picks a different first suite.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Sequence

from gskit.attributes.ciphers import (SUITES, CipherSuite, openssl_cipher_list, openssl_supported,
                                      openssl_tls13_ciphersuites, suite_by_name)
from gskit.attributes.protocols import Protocol
from gskit.scan.probe import Attempt, Failure, Offer, handshake
from gskit.scan.result import ProtocolResult

TRANSIENT = (Failure.CLOSED, Failure.UNREACHABLE)  # a rate limit; a timeout is not retried
RETRIES = 2


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    sni: str | None
    timeout: float
    cancel: threading.Event | None = None   # set: every probe stops at once (Ctrl-C)


def candidates(protocol: Protocol) -> tuple[CipherSuite, ...]:
    """Every suite in the table that the local OpenSSL can offer on this protocol."""
    return tuple(s for s in SUITES if protocol in s.protocols and openssl_supported(s))


def offer_for(protocol: Protocol, suites: Sequence[CipherSuite], sni: str | None, **extra) -> Offer:
    """Offer these suites on this protocol."""
    return Offer(protocol, ciphers=openssl_cipher_list(suites), tls13=openssl_tls13_ciphersuites(suites),
                 sni=sni, **extra)


def attempt(target: Target, offer: Offer, resume: Attempt | None = None) -> Attempt:
    """A handshake, retried with a short back-off when the failure looks transient."""
    result = handshake(target.host, target.port, offer, target.timeout, resume, target.cancel)
    for retry in range(RETRIES):
        if result.ok or result.failure not in TRANSIENT:
            break
        time.sleep(0.05 * (retry + 1))
        result = handshake(target.host, target.port, offer, target.timeout, resume, target.cancel)
    return result


def _first_pick(target: Target, protocol: Protocol, suites: Sequence[CipherSuite]) -> CipherSuite | None:
    result = attempt(target, offer_for(protocol, suites, target.sni, hello_only=True))
    return suite_by_name(result.cipher) if result.ok and result.cipher else None


def enumerate_protocol(target: Target, protocol: Protocol) -> ProtocolResult:
    """The accepted suites of one protocol in preference order, and whose order it is."""
    remaining = list(candidates(protocol))
    if not remaining:
        return ProtocolResult(protocol, False, local_support=False,
                              error=f"the local OpenSSL cannot speak {protocol.label}")
    picks: list[CipherSuite] = []
    error = None
    closed = False
    while remaining:
        result = attempt(target, offer_for(protocol, remaining, target.sni, hello_only=True))
        if not result.ok:
            if result.failure is Failure.LOCAL and not picks:
                return ProtocolResult(protocol, False, local_support=False, error=result.detail)
            # some servers close instead of sending an alert: after a pick, that is a refusal
            closed = bool(picks) and result.failure is Failure.CLOSED
            if result.failure not in (Failure.REJECTED, Failure.LOCAL) and not closed:
                error = f"{result.failure.value if result.failure else 'failed'}: {result.detail}"
            break
        suite = suite_by_name(result.cipher or "")
        if suite not in remaining:
            error = f"the server chose {result.cipher}, which was not offered"
            break
        picks.append(suite)
        remaining.remove(suite)
    if error and not picks:
        return ProtocolResult(protocol, False, error=error)
    order = None
    if len(picks) >= 2:
        forward = _first_pick(target, protocol, picks)
        backward = _first_pick(target, protocol, picks[::-1])
        if forward is not None and backward is not None:
            order = forward == backward
    return ProtocolResult(protocol, bool(picks), tuple(picks), order, error=error,
                          closed_not_alerted=closed)
