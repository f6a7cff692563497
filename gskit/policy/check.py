"""Check a GSKit configuration or a scan result against a policy: one violation per line."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable

from gskit.attributes.cipher_policy import EffectiveCiphers
from gskit.attributes.ciphers import CipherSuite
from gskit.attributes.protocols import Protocol
from gskit.policy.model import Policy, canonical_group


@dataclass(frozen=True)
class PolicyResult:
    """Whether the subject complies, and why not (one sentence per violation)."""

    policy: str
    compliant: bool
    violations: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"policy": self.policy, "compliant": self.compliant, "violations": list(self.violations)}


@dataclass(frozen=True)
class ScanPolicyResult(PolicyResult):
    """A live server's verdict.  ``not_checked``: rules of the policy this scan could not
    check (no certificate was received, say); while any is left, the server is not reported
    compliant.  ``not_probed``: rules no scan checks (gskit never speaks SSLv2 or SSLv3):
    reported, and not counted either way."""

    not_checked: list[str] = field(default_factory=list)
    not_probed: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {**super().to_json(), "not_checked": list(self.not_checked),
                "not_probed": list(self.not_probed)}


def _labels(protocols: Iterable[Protocol]) -> str:
    return ", ".join(p.label for p in sorted(protocols))


def _protocol_violations(policy: Policy, enabled: Iterable[Protocol], verb: str) -> list[str]:
    out = []
    for protocol in sorted(enabled):
        if protocol in policy.forbidden_protocols:
            out.append(f"{protocol.label} is {verb} but the policy forbids it")
        elif policy.allowed_protocols is not None and protocol not in policy.allowed_protocols:
            out.append(f"{protocol.label} is {verb} but the policy allows only "
                       f"{_labels(policy.allowed_protocols)}")
    return out


def _suite_problems(policy: Policy, suite: CipherSuite) -> list[str]:
    problems = []
    if suite in policy.forbidden_suites:
        problems.append("forbidden by the policy")
    elif policy.allowed_suites is not None and suite not in policy.allowed_suites:
        problems.append("not allowed by the policy")
    if policy.require_forward_secrecy and not suite.forward_secrecy:
        problems.append("no forward secrecy")
    if policy.require_aead and not suite.aead:
        problems.append("not an AEAD cipher")
    return problems


def _suite_violations(policy: Policy, per_protocol: Iterable[tuple[Protocol, Iterable[CipherSuite]]],
                      verb: str) -> list[str]:
    where: dict[CipherSuite, list[Protocol]] = {}
    for protocol, suites in per_protocol:
        for suite in suites:
            where.setdefault(suite, []).append(protocol)
    out = []
    for suite, protocols in where.items():
        problems = _suite_problems(policy, suite)
        if problems:
            out.append(f"{suite.iana_name} ({suite.iana_hex}) is {verb} on {_labels(protocols)}: "
                       + "; ".join(problems))
    return out


def _result(policy: Policy, violations: list[str]) -> PolicyResult:
    return PolicyResult(policy.name, not violations, violations)


def check_configuration(policy: Policy, effective: EffectiveCiphers) -> PolicyResult:
    """Does this effective GSKit configuration meet the policy?"""
    violations = _protocol_violations(policy, effective.enabled, "enabled")
    violations += _suite_violations(policy, ((p.protocol, p.suites) for p in effective.protocols),
                                    "enabled")
    return _result(policy, violations)


def _certificate_rules(policy: Policy) -> list[str]:
    """The certificate rules this policy has, by name."""
    rules = (("key types", policy.certificate_key_types), ("minimum RSA key size", policy.min_rsa_bits),
             ("minimum EC key size", policy.min_ec_bits),
             ("signature algorithms", policy.signature_algorithms),
             ("expiry margin", policy.expiry_margin_days), ("maximum lifespan", policy.max_lifespan_days))
    return [name for name, value in rules if value is not None]


def _certificate_violations(policy: Policy, certificate, now: _dt.datetime) -> list[str]:
    leaf = certificate.chain[0]
    out = []
    if policy.certificate_key_types is not None and leaf.key_type.upper() not in policy.certificate_key_types:
        out.append(f"the certificate key is {leaf.key_type} but the policy allows only "
                   f"{', '.join(sorted(policy.certificate_key_types))}")
    minimum = {"RSA": policy.min_rsa_bits, "ECDSA": policy.min_ec_bits}.get(leaf.key_type)
    if minimum and leaf.key_bits < minimum:
        out.append(f"the certificate's {leaf.key_type} key has {leaf.key_bits} bits; the policy "
                   f"requires at least {minimum}")
    if policy.signature_algorithms is not None and leaf.signature_algorithm not in policy.signature_algorithms:
        out.append(f"the certificate is signed with {leaf.signature_algorithm}; the policy allows "
                   f"{', '.join(sorted(policy.signature_algorithms))}")
    if policy.expiry_margin_days is not None:
        left = (leaf.not_after - now).days
        if leaf.not_after <= now:
            out.append(f"the certificate expired on {leaf.not_after:%Y-%m-%d}")
        elif left < policy.expiry_margin_days:
            out.append(f"the certificate expires in {left} days ({leaf.not_after:%Y-%m-%d}); the "
                       f"policy wants at least {policy.expiry_margin_days}")
    if policy.max_lifespan_days is not None:
        lifespan = (leaf.not_after - leaf.not_before).days
        if lifespan > policy.max_lifespan_days:
            out.append(f"the certificate is valid for {lifespan} days; the policy allows at most "
                       f"{policy.max_lifespan_days}")
    return out


def _never_probed(policy: Policy) -> list[str]:
    """SSLv2 and SSLv3, if the policy forbids them: gskit never speaks them, so no scan sees them."""
    banned = [p for p in (Protocol.SSLV2, Protocol.SSLV3) if p in policy.forbidden_protocols
              or (policy.allowed_protocols is not None and p not in policy.allowed_protocols)]
    if not banned:
        return []
    them = "them" if len(banned) > 1 else "it"
    return [f"{' and '.join(p.label for p in banned)} (gskit never speaks {them}, so the policy's "
            f"ban on {them} was not checked)"]


def check_scan(policy: Policy, scan_result, *, now: _dt.datetime | None = None) -> ScanPolicyResult:
    """Does the scanned server meet the policy (protocols, suites, groups, certificate)?

    Compliant only if nothing violates the policy and every rule the scan checks could be
    checked: without a certificate, a policy with certificate rules is not reported compliant.
    """
    supported = [p for p in scan_result.protocols if p.supported]
    violations = _protocol_violations(policy, (p.protocol for p in supported), "accepted")
    violations += _suite_violations(policy, ((p.protocol, p.accepted) for p in supported), "accepted")
    if policy.allowed_groups is not None:
        extra = [g for g in scan_result.groups if canonical_group(g) not in policy.allowed_groups]
        if extra:
            violations.append(f"key exchange group(s) {', '.join(extra)} accepted; the policy allows "
                              f"only {', '.join(sorted(policy.allowed_groups))}")
    now = now or _dt.datetime.now(_dt.timezone.utc)
    not_checked = []
    certificate = scan_result.certificate
    if certificate is not None and certificate.chain:
        violations += _certificate_violations(policy, certificate, now)
    elif _certificate_rules(policy):
        why = getattr(scan_result, "certificate_error", None) or "the scan received no certificate"
        not_checked.append(f"the certificate rules ({', '.join(_certificate_rules(policy))}) were "
                           f"not checked: {why}")
    return ScanPolicyResult(policy.name, not violations and not not_checked, violations,
                            not_checked, _never_probed(policy))
