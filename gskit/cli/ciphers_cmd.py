"""``gskit ciphers``: what a GSKit cipher configuration really allows, offline (cli.md).

Settings come from options named after the GSKit attributes, an IBM i release's defaults, or
an application definition of the registry; ``--from-openssl`` goes the other way.  Which
protocols are on and which list each of them uses is decided by the engine's own functions
(``gskit.engine.config``), so what is printed is what a GSKit environment with the same
attributes uses.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Sequence

from gskit import constants as c
from gskit import errors as rc
from gskit.attributes.cipher_policy import (EffectiveCiphers, ProtocolSuites, Reason, Unavailable,
                                            effective_suites)
from gskit.attributes.ciphers import (IBMI_DEFAULT_PROTOCOLS, IBMI_DEFAULTS, CipherSpecError,
                                      CipherSpecFormat, CipherSuite, format_cipher_specs,
                                      parse_cipher_specs, security_level_0_reasons, suite_by_name)
from gskit.attributes.protocols import NEGOTIABLE, Protocol
from gskit.attributes.table import PROTOCOL_SWITCHES
from gskit.attributes.values import AttributeValues
from gskit.cli.usage import Parser
from gskit.engine import config as engine
from gskit.engine.config import DEFAULT_RELEASE

EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2
F = CipherSpecFormat
P = Protocol

# option dest -> (GSKit attribute, format, the engine's list key: AttributeValues.cipher_lists);
# the QSSLCSL system value is no attribute: it stands in for the release's default list.
SPEC_OPTIONS: dict[str, tuple[str, CipherSpecFormat, str | None]] = {
    "v2_specs": ("GSK_V2_CIPHER_SPECS", F.V2, "V2"),
    "v3_specs": ("GSK_V3_CIPHER_SPECS", F.V3, "V3"),
    "v3_specs_ex": ("GSK_V3_CIPHER_SPECS_EX", F.EX, "V3"),
    "v3_specs_expanded": ("z/OS GSK_V3_CIPHER_SPECS_EXPANDED", F.V3_EXPANDED, "V3"),
    "system_value": ("QSSLCSL system value", F.SYSTEM_VALUE, None),
    "tlsv10_specs": ("GSK_TLSV10_CIPHER_SPECS", F.V3, "TLSV10"),
    "tlsv11_specs": ("GSK_TLSV11_CIPHER_SPECS", F.V3, "TLSV11"),
    "tlsv12_specs": ("GSK_TLSV12_CIPHER_SPECS", F.V3, "TLSV12"),
    "tlsv10_specs_ex": ("GSK_TLSV10_CIPHER_SPECS_EX", F.EX, "TLSV10"),
    "tlsv11_specs_ex": ("GSK_TLSV11_CIPHER_SPECS_EX", F.EX, "TLSV11"),
    "tlsv12_specs_ex": ("GSK_TLSV12_CIPHER_SPECS_EX", F.EX, "TLSV12"),
    "tlsv13_specs_ex": ("GSK_TLSV13_CIPHER_SPECS_EX", F.TLS13_EX, "TLSV13"),
}
SWITCHES = {"sslv2": P.SSLV2, "sslv3": P.SSLV3, "tlsv10": P.TLSV10, "tlsv11": P.TLSV11,
            "tlsv12": P.TLSV12, "tlsv13": P.TLSV13}
# The GSK_PROTOCOL_TLSV1x attribute of each protocol the engine has a switch for.
SWITCH_IDS = {Protocol[key]: attr_id for attr_id, key in PROTOCOL_SWITCHES.items()}


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


@dataclass
class Settings:
    """The attribute values a GSKit program would have set, and what the engine has no
    attribute for: the QSSLCSL system value, the SSLv2/SSLv3 switches (never negotiated)."""

    values: AttributeValues
    release: str
    system_value: tuple[CipherSuite, ...] | None
    never_negotiated: set[Protocol]
    described: list[str]


def _settings(args) -> Settings:
    """The options as the attribute values of a GSKit environment (as ``gsk_attribute_set_*``
    would store them), then the application definition's where unset, as at init."""
    if not _given_options(args):
        raise UsageError("give GSKit settings (e.g. --tlsv12-specs-ex, --v3-specs, --tlsv13), "
                         "--release, --application or --from-openssl")
    values, described, system_value, shared = AttributeValues(), [], None, []
    for dest, (attribute, fmt, key) in SPEC_OPTIONS.items():
        text = getattr(args, dest)
        if text is None:
            continue
        try:
            suites = tuple(parse_cipher_specs(fmt, text))
        except CipherSpecError as exc:
            raise UsageError(f"{attribute} {text!r}: {exc.message}") from None
        described.append(f"{attribute}={text}")
        if key in ("V3", None):
            shared.append(attribute)
        if key is None:
            system_value = suites
        else:
            values.cipher_lists[key] = suites
    if len(shared) > 1:
        raise UsageError("give only one of " + ", ".join(shared))
    release = args.release or DEFAULT_RELEASE
    on: set[Protocol] | None = None
    if args.protocols:
        try:
            on = {Protocol.from_label(t) for t in args.protocols.split(",") if t.strip()}
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        for protocol, attr_id in SWITCH_IDS.items():
            values.values[attr_id] = c.GSK_TRUE if protocol in on else c.GSK_FALSE
    for name, protocol in SWITCHES.items():
        value = getattr(args, name)
        if value is not None and protocol in SWITCH_IDS:
            values.values[SWITCH_IDS[protocol]] = c.GSK_TRUE if value else c.GSK_FALSE
    if args.application:
        app_protocols = _application(args.application, values)
        described.append(f"application {args.application}")
        if on is None and app_protocols:
            on = {Protocol.from_label(p) for p in app_protocols}
    # SSLv2 and SSLv3 have no switch in the engine (never negotiated): kept to be reported.
    never = set(IBMI_DEFAULT_PROTOCOLS[release]) if on is None else on
    for name, protocol in SWITCHES.items():
        value = getattr(args, name)
        if value is not None:
            (never.add if value else never.discard)(protocol)
    return Settings(values, release, system_value, {p for p in never if not p.negotiable}, described)


def _application(app_id: str, values: AttributeValues) -> tuple[str, ...] | None:
    """Apply an application definition of the registry to ``values`` the way the engine does
    at init (its protocols and lists where unset); its protocols."""
    try:
        from certstore import KeystoreError, Registry
    except ImportError:  # pragma: no cover - certstore ships with gskit
        raise UsageError("--application needs the certstore package") from None
    try:
        app = Registry().application(app_id)
    except KeystoreError as exc:
        raise UsageError(str(exc).rstrip(".")) from None
    unknown = [n for n in app.cipher_suites or () if suite_by_name(n) is None]
    if unknown:
        raise UsageError(f"application {app_id}: unknown suite(s) {', '.join(unknown)}")
    from gskit.environment import apply_application   # (loads OpenSSL: only for --application)
    try:
        apply_application(values, app)
    except ValueError as exc:
        raise UsageError(f"application {app_id}: {str(exc).rstrip('.')}") from None
    return app.protocols


def _list_protocol(key: str) -> Protocol:
    return P.SSLV2 if key == "V2" else Protocol[key]


@dataclass
class Resolved:
    effective: EffectiveCiphers
    refused: engine.ConfigError | None     # gsk_environment_init would fail with it
    described: list[str]


def _resolve(settings: Settings, args, cert_key_types: list[str] | None) -> Resolved:
    """The engine's switches and, per protocol, the engine's choice of list (its own, else the
    V3 list up to TLS 1.2, else the release's default), explained by ``effective_suites``;
    and whether the engine refuses the configuration."""
    values, release = settings.values, settings.release
    enabled = engine.enabled_protocols(values, release)
    own = {_list_protocol(k): v for k, v in values.cipher_lists.items() if k != "V3"}
    v3 = values.cipher_lists.get("V3")
    lists: dict[Protocol, Sequence[CipherSuite]] = dict(own)
    on_v3, on_default, default_lists = [], [], {}
    for protocol in enabled:
        if protocol in own:
            continue
        suites, explicit = engine.protocol_suites(values, release, protocol)
        if explicit:
            on_v3.append(protocol)
        else:
            on_default.append(protocol)
            default_lists[protocol] = (suites if settings.system_value is None else
                                       tuple(s for s in settings.system_value if protocol in s.protocols))
    defaults = settings.system_value if settings.system_value is not None else IBMI_DEFAULTS[release]
    default_asked = bool(args.release) or settings.system_value is not None or not (values.cipher_lists.keys() - {"V2"})
    shared: Sequence[CipherSuite] | None
    if v3 is not None:        # the shared list of TLS 1.0-1.2; TLS 1.3 keeps its default list
        shared, users, asked = v3, on_v3, True
        lists.update(default_lists)
    else:
        shared, users, asked = defaults, on_default, default_asked
    if users or asked:        # report what it asks for, not what other lists replace
        others = set(enabled) - set(users)
        shared = [s for s in shared if s.protocols & set(users) or not s.protocols & others]
    else:
        shared = None
    eff = effective_suites(set(enabled) | settings.never_negotiated, lists, shared=shared,
                           cert_key_types=cert_key_types)
    described = list(settings.described)
    if settings.system_value is None and (on_default or (default_asked and v3 is None)):
        source = "GSK_V3_CIPHER_SPECS" if release == "V6R1" else "QSSLCSL *OPSYS"
        line = f"IBM i {release} default cipher list ({source})"
        some = bool(on_default) and len(on_default) < len(enabled)
        if some:
            line += " for " + ", ".join(p.label for p in on_default)
        if not args.release and not args.application:
            line += f", as no list for {'it' if len(on_default) == 1 else 'them'} or --release was given" \
                if some else ", as no list or --release was given"
        described.append(line)
    return Resolved(_tls13_at_default_level(eff), _refusal(settings, enabled, on_default), described)


def _refusal(settings: Settings, enabled: tuple[Protocol, ...], on_default: list[Protocol]
             ) -> engine.ConfigError | None:
    """The engine's verdict (``resolve_suites``, as gsk_environment_init calls it).  With
    --system-value (no attribute the engine has) only the lists set are checked."""
    checked = enabled if settings.system_value is None else tuple(p for p in enabled if p not in on_default)
    try:
        engine.resolve_suites(settings.values, settings.release, checked)
    except engine.ConfigError as exc:
        if checked == enabled or exc.rc != rc.GSK_ERROR_NO_CIPHERS:
            return exc
    return None


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


def _refused_name(exc: engine.ConfigError) -> str:
    entry = rc.entry_for(exc.rc)
    return entry.name if entry else str(exc.rc)


def _refused_json(exc: engine.ConfigError | None) -> dict | None:
    if exc is None:
        return None
    return {"call": "gsk_environment_init", "rc": exc.rc, "name": _refused_name(exc), "detail": exc.detail}


def _refused_text(exc: engine.ConfigError) -> str:
    return (f"GSKit refuses this configuration: gsk_environment_init returns {exc.rc} "
            f"{_refused_name(exc)} ({exc.detail})")


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
        settings = _settings(args)
        keys = _key_types(args.cert_key_types) if args.cert_key_types else None
        from gskit.policy import PolicyError, check_configuration, load_policy
        try:
            policy = load_policy(args.policy) if args.policy is not None else None
        except PolicyError as exc:
            raise UsageError(str(exc)) from None
    except UsageError as exc:
        print(f"gskit ciphers: {str(exc).rstrip('.')}.", file=sys.stderr)
        return EXIT_USAGE
    resolved = _resolve(settings, args, keys)
    eff = resolved.effective
    result = check_configuration(policy, eff) if policy else None
    if args.json:
        data = _effective_json(eff, resolved.described)
        data["refused"] = _refused_json(resolved.refused)
        if result is not None:
            data["policy"] = result.to_json()
        print(json.dumps(data, indent=2))
    else:
        lines = _effective_text(eff, resolved.described)
        if resolved.refused is not None:
            lines += ["", _refused_text(resolved.refused)]
        if result is not None:
            lines += ["", f"Policy {result.policy}: {'compliant' if result.compliant else 'NOT compliant'}"]
            lines += [f"  {v}" for v in result.violations]
        print("\n".join(lines))
    if (result is not None and not result.compliant) or resolved.refused is not None:
        return EXIT_NO
    return EXIT_OK if eff.enabled else EXIT_NO
