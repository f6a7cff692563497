"""Type checkers see every name gskit builds at run time (the generated stubs), and the
packages themselves type-check."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gskit import stubs

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(stubs.FILES))
def test_generated_stubs_are_current(name):
    assert (stubs.PACKAGE / name).read_text() == stubs.FILES[name](), \
        f"gskit/{name} is stale: run python -m gskit.stubs"


def test_a_typed_port_type_checks(tmp_path):
    """A C program ported with ``from gskit import *`` passes mypy --strict: the constants are
    Final ints with their values (so compiled code folds them), the enum groups have their
    members, the calls have their signatures."""
    program = tmp_path / "port.py"
    program.write_text(textwrap.dedent("""\
        from gskit import *

        rc, env = gsk_environment_open()
        assert rc == GSK_OK and env is not None
        code: int = gsk_attribute_set_enum(env, GSK_SESSION_TYPE, GSK_SERVER_SESSION)
        code = gsk_attribute_set_numeric_value(env, GSK_IBMI_READ_TIMEOUT, 1000)
        label: str = BufferId.GSK_KEYRING_FILE.name
        if code == ReturnCode.GSK_ERROR_IO or code == GSK_OS400_ERROR_TIMED_OUT:
            print(gsk_strerror(code), label)
        io = Qso_OverlappedIO_t(postFlag=1)
        port: int = QsoCreateIOCompletionPort()
        reveal_type(GSK_OK)
        """))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         program.name], capture_output=True, text=True, cwd=tmp_path, env={"MYPYPATH": str(ROOT)},
        timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith(program.name)]
    assert lines == ['port.py:12: note: Revealed type is "Literal[0]?"'], result.stdout
    assert result.returncode == 0, result.stdout


def test_the_packages_type_check():
    """mypy, with the settings of pyproject.toml, finds nothing in gskit, certstore and the
    benchmarks."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "gskit", "certstore", "bench", "--cache-dir", "/dev/null"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout


def test_the_examples_pass_mypy_strict():
    """The ports of the seed's programs (and their Pythonic twins) are what users copy: they
    pass the check the README tells them to run."""
    examples = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.py"))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--cache-dir", "/dev/null",
         *examples], capture_output=True, text=True, cwd=ROOT, env={**os.environ, "MYPYPATH": str(ROOT)},
        timeout=300)
    assert result.returncode == 0, result.stdout
