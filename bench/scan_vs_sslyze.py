"""Benchmark: ``gskit scan`` against sslyze's cipher-suite scan of the same local server.

One ``openssl s_server`` on loopback offers every TLS 1.2 and 1.3 suite OpenSSL has (and TLS
1.0/1.1 at security level 0), with server preference.  Both scanners run as command-line
programs against it, interleaved, several rounds; the script prints the median wall times,
their ratio, and whether both found the same accepted suites (gskit also reports the order,
groups, certificate, SNI and resumption).

sslyze is AGPL and never a dependency of gskit: the script installs it into its own venv
(default /tmp/sslyze-venv, made with ``python3 -m venv``) on first use.

    .venv/bin/python bench/scan_vs_sslyze.py [--rounds 3] [--venv /tmp/sslyze-venv]
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme

TLS13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:" \
        "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"
SSLYZE_COMMANDS = {"tls_1_0_cipher_suites": "TLSv1", "tls_1_1_cipher_suites": "TLSv1.1",
                   "tls_1_2_cipher_suites": "TLSv1.2", "tls_1_3_cipher_suites": "TLSv1.3"}


def ensure_sslyze(venv: Path) -> Path:
    exe = venv / "bin" / "sslyze"
    if not exe.exists():
        print(f"installing sslyze into {venv} (its own venv, not gskit's) ...", flush=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "sslyze"], check=True)
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, int]:
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    pem = folder / "server.pem"
    ca.issue_cert("localhost", "127.0.0.1", key_type=trustme.KeyType.RSA).private_key_and_cert_chain_pem.write_to_path(str(pem))
    port = free_port()
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem), "-key", str(pem),
         "-cipher", "ALL:@SECLEVEL=0", "-ciphersuites", TLS13, "-serverpref", "-quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("s_server did not start")


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, out


def gskit_suites(stdout: str) -> dict[str, list[str]]:
    data = json.loads(stdout)
    return {p["protocol"]: [s["openssl_name"] for s in p["accepted"]] for p in data["protocols"]}


def sslyze_suites(path: Path) -> dict[str, set[str]]:
    data = json.loads(path.read_text())
    result = data["server_scan_results"][0]["scan_result"]
    found = {}
    for command, label in SSLYZE_COMMANDS.items():
        accepted = result[command]["result"]["accepted_cipher_suites"]
        found[label] = {a["cipher_suite"]["openssl_name"] for a in accepted}
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--venv", type=Path, default=Path("/tmp/sslyze-venv"))
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        raise SystemExit("the openssl command is needed for the server")
    sslyze = ensure_sslyze(args.venv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, port = start_server(folder)
        try:
            target = f"127.0.0.1:{port}"
            gskit_cmd = [sys.executable, "-m", "gskit", "scan", target, "--sni", "localhost", "--json"]
            sslyze_json = folder / "sslyze.json"
            sslyze_cmd = [str(sslyze), "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3", "--quiet",
                          f"--json_out={sslyze_json}", target]
            times: dict[str, list[float]] = {"gskit": [], "sslyze": []}
            for _ in range(args.rounds):
                elapsed, g_out = timed(gskit_cmd)
                times["gskit"].append(elapsed)
                elapsed, s_out = timed(sslyze_cmd)
                times["sslyze"].append(elapsed)
                if g_out.returncode or s_out.returncode:
                    raise SystemExit(f"a scanner failed: {g_out.stderr or s_out.stderr}")
        finally:
            server.kill()
            server.wait()
        ours, theirs = gskit_suites(g_out.stdout), sslyze_suites(sslyze_json)
    g, s = statistics.median(times["gskit"]), statistics.median(times["sslyze"])
    print("server: openssl s_server, ALL:@SECLEVEL=0 + 5 TLS 1.3 suites, -serverpref, RSA-2048")
    print(f"{'protocol':<9} {'gskit':>6} {'sslyze':>7}  gskit finds all sslyze finds; extra")
    for label in SSLYZE_COMMANDS.values():
        mine, other = set(ours.get(label, [])), theirs.get(label, set())
        print(f"{label:<9} {len(mine):>6} {len(other):>7}  {other <= mine}; "
              f"{', '.join(sorted(mine - other)) or '-'}")
    print(f"gskit scan (full: suites in server order, groups, certificate, SNI, resumption): "
          f"median {g:.2f} s  {['%.2f' % t for t in times['gskit']]}")
    print(f"sslyze (cipher suites TLS 1.0-1.3):  median {s:.2f} s  {['%.2f' % t for t in times['sslyze']]}")
    print(f"ratio gskit/sslyze: {g / s:.2f}x (target <= 0.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
