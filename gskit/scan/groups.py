"""Which key-exchange groups the server accepts: one handshake per group, offering only it.

On TLS 1.3 every group can be offered alone (a server without it answers with an alert or a
HelloRetryRequest for another group, which then fails).  On TLS 1.2 only the elliptic curves
mean something (ECDHE suites); finite-field and hybrid post-quantum groups are TLS 1.3 only.
"""
from __future__ import annotations

from dataclasses import dataclass

from gskit.attributes.ciphers import CipherSuite
from gskit.attributes.protocols import Protocol
from gskit.scan import _ossl
from gskit.scan.probe import Failure
from gskit.scan.suites import Target, attempt, offer_for

# (group, probed on TLS 1.2 too)
GROUPS: tuple[tuple[str, bool], ...] = (
    ("X25519MLKEM768", False), ("SecP256r1MLKEM768", False), ("SecP384r1MLKEM1024", False),
    ("X25519", True), ("X448", True), ("secp256r1", True), ("secp384r1", True), ("secp521r1", True),
    ("ffdhe2048", False), ("ffdhe3072", False), ("ffdhe4096", False), ("ffdhe6144", False),
    ("ffdhe8192", False),
)


@dataclass(frozen=True)
class GroupProbe:
    group: str
    accepted: bool | None   # None: could not be probed
    detail: str = ""


def probe_group(target: Target, protocol: Protocol, suites: tuple[CipherSuite, ...], group: str) -> GroupProbe:
    if not _ossl.CAN_SET_GROUPS:
        return GroupProbe(group, None, "pyOpenSSL's bindings cannot restrict the groups offered")
    result = attempt(target, offer_for(protocol, suites, target.sni, groups=group, hello_only=True))
    if result.ok:
        return GroupProbe(group, True)
    if result.failure is Failure.LOCAL:
        return GroupProbe(group, None, "the local OpenSSL does not implement it")
    if result.failure is Failure.REJECTED:
        return GroupProbe(group, False)
    return GroupProbe(group, None, result.detail)


def plan(protocol: Protocol, suites: tuple[CipherSuite, ...]):
    """(group, protocol, suites) to probe, and the groups that cannot be probed this way.

    On TLS 1.3 every group; on TLS 1.2 (given its ECDHE suites) only the curves.
    """
    jobs, skipped = [], []
    for group, on_tls12 in GROUPS:
        usable = protocol == Protocol.TLSV13 or (protocol == Protocol.TLSV12 and on_tls12)
        if usable and suites:
            jobs.append((group, protocol, suites))
        else:
            skipped.append(group)
    return jobs, skipped
