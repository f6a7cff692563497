"""Session resumption: does a session from one handshake resume on the next one?"""
from __future__ import annotations

from gskit.attributes.ciphers import CipherSuite
from gskit.attributes.protocols import Protocol
from gskit.scan.result import ResumptionResult
from gskit.scan.suites import Target, attempt, offer_for


def probe_resumption(target: Target, protocol: Protocol, suites: tuple[CipherSuite, ...]) -> ResumptionResult:
    first = attempt(target, offer_for(protocol, suites, target.sni, read_tickets=protocol == Protocol.TLSV13))
    if not first.ok or first.session is None:
        return ResumptionResult(protocol, None, f"first handshake failed: {first.detail}")
    second = attempt(target, offer_for(protocol, suites, target.sni), resume=first)
    if not second.ok:
        return ResumptionResult(protocol, None, f"second handshake failed: {second.detail}")
    if second.reused is None:
        return ResumptionResult(protocol, None, "pyOpenSSL's bindings cannot tell")
    how = "session ticket (PSK)" if protocol == Protocol.TLSV13 else "session ID or ticket"
    if second.reused:
        return ResumptionResult(protocol, True, f"resumed by {how}")
    return ResumptionResult(protocol, False, "the server ran a full handshake again")
