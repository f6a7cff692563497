"""Live TLS server scanning: protocols, suites in the server's full order, groups, certificate.

``scan(host, port)`` returns a :class:`ScanResult`; ``gskit scan`` prints it.  Imports
pyOpenSSL (this package is for live scans; :mod:`gskit.attributes.ciphers` stays light).
"""
from gskit.scan.result import (CertificateResult, CertSummary, ProtocolResult, ResumptionResult,
                               ScanResult, SNIResult)
from gskit.scan.scanner import BadScanInput, NotTLS, ScanError, TargetUnreachable, scan

__all__ = ["BadScanInput", "CertificateResult", "CertSummary", "NotTLS", "ProtocolResult",
           "ResumptionResult", "SNIResult", "ScanError", "ScanResult", "TargetUnreachable", "scan"]
