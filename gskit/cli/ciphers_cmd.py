"""``gskit ciphers``: what a GSKit cipher configuration really allows, offline (cli.md).

Settings come from options named after the GSKit attributes, an IBM i release's defaults, or
an application definition of the registry; ``--from-openssl`` goes the other way.
"""
from __future__ import annotations

import argparse
import json
import sys

from gskit.attributes.cipher_policy import (EffectiveCiphers, ProtocolSuites, Reason, Unavailable,
                                            effective_suites)
from gskit.attributes.ciphers import (IBMI_DEFAULT_PROTOCOLS, IBMI_DEFAULTS, CipherSpecError,
                                      CipherSpecFormat, CipherSuite, format_cipher_specs,
                                      application_lists, parse_cipher_specs,
                                      security_level_0_reasons, suite_by_name)
from gskit.attributes.protocols import NEGOTIABLE, Protocol
from gskit.cli.usage import Parser
from gskit.engine.config import DEFAULT_RELEASE

EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2
F = CipherSpecFormat
P = Protocol

# option dest -> (GSKit attribute, format, protocol or None for the shared list)
SPEC_OPTIONS: dict[str, tuple[str, CipherSpecFormat, Protocol | None]] = {
    "v2_specs": ("GSK_V2_CIPHER_SPECS", F.V2, P.SSLV2),
    "v3_specs": ("GSK_V3_CIPHER_SPECS", F.V3, None),
    "v3_specs_ex": ("GSK_V3_CIPHER_SPECS_EX", F.EX, None),
    "v3_specs_expanded": ("z/OS GSK_V3_CIPHER_SPECS_EXPANDED", F.V3_EXPANDED, None),
    "system_value": ("QSSLCSL system value", F.SYSTEM_VALUE, None),
    "tlsv10_specs": ("GSK_TLSV10_CIPHER_SPECS", F.V3, P.TLSV10),
    "tlsv11_specs": ("GSK_TLSV11_CIPHER_SPECS", F.V3, P.TLSV11),
    "tlsv12_specs": ("GSK_TLSV12_CIPHER_SPECS", F.V3, P.TLSV12),
    "tlsv10_specs_ex": ("GSK_TLSV10_CIPHER_SPECS_EX", F.EX, P.TLSV10),
    "tlsv11_specs_ex": ("GSK_TLSV11_CIPHER_SPECS_EX", F.EX, P.TLSV11),
    "tlsv12_specs_ex": ("GSK_TLSV12_CIPHER_SPECS_EX", F.EX, P.TLSV12),
    "tlsv13_specs_ex": ("GSK_TLSV13_CIPHER_SPECS_EX", F.TLS13_EX, P.TLSV13),
}
SWITCHES = {"sslv2": P.SSLV2, "sslv3": P.SSLV3, "tlsv10": P.TLSV10, "tlsv11": P.TLSV11,
            "tlsv12": P.TLSV12, "tlsv13": P.TLSV13}
DEFAULT_PROTOCOLS = (P.TLSV12, P.TLSV13)


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gskit ciphers", description="Explain a GSKit cipher configuration offline: the "
        "effective suites per protocol, in order, named three ways; the OpenSSL configuration; "
        "and what was asked for but cannot be had.")
    for dest, (attribute, fmt, _) in SPEC_OPTIONS.items():
        p.add_argument("--" + dest.replace("_", "-"), dest=dest, metavar="SPECS",
                       help=f"{attribute} ({fmt.value})")
    p.add_argument("--release", choices=sorted(IBMI_DEFAULTS), help="IBM i release whose default "
                   "protocols and cipher list to start from")
    p.add_argument("--application", metavar="APPID", help="read protocols and suites from this "
                   "application definition of the registry (GSKIT_HOME)")
    p.add_argument("--protocols", help="comma-separated protocols that are on, e.g. TLSv1.2,TLSv1.3")
    for name in SWITCHES:
        p.add_argument("--" + name, action=argparse.BooleanOptionalAction, default=None,
                       help=f"switch GSK_PROTOCOL_{name.upper()} on or off")
    p.add_argument("--cert-key-types", help="key types of the server certificate(s): RSA,ECDSA")
    p.add_argument("--from-openssl", metavar="CIPHERSTRING", help="convert an OpenSSL cipher "
                   "string (TLS 1.3 names allowed) into GSKit settings")
    p.add_argument("--policy", help="policy name or TOML file to check the configuration against")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _parse_specs(args) -> tuple[dict[Protocol, list[CipherSuite]], list[CipherSuite] | None, list[str]]:
    """Per-protocol lists, the shared list, and a description of where they came from."""
    own: dict[Protocol, list[CipherSuite]] = {}
    shared_sources = []
    described = []
    for dest, (attribute, fmt, protocol) in SPEC_OPTIONS.items():
        text = getattr(args, dest)
        if text is None:
            continue
        try:
            suites = parse_cipher_specs(fmt, text)
        except CipherSpecError as exc:
            raise UsageError(f"{attribute} {text!r}: {exc.message}") from None
        described.append(f"{attribute}={text}")
        if protocol is None:
            shared_sources.append((attribute, suites))
        else:
            own[protocol] = suites
    if len(shared_sources) > 1:
        raise UsageError("give only one of " + ", ".join(a for a, _ in shared_sources))
    shared = shared_sources[0][1] if shared_sources else None
    if shared is None and args.application:
        app_suites, app_protocols = _application(args.application)
        for protocol, listed in application_lists(app_suites or ()).items():   # as the runtime does
            own.setdefault(protocol, list(listed))
        described.append(f"application {args.application}")
        if app_protocols and not args.protocols:
            args.protocols = ",".join(app_protocols)
        if app_suites is None and not args.release:
            args.release = DEFAULT_RELEASE      # it sets no list: the system value's applies
    if shared is None and args.release:
        shared = list(IBMI_DEFAULTS[args.release])
        source = "GSK_V3_CIPHER_SPECS" if args.release == "V6R1" else "QSSLCSL *OPSYS"
        described.append(f"IBM i {args.release} default cipher list ({source})")
    return own, shared, described


def _lists_left_to_the_system(args: argparse.Namespace) -> bool:
    """Were settings given, but no cipher list (nor a release or application to take one
    from)?  Then the lists are the default release's, as a GSKit program's would be."""
    if args.release or args.application or any(getattr(args, dest) is not None for dest in SPEC_OPTIONS):
        return False
    return bool(args.protocols or args.cert_key_types or args.policy is not None
                or any(getattr(args, name) is not None for name in SWITCHES))


def _application(app_id: str) -> tuple[list[CipherSuite] | None, tuple[str, ...] | None]:
    try:
        from certstore import KeystoreError, Registry
    except ImportError:  # pragma: no cover - certstore ships with gskit
        raise UsageError("--application needs the certstore package") from None
    try:
        app = Registry().application(app_id)
    except KeystoreError as exc:
        raise UsageError(str(exc).rstrip(".")) from None
    suites = None
    if app.cipher_suites:
        looked_up = [(n, suite_by_name(n)) for n in app.cipher_suites]
        unknown = [n for n, s in looked_up if s is None]
        if unknown:
            raise UsageError(f"application {app_id}: unknown suite(s) {', '.join(unknown)}")
        suites = [s for _, s in looked_up if s is not None]
    return suites, app.protocols


def _switches(args, own, shared) -> set[Protocol]:
    if args.protocols:
        try:
            on = {Protocol.from_label(t) for t in args.protocols.split(",") if t.strip()}
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    elif args.release:
        on = set(IBMI_DEFAULT_PROTOCOLS[args.release])
    else:  # secure default: TLS 1.2 and 1.3, where a list was given for them
        listed = set(own)
        if shared:
            listed |= {p for s in shared for p in s.protocols}
        on = {p for p in DEFAULT_PROTOCOLS if p in listed} or set(own)
    for name, protocol in SWITCHES.items():
        value = getattr(args, name)
        if value is True:
            on.add(protocol)
        elif value is False:
            on.discard(protocol)
    return on


KEY_TYPES = {"RSA": "RSA", "ECDSA": "ECDSA", "EC": "ECDSA", "DSA": "DSA"}


def _key_types(text: str) -> list[str]:
    names = [t.strip().upper() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in KEY_TYPES]
    if unknown:
        raise UsageError(f"unknown certificate key type(s) {', '.join(unknown)}; use RSA, ECDSA or DSA")
    return [KEY_TYPES[n] for n in names]


# The OpenSSL option that switches off a version inside the min..max range.
NO_VERSION_OPTION = {P.TLSV10: "SSL_OP_NO_TLSv1", P.TLSV11: "SSL_OP_NO_TLSv1_1",
                     P.TLSV12: "SSL_OP_NO_TLSv1_2", P.TLSV13: "SSL_OP_NO_TLSv1_3"}


def _gaps(eff: EffectiveCiphers) -> list[Protocol]:
    """Versions between min_version and max_version that are not enabled: OpenSSL's range
    would allow them, so each needs its SSL_OP_NO_* option."""
    if eff.min_version is None or eff.max_version is None:
        return []
    return [p for p in NEGOTIABLE if eff.min_version < p < eff.max_version and p not in eff.enabled]


def _security_level_0(eff: EffectiveCiphers) -> list[str]:
    """Why the OpenSSL configuration runs at security level 0 ([] when at OpenSSL's default)."""
    reasons = security_level_0_reasons(eff.tls12_and_older, eff.min_version)
    if reasons:   # one level per context: it lets the weak TLS 1.3 suites through too
        reasons += [f"{s.iana_name} is listed ({s.weakness})" for s in eff.suites_for(P.TLSV13) if s.weakness]
    return reasons


def _tls13_at_default_level(eff: EffectiveCiphers) -> EffectiveCiphers:
    """Take out the TLS 1.3 suites OpenSSL negotiates only at security level 0 (CCM_8, the
    integrity-only TLS_SHA256_SHA256/TLS_SHA384_SHA384) when nothing lowers the level: the
    level is lowered only through the TLS 1.0-1.2 cipher list, the TLS 1.3 list cannot."""
    weak = [s for s in eff.suites_for(P.TLSV13) if s.weakness]
    if not weak or _security_level_0(eff):
        return eff
    protocols = tuple(ProtocolSuites(e.protocol, tuple(s for s in e.suites if not s.weakness))
                      if e.protocol == P.TLSV13 else e for e in eff.protocols)
    lost = [Unavailable(Reason.NOT_IN_OPENSSL, P.TLSV13, s,
                        f"OpenSSL negotiates it only at security level 0 ({s.weakness}), and gskit "
                        f"lowers the level only through the TLS 1.0-1.2 cipher list") for s in weak]
    if len(weak) == len(eff.suites_for(P.TLSV13)):
        lost.append(Unavailable(Reason.NO_SUITES, P.TLSV13))
    return EffectiveCiphers(protocols, eff.unavailable + tuple(lost))


def _suite_json(suite: CipherSuite) -> dict[str, str | None]:
    """cli.md's suite object, and the IBM i system-value name that ``gskit ciphers`` adds."""
    return {**suite.to_json(), "ibmi_name": suite.ibmi_name}


def _effective_json(eff: EffectiveCiphers, described: list[str]) -> dict:
    return {
        "settings": described,
        "protocols": [{"protocol": p.protocol.label, "suites": [_suite_json(s) for s in p.suites]}
                      for p in sorted(eff.protocols, key=lambda e: e.protocol, reverse=True)],
        "openssl": {"min_version": eff.min_version.label if eff.min_version else None,
                    "max_version": eff.max_version.label if eff.max_version else None,
                    "disabled_versions": [p.label for p in _gaps(eff)],
                    "options": [NO_VERSION_OPTION[p] for p in _gaps(eff)],
                    "cipher_list": eff.openssl_cipher_string,
                    "ciphersuites": eff.openssl_ciphersuites,
                    "lists_differ_by_protocol": eff.lists_differ,
                    "security_level_0": bool(_security_level_0(eff)),
                    "security_level_0_reasons": _security_level_0(eff)},
        "unavailable": [{"suite": u.suite.iana_name if u.suite else None,
                         "iana_code": u.suite.iana_hex if u.suite else None,
                         "protocol": u.protocol.label if u.protocol else None,
                         "reason": u.reason.name, "detail": str(u)} for u in eff.unavailable],
    }


def _effective_text(eff: EffectiveCiphers, described: list[str]) -> list[str]:
    lines = ["Settings: " + ("; ".join(described) or "none")]
    on = [p.protocol.label for p in eff.protocols]
    lines.append(f"Protocols on: {', '.join(on) or 'none'}")
    for entry in sorted(eff.protocols, key=lambda e: e.protocol, reverse=True):
        lines.append("")
        lines.append(f"{entry.protocol.label}: {len(entry.suites)} suite(s), most preferred first")
        if entry.suites:
            lines.append(f"   #  {'GSKit V3 code or *QSSLCSL name':<38} {'code':<7} {'IANA name':<46} OpenSSL name")
        for i, s in enumerate(entry.suites, 1):
            spec = s.v3_code or s.ibmi_name or "(_EX name)"
            lines.append(f"  {i:>2}  {spec:<38} {s.iana_hex:<7} {s.iana_name:<46} {s.openssl_name}")
    gaps = _gaps(eff)
    off = (f", without {', '.join(p.label for p in gaps)} "
           f"({' | '.join(NO_VERSION_OPTION[p] for p in gaps)})") if gaps else ""
    lines += ["", "OpenSSL configuration:",
              f"  versions:     {eff.min_version.label if eff.min_version else '-'} .. "
              f"{eff.max_version.label if eff.max_version else '-'}{off}",
              f"  cipher list:  {eff.openssl_cipher_string or '(none)'}",
              f"  ciphersuites: {eff.openssl_ciphersuites or '(none)'}"]
    level_0 = _security_level_0(eff)
    if level_0:
        lines.append(f"  security:     level 0 (@SECLEVEL=0), because {'; '.join(level_0)} (OpenSSL's "
                     "default level refuses them; level 0 also accepts weak keys and signatures)")
    if eff.lists_differ:
        lines.append("  note: TLS 1.0/1.1/1.2 allow different suites; OpenSSL has one list for "
                     "them, so the list above is their union and each version's own list is "
                     "enforced per connection")
    if eff.unavailable:
        lines += ["", "Asked for but cannot be had:"] + [f"  {u}" for u in eff.unavailable]
    return lines


def _expand_openssl(text: str) -> tuple[list[CipherSuite], list[str]]:
    """Expand an OpenSSL cipher string with OpenSSL itself; TLS 1.3 names pass through."""
    from OpenSSL import SSL

    tokens = [t for t in text.replace(",", ":").split(":") if t.strip()]
    tls13 = [t for t in tokens if (s := suite_by_name(t)) is not None and s.tls13]
    rest = ":".join(t for t in tokens if t not in tls13)
    if not rest.isascii():          # (OpenSSL's names are ASCII; a lone surrogate cannot be encoded)
        raise UsageError(f"OpenSSL matches no cipher with {rest!r}: its cipher names are ASCII")
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_tls13_ciphersuites(b"")
    names: list[str] = []
    if rest:
        try:
            ctx.set_cipher_list(rest.encode())
        except SSL.Error:
            raise UsageError(f"OpenSSL matches no cipher with {rest!r}") from None
        names = SSL.Connection(ctx).get_cipher_list()
    suites, unknown = [], []
    for name in tls13 + names:
        suite = suite_by_name(name)
        (suites.append(suite) if suite else unknown.append(name))
    return list(dict.fromkeys(suites)), unknown


def _gskit_settings(suites: list[CipherSuite]) -> dict[str, str]:
    """The GSKit attribute values that express these suites, per protocol, in order."""
    settings: dict[str, str] = {}
    for attribute, fmt, protocol in (("GSK_TLSV13_CIPHER_SPECS_EX", F.TLS13_EX, P.TLSV13),
                                     ("GSK_TLSV12_CIPHER_SPECS_EX", F.EX, P.TLSV12),
                                     ("GSK_TLSV11_CIPHER_SPECS_EX", F.EX, P.TLSV11),
                                     ("GSK_TLSV10_CIPHER_SPECS_EX", F.EX, P.TLSV10)):
        chosen = [s for s in suites if protocol in s.protocols]
        if chosen:
            settings[attribute] = format_cipher_specs(fmt, chosen)
    legacy = [s for s in suites if not s.tls13]
    if legacy and all(s.v3_code for s in legacy):
        settings["GSK_V3_CIPHER_SPECS"] = format_cipher_specs(F.V3, legacy)
    ibmi = [s for s in suites if s.ibmi_name]
    if ibmi:
        settings["QSSLCSL"] = format_cipher_specs(F.SYSTEM_VALUE, ibmi)
    return settings


def _given_options(args) -> list[str]:
    """The options given besides --from-openssl and --json (it takes no other)."""
    given = [dest for dest in SPEC_OPTIONS if getattr(args, dest) is not None]
    given += [dest for dest in ("release", "application", "protocols", "cert_key_types", "policy")
              if getattr(args, dest) is not None]
    given += [name for name in SWITCHES if getattr(args, name) is not None]
    return ["--" + dest.replace("_", "-") for dest in given]


def _from_openssl(args) -> int:
    others = _given_options(args)
    if others:
        raise UsageError(f"--from-openssl converts an OpenSSL cipher string and takes only --json, "
                         f"not {', '.join(others)} (run gskit ciphers again with the GSKit settings "
                         f"it prints to check them)")
    if not args.from_openssl.replace(",", ":").replace(":", "").strip():
        raise UsageError("--from-openssl needs an OpenSSL cipher string, e.g. 'ECDHE+AESGCM'; "
                         f"{args.from_openssl!r} names nothing")
    suites, unknown = _expand_openssl(args.from_openssl)
    settings = _gskit_settings(suites)
    not_ibmi = [s for s in suites if s.ibmi_name is None]
    if args.json:
        print(json.dumps({"openssl": args.from_openssl, "suites": [_suite_json(s) for s in suites],
                          "gskit": settings, "not_in_ibmi": [s.iana_name for s in not_ibmi],
                          "unknown": unknown}, indent=2))
    else:
        print(f"OpenSSL {args.from_openssl!r} expands to {len(suites)} suite(s):")
        for i, s in enumerate(suites, 1):
            print(f"  {i:>2}  {s.iana_hex:<7} {s.iana_name:<46} {s.openssl_name}")
        print("\nGSKit settings:")
        for attribute, value in settings.items():
            print(f"  {attribute} = {value}")
        if not_ibmi:
            print("\nNot in IBM i's cipher table (GSKit on IBM i refuses them; gskit accepts the _EX names):")
            print("".join(f"  {s.iana_name}\n" for s in not_ibmi), end="")
        if unknown:
            print(f"\nNot in gskit's table: {', '.join(unknown)}")
    return EXIT_OK if suites else EXIT_NO


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.from_openssl is not None:
            return _from_openssl(args)
        defaulted = _lists_left_to_the_system(args)
        if defaulted:
            args.release = DEFAULT_RELEASE     # as on IBM i: no list set, the system value's applies
        own, shared, described = _parse_specs(args)
        if defaulted:
            described[-1] += ", as no list or --release was given"
        if not own and shared is None:
            raise UsageError("give GSKit settings (e.g. --tlsv12-specs-ex, --v3-specs, --tlsv13), "
                             "--release, --application or --from-openssl")
        on = _switches(args, own, shared)
        keys = _key_types(args.cert_key_types) if args.cert_key_types else None
        from gskit.policy import PolicyError, check_configuration, load_policy
        try:
            policy = load_policy(args.policy) if args.policy is not None else None
        except PolicyError as exc:
            raise UsageError(str(exc)) from None
    except UsageError as exc:
        print(f"gskit ciphers: {str(exc).rstrip('.')}.", file=sys.stderr)
        return EXIT_USAGE
    eff = _tls13_at_default_level(effective_suites(on, own, shared=shared, cert_key_types=keys))
    result = check_configuration(policy, eff) if policy else None
    if args.json:
        data = _effective_json(eff, described)
        if result is not None:
            data["policy"] = result.to_json()
        print(json.dumps(data, indent=2))
    else:
        lines = _effective_text(eff, described)
        if result is not None:
            lines += ["", f"Policy {result.policy}: {'compliant' if result.compliant else 'NOT compliant'}"]
            lines += [f"  {v}" for v in result.violations]
        print("\n".join(lines))
    if result is not None and not result.compliant:
        return EXIT_NO
    return EXIT_OK if eff.enabled else EXIT_NO
