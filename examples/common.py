"""What every example shares: its command-line options and where its certificates come from.

By default a server uses the application ID ``GSKIT_DEMO_SERVER`` and a client
``GSKIT_DEMO_CLIENT``: both live in the development store that ``certstore.ensure_dev_store``
creates under ``GSKIT_HOME`` on first use (a development CA, RSA and ECDSA certificates for
localhost/127.0.0.1/::1, a client certificate).  ``--application-id`` names another
registered application; ``--keyring-file`` (with ``--stash-file``, ``--label`` and the
password in the environment variable named by ``--password-env``) uses a keystore file.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import certstore
from gskit.attributes.table import BY_KEYWORD

DEFAULT_HOST = "127.0.0.1"
GSK_PORT = 13333        # the GSKit examples' port
ECHO_PORT = 12345       # the asynchronous I/O example's port (SERVPOR)
DEMO_APPLICATION = {"server": certstore.DEMO_SERVER, "client": certstore.DEMO_CLIENT}
# What the seed's GSKit programs set: no SSLv3, TLS 1.0 or TLS 1.1, one TLS 1.2 suite.
SEED_SETTINGS: dict[str, Any] = {"sslv3": False, "tlsv10": False, "tlsv11": False,
                 "tlsv12_cipher_specs_ex": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}


def parser(description: str, port: int, role: str | None = None) -> argparse.ArgumentParser:
    """An argument parser with --host and --port, and the certificate options when ``role``.

    Also makes stdout line-buffered, so that the lines of several threads come out in order.
    """
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on or connect to (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=port, help=f"TCP port; 0 picks a free one (default {port})")
    p.add_argument("--timeout", type=float, default=500.0, help="seconds a worker waits for a completion (default 500)")
    if role is not None:
        p.add_argument("--application-id", default=DEMO_APPLICATION[role],
                       help=f"registered application ID (default {DEMO_APPLICATION[role]}, in the development store)")
        p.add_argument("--keyring-file", help="use this keystore file instead of an application ID")
        p.add_argument("--stash-file", help="stash file holding the keystore password")
        p.add_argument("--label", help="certificate label in the keystore")
        p.add_argument("--password-env", default="KEYRING_PW", metavar="VAR",
                       help="environment variable holding the keystore password (default KEYRING_PW)")
    return p


def certificate_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The certificate attributes to set, by Pythonic keyword (creates the dev store if used)."""
    if args.keyring_file:
        settings = {"keyring_file": args.keyring_file, "keyring_stash_file": args.stash_file,
                    "keyring_label": args.label, "keyring_password": os.environ.get(args.password_env)}
        return {keyword: value for keyword, value in settings.items() if value}
    if args.application_id in DEMO_APPLICATION.values():
        certstore.ensure_dev_store()
    return {"application_id": args.application_id}


def certificate_attributes(args: argparse.Namespace) -> list[tuple[int, str]]:
    """The same settings as (GSKit buffer ID, value) pairs, for the compat-layer ports."""
    return [(BY_KEYWORD[keyword].id, value) for keyword, value in certificate_settings(args).items()]


def listening(sock_name: tuple[str, int]) -> None:
    """Tell the user (and the tests) where the server listens."""
    say(f"Listening on {sock_name[0]} port {sock_name[1]}.")


def say(text: str) -> None:
    """printf of one whole line: a single write, so lines from two threads never mix."""
    sys.stdout.write(f"{text}\n")


def fail(message: str) -> None:
    """C's perror(): the message on stderr."""
    print(message, file=sys.stderr, flush=True)
