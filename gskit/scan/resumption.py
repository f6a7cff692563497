"""Session resumption: does a session from one handshake resume on the next one?"""
from __future__ import annotations

from gskit.attributes.ciphers import CipherSuite
from gskit.attributes.protocols import Protocol
from gskit.scan.probe import Attempt, Failure
from gskit.scan.result import ResumptionResult
from gskit.scan.suites import Target, attempt, offer_for


def _why_not(which: str, result: Attempt) -> str:
    if result.cert_requested and result.failure is Failure.REJECTED:
        return (f"not testable: the server requires a client certificate and ended the {which} "
                f"handshake without issuing a session ({result.detail})")
    return f"{which} handshake failed: {result.detail}"


def probe_resumption(target: Target, protocol: Protocol, suites: tuple[CipherSuite, ...]) -> ResumptionResult:
    # On TLS 1.3 the first handshake also takes in what the server sends after it: its
    # tickets, or the alert refusing a client without a certificate (the server aborts then,
    # and issues nothing to resume).
    first = attempt(target, offer_for(protocol, suites, target.sni, read_tickets=protocol == Protocol.TLSV13))
    if not first.ok:
        return ResumptionResult(protocol, None, _why_not("first", first))
    if first.session is None:
        return ResumptionResult(protocol, None, "the first handshake left no session to offer")
    second = attempt(target, offer_for(protocol, suites, target.sni), resume=first)
    if not second.ok:
        return ResumptionResult(protocol, None, _why_not("second", second))
    if second.reused is None:
        return ResumptionResult(protocol, None, "pyOpenSSL's bindings cannot tell")
    how = "session ticket (PSK)" if protocol == Protocol.TLSV13 else "session ID or ticket"
    if second.reused:
        return ResumptionResult(protocol, True, f"resumed by {how}")
    return ResumptionResult(protocol, False, "the server ran a full handshake again")
