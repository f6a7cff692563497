"""Search the return-code table the way people ask, like Microsoft's err.exe.

A query is split into tokens.  Numbers (``406``, ``0x196``, ``196h``, ``-10``), names in any
spelling and case (``gsk_os400_error_timed_out``) and message IDs (``CPDBC8A``) are looked
up exactly and every family that has them is returned; the other words of the query
(``GSKit error 408``, ``rc=408``) are then ignored.  A query with none of those is a word
search over names and texts: entries with all the words first, best first; failing that,
entries with some of them, then a spelling correction.
"""
from __future__ import annotations

from gskit.errors import ENTRIES, FAMILIES, Entry

MAX_QUERY_LENGTH = 500
_HEX = frozenset("0123456789abcdef")
_DIGITS = frozenset("0123456789")
_SEPARATORS = str.maketrans({c: " " for c in "=:,;()[]{}<>\"'`#/|\\*"})
_TRAILING = ".!?"
_FAMILY_RANK = {family: rank for rank, family in enumerate(FAMILIES)}
_STOP_WORDS = frozenset(
    "gskit gsk error errors err code codes rc ret return returned returns the a an is was "
    "what does mean means meaning of in on for with and or to my i get got".split()
)
# Abbreviations in names, spelled out so that words find them.
_NAME_WORDS = {
    "cert": "certificate", "certs": "certificates", "crl": "revocation", "crls": "revocation",
    "pwd": "password", "pw": "password", "sig": "signature", "timed": "timeout",
    "xtns": "extensions", "extns": "extensions", "keyfile": "keystore", "keyring": "keystore",
    "keydb": "keystore", "ldap": "directory", "soc": "socket",
}


class QueryError(ValueError):
    """The query cannot be searched: empty, too long, unprintable, or a number out of range."""


class _Index:
    """The table indexed by code, name and message ID; the word index is built on demand."""

    def __init__(self) -> None:
        self.by_code: dict[int, list[Entry]] = {}
        self.by_name: dict[str, list[Entry]] = {}
        self.by_message_id: dict[str, list[Entry]] = {}
        self._words: list[tuple[Entry, frozenset[str], str, frozenset[str], str]] = []
        for entry in ENTRIES:
            self.by_code.setdefault(entry.code, []).append(entry)
            for name in entry.names:
                self.by_name.setdefault(name, []).append(entry)
            if entry.message_id:
                self.by_message_id.setdefault(entry.message_id, []).append(entry)
        for entries in self.by_code.values():
            entries.sort(key=lambda e: _FAMILY_RANK[e.family])

    def words(self) -> list[tuple[Entry, frozenset[str], str, frozenset[str], str]]:
        """Per entry: its name words, names as text, text words and text (lower case)."""
        if not self._words:  # built whole, then published: safe if two threads race
            words = []
            for entry in ENTRIES:
                names = " ".join(entry.names).lower().replace("_", " ")
                name_words = {_NAME_WORDS.get(w, w) for w in names.split()} | set(names.split())
                text = entry.text.lower()
                words.append((entry, frozenset(name_words), names,
                              frozenset(_split_words(text)), text))
            self._words = words
        return self._words

    def vocabulary(self) -> list[str]:
        words: set[str] = set()
        for _, name_words, _, text_words, _ in self.words():
            words |= name_words | text_words
        return sorted(words)


_index: _Index | None = None


def _get_index() -> _Index:
    global _index
    if _index is None:
        _index = _Index()
    return _index


def _split_words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text).split()


def parse_number(token: str) -> list[int]:
    """The codes a token can mean: decimal, ``0x`` hex, ``NNNh`` hex, bare hex with a letter.

    A value from 2**31 to 2**32-1 (0x80000000-0xFFFFFFFF) also reads as the negative
    32-bit int that an unsigned print shows that way.  Returns [] when the token is not a
    number; raises QueryError when it is one that no family can hold.
    """
    text = token.strip().lower()
    sign = -1 if text[:1] == "-" else 1
    body = text[1:] if text[:1] in "+-" else text
    if body.isdecimal():
        digits, base = body, 10
    elif body.startswith("0x") and body[2:] and set(body[2:]) <= _HEX:
        digits, base = body[2:], 16
    elif body.endswith("h") and body[:-1] and set(body[:-1]) <= _HEX:
        digits, base = body[:-1], 16
    elif set(body) <= _HEX and set(body) & _DIGITS and set(body) - _DIGITS:
        digits, base = body, 16
    else:
        return []
    if len(digits.lstrip("0")) > (10 if base == 10 else 8):
        raise QueryError(f"{token!r} is out of range for a GSKit return code (a 32-bit int).")
    value = sign * int(digits, base)
    if not -(2**31) <= value <= 2**32 - 1:
        raise QueryError(f"{token!r} is out of range for a GSKit return code (a 32-bit int).")
    if value >= 2**31:
        return [value, value - 2**32]
    return [value]


def as_message_id(token: str) -> str | None:
    """``CPDBC8A`` for any case of an IBM i message ID; the OCR-damaged ``CPBCxx`` fixed."""
    text = token.upper()
    if len(text) == 6 and text.startswith("CPBC"):  # the guide's OCR dropped the D
        text = "CPD" + text[2:]
    if len(text) == 7 and text.startswith("CP") and text[2].isalpha() and \
            set(text[3:].lower()) <= _HEX:
        return text
    return None


def _as_name(token: str) -> str:
    return token.upper().replace("-", "_").replace("_05400_", "_OS400_")


def _tokens(query: str) -> list[str]:
    raw = [t.strip(_TRAILING) for t in query.translate(_SEPARATORS).split()]
    tokens: list[str] = []
    for tok in filter(None, raw):
        # the guide prints "CPDBC B1": join a split message ID back together
        if tokens and tokens[-1].upper() in ("CPDBC", "CPCBC") and len(tok) == 2:
            tokens[-1] += tok
        else:
            tokens.append(tok)
    return tokens


def _names_like(name: str, index: _Index) -> list[Entry]:
    """Names that end with or start with ``name``, else the closest spellings."""
    found = [e for n, es in index.by_name.items()
             if n.endswith("_" + name) or (len(name) >= 8 and n.startswith(name)) for e in es]
    if found:
        return found
    import difflib

    close = difflib.get_close_matches(name, list(index.by_name), n=3, cutoff=0.85)
    return [e for n in close for e in index.by_name[n]]


def _stem(word: str) -> str:
    return word[:max(4, len(word) - 2)] if len(word) > 5 else word


def _word_score(word: str, names: frozenset[str], name_text: str,
                text_words: frozenset[str], text: str) -> int:
    """How well one word matches an entry: 0 (not at all) to 8 (a word of its name)."""
    if word in names:
        return 8
    if len(word) >= 4 and any(n.startswith(word) for n in names):
        return 6  # "expir" for EXPIRED
    if word in text_words:
        return 4
    if len(word) <= 3:  # short words only as whole words: "io" is in "validation"
        return 0
    stem = _stem(word)
    return 3 if stem in name_text else 2 if stem in text else 0


def _word_search(words: list[str], index: _Index) -> tuple[list[Entry], str]:
    scored: list[tuple[int, int, Entry]] = []
    for entry, names, name_text, text_words, text in index.words():
        scores = [_word_score(w, names, name_text, text_words, text) for w in words]
        hits = sum(1 for s in scores if s)
        if hits:
            scored.append((hits, sum(scores), entry))
    if not scored:
        return [], ""

    def order(item: tuple[int, int, Entry]) -> tuple[int, int, int, int]:
        hits, score, entry = item
        return (-hits, -score, _FAMILY_RANK[entry.family], abs(entry.code))

    scored.sort(key=order)
    complete = [e for hits, _, e in scored if hits == len(words)]
    if complete:
        return complete, ""
    return [e for _, _, e in scored], "No entry has all the words; these have some of them."


def _corrected(words: list[str], index: _Index) -> list[str]:
    import difflib

    vocabulary = index.vocabulary()
    return [next(iter(difflib.get_close_matches(w, vocabulary, n=1, cutoff=0.8)), w)
            for w in words]


def lookup_detailed(query: str) -> tuple[list[Entry], str]:
    """The entries matching ``query``, best first, and a note on how they were found.

    The note is empty for exact matches and explains approximate ones.  Raises
    QueryError for a query that cannot be searched.
    """
    text = query.strip()
    if not text:
        raise QueryError("the query is empty; give a number, a name, a message ID or words.")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters.")
    if not text.isprintable():
        raise QueryError(f"the query {query!r} contains characters that cannot be printed.")
    index = _get_index()
    exact: list[Entry] = []
    approximate: list[Entry] = []
    words: list[str] = []
    structured = False
    for token in _tokens(text):
        codes = parse_number(token)
        message_id = as_message_id(token)
        name = _as_name(token)
        if codes:
            structured = True
            exact += (e for code in codes for e in index.by_code.get(code, []))
        elif message_id:
            structured = True
            exact += index.by_message_id.get(message_id, [])
        elif name in index.by_name:
            structured = True
            exact += index.by_name[name]
        elif "_" in name:
            structured = True
            approximate += _names_like(name, index)
        else:
            words.append(token.lower())
    if exact:
        return list(dict.fromkeys(exact)), ""
    if approximate:
        return list(dict.fromkeys(approximate)), "No exact name matches; these names are close."
    if structured or not words:
        return [], ""
    meaningful = [w for w in words if w not in _STOP_WORDS] or words
    found, note = _word_search(meaningful, index)
    if found and not note:
        return found, ""
    fixed = _corrected(meaningful, index)
    if fixed != meaningful:
        better, better_note = _word_search(fixed, index)
        if better and not better_note:
            return better, f"Showing results for {' '.join(fixed)!r}."
    return found, note


def lookup(query: str) -> list[Entry]:
    """The entries matching ``query`` (see the module docstring), best first."""
    return lookup_detailed(query)[0]


def entries_of(family: str | None = None) -> list[Entry]:
    """Every entry, or those of one family (any case), in table order."""
    if family is None:
        return list(ENTRIES)
    wanted = family.upper()
    return [e for e in ENTRIES if e.family == wanted]
