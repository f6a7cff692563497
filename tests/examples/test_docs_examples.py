"""Every Python block in docs/api-reference.md runs as written (in a subprocess, fresh GSKIT_HOME)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-reference.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs(index: int, tmp_path: Path) -> None:
    env = {**os.environ, "GSKIT_HOME": str(tmp_path / "home")}
    for name in ("GSKIT_TRACE", "GSKIT_AUDIT_FILE", "GSKIT_KEYLOG_FILE"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-c", BLOCKS[index]], env=env, capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
