"""The one error hierarchy of the ledger.

Adapters translate these in exactly one place each (HTTP problem details in routes/, exit codes in the CLI).
Every error carries a stable ``code`` (used as the problem ``type`` suffix) and, where one input is at fault,
the ``field`` that was wrong, so a client can point at it.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    code = "ledger-error"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(LedgerError):
    """A value failed validation (bad check character, unknown code, impossible weight…)."""

    code = "invalid-input"


class InvalidIdentifier(InvalidInput):
    """An identifier (USCC, waste code, container code, manifest number, division) is malformed."""

    code = "invalid-identifier"


class NotFound(LedgerError):
    """The thing asked for does not exist (or is outside the caller's scope: adapters must not tell apart)."""

    code = "not-found"


class Forbidden(LedgerError):
    """The actor may not take this step (wrong party, wrong role)."""

    code = "forbidden"


class IllegalTransition(LedgerError):
    """A lifecycle step that the current state does not allow."""

    code = "illegal-transition"

    def __init__(self, subject: str, state: str, step: str, *, field: str | None = None) -> None:
        super().__init__(f"{subject} is {state}: cannot {step}", field=field, state=state, step=step)
        self.state = state
        self.step = step


class Conflict(LedgerError):
    """Another writer got there first; the caller may re-read and retry."""

    code = "conflict"


class VersionConflict(Conflict):
    """Two writers appended to the same stream at the same version; this one lost."""

    code = "version-conflict"


class SequenceExhausted(LedgerError):
    """A bounded sequence (container or manifest serial) has no numbers left in its scope."""

    code = "sequence-exhausted"


class QuotaExceeded(LedgerError):
    """A white-list entry or transfer approval does not have enough quantity left."""

    code = "quota-exceeded"


class LedgerIntegrityError(LedgerError):
    """The stored log does not verify: something was changed outside the ledger."""

    code = "integrity"


class FieldLocked(Conflict):
    """A manifest field that a signature has locked; change it through a correction approved by the parties."""

    code = "field-locked"


class NotLicensed(InvalidInput):
    """A plant is not licensed for this waste code or method."""

    code = "not-licensed"
