"""The subcommands' argument parser: bad usage said in one sentence (cli.md), not argparse's
usage block; the usage itself is what ``--help`` prints."""
from __future__ import annotations

import argparse
from typing import NoReturn

from gskit.cli import printable


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose bad usage is one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {printable(message)}; see {self.prog} --help.\n")
