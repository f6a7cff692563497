"""The documents generated from gskit's tables, in the repository's ``docs/`` folder.

* ``docs/attributes.md``: the attribute table (``gskit.attributes.table``);
* ``docs/states.md``: the handle life cycle (``gskit.engine.states``).

Regenerate after changing a table (a test fails while a file is stale)::

    .venv/bin/python -m gskit.generated_docs [folder]     # (folder: docs/ by default)

(A module of its own, not ``python -m`` on the tables: they are compiled, and a compiled
module cannot run as ``__main__``.)
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from gskit.attributes import table
from gskit.engine import states

DOCS = Path(__file__).resolve().parent.parent / "docs"
FILES: dict[str, Callable[[], str]] = {"attributes.md": table.render_markdown, "states.md": states.render_markdown}


def main(folder: Path = DOCS) -> None:
    """Write every generated document into ``folder``."""
    for name, render in FILES.items():
        (folder / name).write_text(render())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS)
