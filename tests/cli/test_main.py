"""The `gskit` dispatcher, run as a real process (python -m gskit ...)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

TIMEOUT = 60


def gskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gskit", *args], capture_output=True, text=True,
                          timeout=TIMEOUT)


def test_no_command_is_bad_usage_in_one_sentence() -> None:
    result = gskit()
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "gskit: name a command (errors, ciphers, scan, certstore, demo); see gskit --help.\n"


@pytest.mark.parametrize("args", [
    ("scan",), ("scan", "--bogus", "127.0.0.1:1"), ("scan", "127.0.0.1:1", "--timeout"),
    ("ciphers", "--bogus"), ("ciphers", "--tlsv13", "maybe"), ("demo", "--host"), ("demo", "extra"),
    ("certstore",), ("certstore", "list"), ("certstore", "frobnicate"), ("certstore", "app", "register", "X"),
    ("certstore", "list", "a", "--bogus\x1b[31m"),
])
def test_bad_usage_of_every_subcommand_is_one_sentence_and_exit_2(args: tuple[str, ...]) -> None:
    """cli.md: errors go to stderr as one clear sentence (argparse's usage block is --help's)."""
    result = gskit(*args)
    assert (result.returncode, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gskit {args[0]}") and lines[0].endswith("--help.")
    assert "usage:" not in lines[0] and "\x1b" not in result.stderr       # (an escape arrives escaped)


def test_help_asked_for_goes_to_stdout_and_exits_0():
    for flag in ("--help", "-h", "help"):
        result = gskit(flag)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith("usage: gskit COMMAND") and "demo" in result.stdout


def test_unknown_command_is_one_sentence_on_stderr():
    result = gskit("frobnicate")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip().splitlines() == [
        "gskit: unknown command 'frobnicate'; try one of: errors, ciphers, scan, certstore, demo."]


def test_a_name_the_terminal_cannot_show_is_escaped_not_a_crash(tmp_path):
    """A description with characters outside the terminal's encoding (latin-1 here)."""
    env = {**os.environ, "PYTHONIOENCODING": "latin-1", "GSKIT_HOME": str(tmp_path)}
    certstore = [sys.executable, "-m", "gskit", "certstore"]
    subprocess.run([*certstore, "create", str(tmp_path / "s.p12")], env=env, check=True, capture_output=True,
                   timeout=60)
    subprocess.run([*certstore, "app", "register", "WEB", "--type", "client", "--store", str(tmp_path / "s.p12"),
                    "--description", "web \N{LOCK}"], env={**env, "PYTHONIOENCODING": "utf-8"}, check=True,
                   capture_output=True, timeout=60)
    shown = subprocess.run([*certstore, "app", "list"], env=env, capture_output=True, timeout=60)
    assert shown.returncode == 0 and b"Traceback" not in shown.stderr
    assert b"web \\U0001f512" in shown.stdout


COMMANDS_WITH_OUTPUT = [["--help"], ["errors", "406"], ["ciphers", "--release", "7.4"]]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("command", COMMANDS_WITH_OUTPUT, ids=lambda c: c[0])
def test_a_full_disk_for_the_output_is_one_sentence(command):
    """Standard output on /dev/full: one sentence, exit 2 (before: a traceback)."""
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "gskit", *command], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["gskit: could not write the output (No space left on device)."]


@pytest.mark.parametrize("command", COMMANDS_WITH_OUTPUT, ids=lambda c: c[0])
def test_a_reader_that_stops_early_ends_the_command_quietly(command):
    """`gskit ... | head -0`: the reader has what it wanted; exit 0, nothing on stderr."""
    process = subprocess.Popen([sys.executable, "-m", "gskit", *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()                  # (before the command writes: its first write fails)
    stderr = process.communicate(timeout=TIMEOUT)[1]
    assert (process.returncode, stderr) == (0, b"")
