"""``gskit scan HOST:PORT``: what a live TLS server accepts, in its order (cli.md)."""
from __future__ import annotations

import argparse
import ipaddress
import json
import math
import sys

from gskit.attributes.protocols import NEGOTIABLE, Protocol
from gskit.cli import printable
from gskit.cli.usage import Parser

EXIT_OK, EXIT_NO, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130   # Ctrl-C, as shells report SIGINT
MAX_TIMEOUT = 3600.0     # = gskit.scan.scanner.MAX_TIMEOUT (not imported: no TLS import before parsing)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gskit scan", description="Scan a TLS server: protocols, accepted suites in the "
        "server's full preference order, key-exchange groups, certificate chain, SNI, resumption.")
    p.add_argument("target", metavar="HOST:PORT", help="server to scan (port 443 if omitted; [::1]:443 for IPv6)")
    p.add_argument("--sni", help="server name to send (default: HOST unless it is an IP address)")
    p.add_argument("--protocols", help="comma-separated versions to scan, e.g. TLSv1.2,TLSv1.3 (default: all)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per connection (default 5)")
    p.add_argument("--concurrency", type=int, default=8, help="parallel connections (default 8)")
    p.add_argument("--ca-file", help="PEM CA file to verify the chain against")
    p.add_argument("--policy", help="policy name (mozilla-intermediate, ibmi-7.4, ...) or TOML file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _is_ipv6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


def parse_target(text: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port``, ``[v6]``, a bare IPv6 address (port 443), or ``host``
    (port 443).  ValueError (one sentence) for anything else, or a host name that cannot be."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ValueError(f"{text!r} is not HOST:PORT: the IPv6 address has no closing ']'")
        if not _is_ipv6(host):
            raise ValueError(f"{text!r} is not HOST:PORT: only an IPv6 address goes in brackets")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{text!r} is not HOST:PORT: ':PORT' must follow the ']'")
        port = rest[1:] if rest else "443"
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif ":" in text:  # only a bare IPv6 address has more than one colon
        if not _is_ipv6(text):
            raise ValueError(f"{text!r} is not HOST:PORT (write an IPv6 address with a port as [ADDRESS]:PORT)")
        host, port = text, "443"
    else:
        host, port = text, "443"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT")
    from gskit.scan.probe import ascii_host  # refuses what getaddrinfo could not even encode
    ascii_host(host)
    return host, int(port)


def _protocols(text: str | None) -> list[Protocol] | None:
    if not text:
        return None
    chosen = [Protocol.from_label(t) for t in text.split(",") if t.strip()]
    bad = [p.label for p in chosen if p not in NEGOTIABLE]
    if bad:
        raise ValueError(f"{', '.join(bad)} cannot be scanned: gskit never negotiates SSLv2 or SSLv3")
    return chosen


def _suite_rows(result) -> list[str]:
    lines = []
    for entry in sorted(result.protocols, key=lambda r: r.protocol, reverse=True):
        if not entry.local_support:
            lines.append(f"{entry.protocol.label:<8} not tested: {entry.error}")
            continue
        if not entry.supported:
            extra = f" ({entry.error})" if entry.error else ""
            lines.append(f"{entry.protocol.label:<8} not accepted{extra}")
            continue
        order = {True: "server's order", False: "follows the client's order",
                 None: "order not determined (one suite)"}[entry.server_order]
        lines.append(f"{entry.protocol.label:<8} {len(entry.accepted)} suite(s), {order}")
        lines.append(f"   #  {'GSKit':<6} {'code':<7} {'IANA name':<46} OpenSSL name")
        for i, s in enumerate(entry.accepted, 1):
            lines.append(f"  {i:>2}  {s.v3_code or '_EX':<6} {s.iana_hex:<7} {s.iana_name:<46} {s.openssl_name}")
        if entry.error:
            lines.append(f"  (probe stopped early: {entry.error})")
    return lines


def _certificate_lines(cert, error: str | None = None) -> list[str]:
    if cert is None:
        return ["Certificate: none received" + (f" ({error})" if error else "")]
    lines = ["Certificate chain:"]
    for i, c in enumerate(cert.chain):
        curve = f" {c.curve}" if c.curve else ""
        lines += [f"  [{i}] subject {c.subject}", f"      issuer  {c.issuer}",
                  f"      key {c.key_type} {c.key_bits} bits{curve}, signed {c.signature_algorithm}",
                  f"      valid {c.not_before:%Y-%m-%d} .. {c.not_after:%Y-%m-%d}"
                  + (f", SANs {', '.join(c.sans)}" if c.sans else "")]
    verified = {None: "not checked (no --ca-file)", True: "verifies against the CA file",
                False: f"does NOT verify: {cert.verify_error}"}[cert.verified]
    lines.append(f"  chain {verified}")
    if cert.hostname_matches is not None:
        lines.append(f"  name {cert.hostname!r} {'matches' if cert.hostname_matches else 'does NOT match'}")
    if cert.client_certificate == "required":
        lines.append(f"  the server requires a client certificate: without one the handshake fails "
                     f"after the server has sent this chain ({cert.handshake_error})")
    elif cert.client_certificate == "optional":
        lines.append("  the server asks for a client certificate, and goes on without one")
    elif cert.handshake_error:
        lines.append(f"  the handshake failed after the server sent this chain ({cert.handshake_error})")
    return lines


def render_text(result, policy_result) -> str:
    lines = [f"Target {result.target}   ({result.seconds:.2f} s)", ""]
    lines += _suite_rows(result)
    lines.append("")
    lines += _certificate_lines(result.certificate, result.certificate_error)
    lines.append("")
    lines.append(f"Key-exchange groups accepted: {', '.join(result.groups) or 'none found'}")
    if result.groups_not_probed:
        lines.append(f"  not probed: {', '.join(result.groups_not_probed)}")
    client = {None: "unknown", True: "yes (on at least one version)", False: "no, the server chooses"}
    lines.append(f"Honours the client's order: {client[result.honours_client_order]}")
    if result.sni:
        lines.append(f"SNI: {result.sni.summary}")
    for r in result.resumption:
        state = {True: "yes", False: "no", None: "unknown"}[r.resumed]
        lines.append(f"Resumption {r.protocol.label}: {state} ({r.detail})")
    lines += [f"Note: {n}" for n in result.notes]
    if policy_result is not None:
        lines.append("")
        not_checked = getattr(policy_result, "not_checked", [])
        if policy_result.compliant:
            verdict = "compliant"
        elif policy_result.violations:
            verdict = "NOT compliant"
        else:
            verdict = "compliance NOT confirmed: some of its rules could not be checked"
        lines.append(f"Policy {policy_result.policy}: {verdict}")
        lines += [f"  {v}" for v in policy_result.violations]
        lines += [f"  not checked: {n}" for n in not_checked]
        lines += [f"  not probed: {n}" for n in getattr(policy_result, "not_probed", [])]
    return "\n".join(printable(line) for line in lines)   # (names come from the server)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        host, port = parse_target(args.target)
        protocols = _protocols(args.protocols)
        if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_TIMEOUT):
            raise ValueError(f"--timeout must be > 0 and at most {MAX_TIMEOUT:g} seconds, not {args.timeout:g}")
        if args.concurrency < 1:
            raise ValueError("--concurrency must be at least 1")
    except ValueError as exc:
        print(f"gskit scan: {str(exc).rstrip('.')}.", file=sys.stderr)
        return EXIT_USAGE
    from gskit.policy import PolicyError, check_scan, load_policy
    try:
        policy = load_policy(args.policy) if args.policy is not None else None
    except PolicyError as exc:
        print(f"gskit scan: {str(exc).rstrip('.')}.", file=sys.stderr)
        return EXIT_USAGE
    from gskit.scan import BadScanInput, ScanError, scan
    try:
        result = scan(host, port, sni=args.sni, protocols=protocols, timeout=args.timeout,
                      concurrency=args.concurrency, ca_file=args.ca_file)
    except BadScanInput as exc:   # a --sni or --ca-file that cannot be used
        print(f"gskit scan: {str(exc).rstrip('.')}.", file=sys.stderr)
        return EXIT_USAGE
    except ScanError as exc:
        print(f"gskit scan: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        print("gskit scan: interrupted; the scan was stopped before it finished.", file=sys.stderr)
        return EXIT_INTERRUPTED
    policy_result = check_scan(policy, result) if policy else None
    if args.json:
        data = result.to_json()
        if policy_result is not None:
            data["policy"] = policy_result.to_json()
        print(json.dumps(data, indent=2))
    else:
        print(render_text(result, policy_result))
    if policy_result is not None and not policy_result.compliant:
        return EXIT_NO
    return EXIT_OK if any(p.supported for p in result.protocols) else EXIT_NO
