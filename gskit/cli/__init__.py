"""The ``gskit`` command: one dispatcher, one module per subcommand.

The dispatcher imports only the module of the subcommand asked for, so that
``gskit errors`` starts without loading any TLS library.
"""
from __future__ import annotations

import errno
import importlib
import os
import sys

# subcommand -> (module, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "errors": ("gskit.cli.errors_cmd", "look up GSKit return codes, names and message IDs"),
    "ciphers": ("gskit.cli.ciphers_cmd", "explain a GSKit cipher configuration offline"),
    "scan": ("gskit.cli.scan_cmd", "scan a TLS server's protocols, suites and certificate"),
    "certstore": ("gskit.cli.certstore_cmd", "manage keystores and application IDs"),
    "demo": ("gskit.cli.demo_cmd", "run a TLS echo over loopback through the GSKit API"),
}

USAGE = "usage: gskit COMMAND [ARGS...]   (gskit COMMAND --help for details)"


def printable(text: object) -> str:
    """``text`` with every character a terminal could act on (ESC, BEL, a new line...)
    escaped as Python writes it (``\\x1b``): what a subcommand prints that came from a file,
    an argument, the registry or a server."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _print_help() -> None:
    print(USAGE)
    print()
    print("commands:")
    for name, (_, summary) in COMMANDS.items():
        print(f"  {name:<10} {summary}")


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; return its exit code (2 for bad usage)."""
    args = sys.argv[1:] if argv is None else list(argv)
    for stream in (sys.stdout, sys.stderr):  # a name the terminal cannot show: escaped, not a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        code = _dispatch(args)
        sys.stdout.flush()          # a full disk shows here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        print("gskit: interrupted.", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _OUTPUT_ERRORS:
            # (a subcommand says what failed itself; this is what none of them foresaw)
            where = f" ({exc.filename})" if exc.filename is not None else ""
            print(f"gskit: {exc.strerror or exc}{where}.", file=sys.stderr)
            return 2
        _silence_stdout()
        if isinstance(exc, BrokenPipeError):
            return 0                # the reader has all it wanted (| head)
        print(f"gskit: could not write the output ({exc.strerror}).", file=sys.stderr)
        return 2


# What a write to standard output fails with (a subcommand names every file it writes).
_OUTPUT_ERRORS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def _dispatch(args: list[str]) -> int:
    if not args:
        print(f"gskit: name a command ({', '.join(COMMANDS)}); see gskit --help.", file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help", "help"):
        _print_help()
        return 0
    name, rest = args[0], args[1:]
    entry = COMMANDS.get(name)
    if entry is None:
        print(f"gskit: unknown command {name!r}; try one of: {', '.join(COMMANDS)}.", file=sys.stderr)
        return 2
    return int(importlib.import_module(entry[0]).main(rest))


def _silence_stdout() -> None:
    """Standard output failed: send the rest, and the interpreter's flush at exit, to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):   # (no descriptor: a test's captured output)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
