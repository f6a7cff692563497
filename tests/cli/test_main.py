"""The `gskit` dispatcher, run as a real process (python -m gskit ...)."""
from __future__ import annotations

import subprocess
import sys

TIMEOUT = 60


def gskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gskit", *args], capture_output=True, text=True,
                          timeout=TIMEOUT)


def test_no_command_is_bad_usage_with_the_usage_on_stderr():
    result = gskit()
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: gskit COMMAND")
    assert "certstore" in result.stderr and "Traceback" not in result.stderr


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
