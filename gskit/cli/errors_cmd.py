"""``gskit errors QUERY...``: look up GSKit return codes, names and message IDs.

Start-up matters here (people run it in a loop over log lines), so options are parsed by
hand (argparse would also read ``-10`` as an option) and ``json`` is imported only for
``--json``.  Nothing here imports a TLS library.
"""
from __future__ import annotations

import sys

from gskit.errors import FAMILIES, Entry, hex32
from gskit.errors_lookup import QueryError, entries_of, lookup_detailed

HELP = """\
usage: gskit errors [--json] [--family FAMILY] QUERY...
       gskit errors [--json] --list [FAMILY]

Look up a GSKit return code the way you have it: a number (406, 0x196, 196h, -10), a
name in any spelling and case (GSK_ERROR_IO, gsk_os400_error_timed_out), an IBM i
message ID (CPDBC8A) or words (certificate expired).  Every family that uses the
number is shown.

options:
  --json             print a JSON array (code, name, aliases, family, message_id, text,
                     remedy, ...)
  --family FAMILY    only entries of one family
  --list [FAMILY]    list every entry, or those of one family
  -h, --help         show this help

families: {families}

exit status: 0 found, 1 nothing found, 2 bad usage."""

TEXT_LIMIT = 15
_STATUS_NOTE = {
    "INFERRED": "inferred from IBM's numbering, not confirmed",
    "UNRESOLVED": "unresolved",
}


class UsageError(Exception):
    """Bad command line: one sentence for stderr, exit status 2."""


def _family(value: str) -> str:
    family = value.upper()
    if family not in FAMILIES:
        raise UsageError(f"unknown family {value!r}; families are {', '.join(FAMILIES)}.")
    return family


class _Options:
    """The parsed command line (a plain class: dataclasses would cost start-up time)."""

    __slots__ = ("json", "list", "family", "help", "words")

    def __init__(self) -> None:
        self.json = False
        self.list = False
        self.help = False
        self.family: str | None = None
        self.words: list[str] = []


def _parse(argv: list[str]) -> _Options:
    """Options and query words; a word such as ``-10`` is a query, not an option."""
    options = _Options()
    args = iter(argv)
    for arg in args:
        if arg == "--":
            options.words += args
        elif arg in ("-h", "--help"):
            options.help = True
        elif arg == "--json":
            options.json = True
        elif arg == "--list":
            options.list = True
        elif arg == "--family" or arg.startswith("--family="):
            value = arg.partition("=")[2] if "=" in arg else next(args, None)
            if not value:
                raise UsageError("--family needs a family name.")
            options.family = _family(value)
        elif arg.startswith("--"):
            raise UsageError(f"unknown option {arg!r}; see gskit errors --help.")
        else:
            options.words.append(arg)
    return options


def _message_id_line(entry: Entry) -> str:
    if entry.message_id is None:
        return "none known"
    note = _STATUS_NOTE.get(entry.message_id_status or "")
    if note and entry.message_id_note:
        note = f"{note}: {entry.message_id_note}"
    return f"{entry.message_id} ({note})" if note else entry.message_id


def _describe(entry: Entry) -> str:
    lines = [
        f"{entry.name} = {entry.code} ({hex32(entry.code)})",
        f"  family:     {entry.family}, {FAMILIES[entry.family]}",
        f"  meaning:    {entry.text}",
    ]
    if entry.remedy:
        lines.append(f"  check:      {entry.remedy}")
    lines.append(f"  message ID: {_message_id_line(entry)}")
    if entry.aliases:
        lines.append(f"  also:       {', '.join(entry.aliases)}")
    if entry.exception:
        lines.append(f"  raises:     gskit.errors.{entry.exception}")
    return "\n".join(lines)


def _list_line(entry: Entry) -> str:
    return (f"{entry.family:<6} {entry.code:>7} {hex32(entry.code):>10}  {entry.name:<45} "
            f"{entry.message_id or '-':<8} {entry.text}")


def _print_json(entries: list[Entry]) -> None:
    import json

    print(json.dumps([e.as_dict() for e in entries], indent=2))


def _run(argv: list[str]) -> int:
    options = _parse(argv)
    words, family = options.words, options.family
    if options.help:
        print(HELP.format(families=", ".join(FAMILIES)))
        return 0
    if options.list:
        if len(words) > 1 or (words and family):
            raise UsageError("--list takes at most one family name and no query.")
        entries = entries_of(_family(words[0]) if words else family)
        if options.json:
            _print_json(entries)
        else:
            print("\n".join(_list_line(e) for e in entries))
        return 0
    if not words:
        raise UsageError("give a query: a number, a name, a message ID or words "
                         "(gskit errors --help).")
    query = " ".join(words)
    try:
        entries, note = lookup_detailed(query)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    if family:
        entries = [e for e in entries if e.family == family]
    if options.json:
        _print_json(entries)
    if not entries:
        print(f"gskit errors: nothing matches {query!r}; try a number (406, 0x196, -10), "
              "a name (GSK_ERROR_IO), a message ID (CPDBC8A) or other words.",
              file=sys.stderr)
        return 1
    if not options.json:
        if note:
            print(f"({note})\n")
        print("\n\n".join(_describe(e) for e in entries[:TEXT_LIMIT]))
        if len(entries) > TEXT_LIMIT:
            print(f"\n... and {len(entries) - TEXT_LIMIT} more; add words, or use --json "
                  "to see them all.")
    return 0


def main(argv: list[str]) -> int:
    """Run ``gskit errors``; return 0 found, 1 nothing found, 2 bad usage."""
    try:
        return _run(argv)
    except UsageError as exc:
        print(f"gskit errors: {exc}", file=sys.stderr)
        return 2
