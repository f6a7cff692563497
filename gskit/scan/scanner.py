"""``scan()``: run every check against one server, concurrently, with a bound and deadlines."""
from __future__ import annotations

import ipaddress
import math
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from gskit.attributes.protocols import NEGOTIABLE, Protocol
from gskit.scan.certificate import certificate_result, sni_result
from gskit.scan.groups import plan, probe_group
from gskit.scan.probe import Failure, ascii_host, check_ca_file
from gskit.scan.resumption import probe_resumption
from gskit.scan.result import ProtocolResult, ScanResult
from gskit.scan.suites import Target, attempt, candidates, enumerate_protocol, offer_for

NOTES = ("PSK and SRP suites are not probed: they need credentials shared with the server.",)
MAX_TIMEOUT = 3600.0   # seconds per connection


class BadScanInput(ValueError):
    """An argument of ``scan()`` cannot be used (the message is one sentence)."""


class ScanError(Exception):
    """The scan could not run: the target is unreachable or does not speak TLS."""


class TargetUnreachable(ScanError):
    pass


class NotTLS(ScanError):
    pass


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def address(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets (``[::1]:443``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _check_reachable(host: str, port: int, timeout: float) -> None:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.timeout:
        raise TargetUnreachable(f"{address(host, port)} did not accept a connection within {timeout:g} s.") from None
    except OSError as exc:
        raise TargetUnreachable(f"cannot connect to {address(host, port)}: {exc.strerror or exc}.") from None


def check_timeout(timeout: float) -> None:
    """BadScanInput unless ``timeout`` is a number of seconds in (0, MAX_TIMEOUT]."""
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise BadScanInput(f"the timeout must be a number of seconds above 0 and at most "
                           f"{MAX_TIMEOUT:g}, not {timeout!r}")


def _validate(host: str, port: int, sni: str | None, timeout: float, concurrency: int,
              protocols: Iterable[Protocol] | None, ca_file: str | None) -> tuple[str | None, tuple[Protocol, ...]]:
    """The SNI name to send (ASCII form) and the protocols to scan; BadScanInput if unusable."""
    try:
        ascii_host(host)
        sni_ascii = ascii_host(sni, "server name") if sni is not None else None
        if ca_file is not None:
            check_ca_file(ca_file)
    except ValueError as exc:
        raise BadScanInput(str(exc)) from None
    if not 0 < port < 65536:
        raise BadScanInput(f"port {port} is not between 1 and 65535")
    check_timeout(timeout)
    if concurrency < 1:
        raise BadScanInput("concurrency must be at least 1")
    chosen = tuple(sorted(set(protocols))) if protocols else NEGOTIABLE
    bad = [p.label for p in chosen if p not in NEGOTIABLE]
    if bad:
        raise BadScanInput(f"{', '.join(bad)} cannot be scanned (never negotiated)")
    return sni_ascii, chosen


def _why_nothing(host: str, port: int, results: list[ProtocolResult]) -> None:
    """No protocol worked: raise if that is because the target is not a TLS server."""
    errors = [r.error or "" for r in results if r.local_support]
    if errors and all(e.startswith(Failure.NOT_TLS.value) for e in errors):
        raise NotTLS(f"{address(host, port)} does not speak TLS ({errors[0].split(': ', 1)[-1]}).")
    # (it accepted a connection before the probes: one refused or reset since is the same)
    ended = (Failure.TIMEOUT.value, Failure.CLOSED.value, Failure.UNREACHABLE.value)
    if errors and all(e.startswith(ended) for e in errors):
        raise NotTLS(f"{address(host, port)} accepted TCP connections but never completed a TLS "
                     f"handshake ({errors[0]}).")


class _SideProbes:
    """Certificate (with and without SNI) and group probes on one protocol, running in a pool."""

    def __init__(self, pool, target: Target, protocol: Protocol, suites, ca_file: str | None) -> None:
        self.cert = pool.submit(attempt, target, offer_for(protocol, suites, target.sni, ca_file=ca_file))
        self.bare = pool.submit(attempt, target, offer_for(protocol, suites, None)) if target.sni else None
        ecdhe = tuple(s for s in suites if s.key_exchange == "ECDHE")
        jobs, self.skipped = plan(protocol, suites if protocol == Protocol.TLSV13 else ecdhe)
        self.groups = [pool.submit(probe_group, target, p, offered, group) for group, p, offered in jobs]

    def cancel(self) -> None:
        for job in (self.cert, self.bare, *self.groups):
            if job is not None:
                job.cancel()

    def results(self):
        probes = [job.result() for job in self.groups]
        return (self.cert.result(), self.bare.result() if self.bare else None, probes,
                tuple(self.skipped))


def scan(host: str, port: int, *, sni: str | None = None, protocols: Iterable[Protocol] | None = None,
         timeout: float = 5.0, concurrency: int = 8, ca_file: str | None = None) -> ScanResult:
    """Scan one TLS server; raises ScanError if it cannot be reached or is not TLS, and
    BadScanInput (a ValueError) for an argument it cannot use.

    Interrupted (KeyboardInterrupt, or any exception in the calling thread), it cancels the
    probes not started and stops the running ones at once instead of waiting for them.
    """
    started = time.monotonic()
    sni_ascii, wanted = _validate(host, port, sni, timeout, concurrency, protocols, ca_file)
    name = sni if sni is not None else (None if _is_ip(host) else host)   # as the user wrote it
    cancel = threading.Event()
    target = Target(host, port, sni_ascii or (None if _is_ip(host) else ascii_host(host)), timeout, cancel)
    _check_reachable(host, port, timeout)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="gskit-scan")
    try:
        found = _run(pool, target, wanted, ca_file)
    except BaseException:
        cancel.set()   # running probes return within a tenth of a second
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    if isinstance(found, list):   # nothing supported: the speculative probes are moot
        cancel.set()
    pool.shutdown(wait=True, cancel_futures=True)
    if isinstance(found, list):
        results = found
        _why_nothing(host, port, results)
        return ScanResult(address(host, port), tuple(results), None, (), (), None, None, (), NOTES,
                          time.monotonic() - started,
                          certificate_error="the server accepted none of the versions scanned")
    results, supported, (cert_attempt, bare_attempt, probes, skipped), resumption = found
    sni_check = sni_result(name, cert_attempt, bare_attempt)
    certificate = certificate_result(cert_attempt, name or host, ca_file) if cert_attempt.chain else None
    orders = [r.server_order for r in supported if r.server_order is not None]
    notes = list(NOTES)
    notes += [f"{r.protocol.label}: the server closed the connection instead of sending an alert "
              "once no offered suite suited it (or it limits connections): the list ends there"
              for r in supported if r.closed_not_alerted]
    notes += [f"group {p.group} not probed: {p.detail}" for p in probes if p.accepted is None]
    certificate_error = None
    if certificate is None and cert_attempt.ok:
        certificate_error = "the server sent no certificate (an anonymous suite)"
    elif certificate is None:   # (a chain that came before a failure is reported with the chain)
        notes.append(f"certificate handshake failed: {cert_attempt.detail}")
        certificate_error = f"the handshake failed before the server sent a certificate: {cert_attempt.detail}"
    return ScanResult(
        target=address(host, port), protocols=tuple(results), certificate=certificate,
        groups=tuple(p.group for p in probes if p.accepted),
        groups_not_probed=skipped + tuple(p.group for p in probes if p.accepted is None),
        honours_client_order=(not all(orders)) if orders else None, sni=sni_check,
        resumption=resumption, notes=tuple(notes), seconds=time.monotonic() - started,
        certificate_error=certificate_error)


def _run(pool: ThreadPoolExecutor, target: Target, wanted: tuple[Protocol, ...], ca_file: str | None):
    """Every probe, in ``pool``: the protocol results alone (a list) when none is supported,
    else (results, supported, side probe results, resumption results)."""
    top = wanted[-1]
    # Phase 1: enumerate each protocol; meanwhile, speculatively, the certificate, SNI and
    # group probes on the newest protocol asked for (redone below if it is not supported).
    enumerations = [pool.submit(enumerate_protocol, target, p) for p in wanted]
    early = _SideProbes(pool, target, top, candidates(top), ca_file)
    results = [job.result() for job in enumerations]
    supported = [r for r in results if r.supported]
    if not supported:
        early.cancel()
        return results
    best = max(supported, key=lambda r: r.protocol)
    side = early
    if best.protocol != top:
        early.cancel()
        side = _SideProbes(pool, target, best.protocol, best.accepted, ca_file)
    resumption_jobs = [pool.submit(probe_resumption, target, r.protocol, r.accepted)
                       for r in supported if r.protocol >= Protocol.TLSV12]
    side_results = side.results()
    resumption = tuple(job.result() for job in resumption_jobs)
    return results, supported, side_results, resumption
