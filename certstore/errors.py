"""The one exception of the certificate-store layer: a GSKit return code and a sentence."""

from __future__ import annotations

from gskit import errors as rc


class KeystoreError(Exception):
    """A keystore or registry failure carrying the GSKit return code it maps to."""

    def __init__(self, rc: int, message: str) -> None:
        super().__init__(message)
        self.rc = rc
        self.message = message

    @property
    def name(self) -> str:
        """The GSKit name of :attr:`rc` (``GSK_KEYRING_OPEN_ERROR``; ``rc N`` if unknown)."""
        entry = rc.entry_for(self.rc)
        return entry.name if entry is not None else f"rc {self.rc}"

    def __str__(self) -> str:
        return self.message


class Refused(KeystoreError):
    """A request refused before anything changed, for which GSKit has no return code of its
    own (an application ID already registered, a keystore too large to be read back).

    Its rc is GSK_INVALID_PARAMETER for a program that needs one; the CLI shows only the
    sentence (bad input, exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(rc.GSK_INVALID_PARAMETER, message)


QUOTED_MAX = 40  # characters of a typed value (an application ID, a label) quoted in a message


def quoted(text: object) -> str:
    """``text`` quoted for a message, shortened when it is long (it may be anything typed)."""
    if isinstance(text, str) and len(text) > QUOTED_MAX:
        return f"{text[:QUOTED_MAX - 8]!r}... ({len(text)} characters)"
    return repr(text)


def open_error(path: object, why: str) -> KeystoreError:
    """GSK_KEYRING_OPEN_ERROR with one sentence naming the file."""
    return KeystoreError(rc.GSK_KEYRING_OPEN_ERROR, f"{path} is not a usable keystore: {why}.")


def bad_password(path: object) -> KeystoreError:
    """GSK_ERROR_BAD_KEYFILE_PASSWORD for ``path``."""
    return KeystoreError(
        rc.GSK_ERROR_BAD_KEYFILE_PASSWORD,
        f"the password or stash file does not open {path}.",
    )


def no_password(path: object) -> KeystoreError:
    """GSK_NO_KEYFILE_PASSWORD for ``path``."""
    return KeystoreError(
        rc.GSK_NO_KEYFILE_PASSWORD,
        f"{path} needs a password or a stash file and neither was given.",
    )
