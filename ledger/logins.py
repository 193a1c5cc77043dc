"""Browser logins: passwords, lockout after repeated failures, and sessions.

People at a browser (regulators at the dashboard) log in with a password; scanners and other programs keep their
bearer tokens (:mod:`ledger.accounts`). Passwords are stored as Argon2id hashes (argon2-cffi, RFC 9106's
parameters); a session is a long random secret in a cookie of which the ledger keeps only the SHA-256, so a copy
of the database opens no sessions, and logging out or locking an account ends its sessions at once.

Lockout: after :data:`MAX_FAILURES` wrong passwords in a row an account refuses logins for :data:`LOCKOUT`,
even with the right password. Every attempt, good or bad, known account or not, is a ``login_attempt`` row.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlmodel import col

from fixtures.data import load
from ledger.accounts import Unauthenticated, require_admin, token_digest
from ledger.actors import SYSTEM, Actor, Role
from ledger.errors import InvalidInput, LedgerError, NotFound
from ledger.tables import LoginAttempt, User, WebSession
from ledger.unit_of_work import UnitOfWork

#: Wrong passwords in a row that lock an account, and for how long (OWASP's usual advice; the issue's figures).
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
#: A session lasts a working day; then the regulator logs in again.
DEFAULT_SESSION_TTL = timedelta(hours=12)
SESSION_BYTES = 32
MIN_PASSWORD_LENGTH = 10
#: The demo users' password, printed by ``wasteledger demo-logins`` and in docs/dashboard.md. Demo data only.
DEMO_PASSWORD = "wasteledger-demo"  # noqa: S105 (documented demo credential, set only on demo users)

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that an unknown name costs as long as a wrong password
    (response times do not tell which usernames exist). Made on first use: hashing is slow on purpose."""
    return _hasher.hash(secrets.token_urlsafe(16))


class LoginFailed(Unauthenticated):
    """Wrong username or password: one message for both, so that usernames cannot be probed."""

    code = "login-failed"


class LockedOut(Unauthenticated):
    """Too many wrong passwords: the account refuses logins until ``until``."""

    code = "locked-out"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"too many wrong passwords: this account is locked until {until.isoformat(timespec='minutes')}",
            field="username",
        )
        self.until = until


@dataclass(frozen=True, slots=True)
class SessionIssued:
    """A new session: the secret goes into the cookie and is never stored."""

    token: str
    expires_at: datetime
    actor: Actor


def hash_password(password: str) -> str:
    """An Argon2id hash of a password (slow on purpose: call it off the event loop, see :func:`_verify`)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password")
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _actor_of(user: User) -> Actor:
    return Actor(org=user.org_uscc, user=user.username, role=Role(user.role), jurisdiction=user.jurisdiction)


def _normalised(username: str) -> str:
    return username.strip().lower()[:64]


async def set_password(uow: UnitOfWork, username: str, password: str, actor: Actor = SYSTEM) -> None:
    """Set a user's browser password (administrators, or the command line); clears a lockout."""
    hashed = await asyncio.to_thread(hash_password, password)
    async with uow:
        require_admin(actor, what="set passwords")
        user = (
            await uow.session.execute(select(User).where(col(User.username) == _normalised(username)))
        ).scalar_one_or_none()
        if user is None:
            raise NotFound(f"user {username!r} does not exist", field="username")
        user.password_hash = hashed
        user.failed_logins = 0
        user.locked_until = None
        uow.session.add(user)
        await uow.commit()


async def set_demo_passwords(uow: UnitOfWork, password: str = DEMO_PASSWORD) -> int:
    """Give the demo users (fixtures/demo/users.json) without a password the demo password; returns how many.

    One hash serves them all: hashing is slow on purpose, and every demo user shares this documented password
    anyway, so separate salts would protect nothing.
    """
    names = [record["username"] for record in load("demo/users")]
    hashed = await asyncio.to_thread(hash_password, password)
    async with uow:
        result = await uow.session.execute(
            update(User)
            .where(col(User.username).in_(names), col(User.password_hash).is_(None))
            .values(password_hash=hashed)
        )
        await uow.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


async def _record(uow: UnitOfWork, username: str, user: User | None, client: str, outcome: str) -> None:
    uow.session.add(
        LoginAttempt(
            username=username,
            user_id=None if user is None else user.id,
            client=client[:64],
            outcome=outcome,
            at=uow.now(),
        )
    )


async def log_in(
    uow: UnitOfWork, username: str, password: str, *, client: str = "", ttl: timedelta = DEFAULT_SESSION_TTL
) -> SessionIssued:
    """Check a password and open a session, or raise :class:`LoginFailed` / :class:`LockedOut`.

    The password is verified *between* two transactions: Argon2 takes tens of milliseconds, and on SQLite a
    write transaction holds the database's only write lock. The second transaction locks the user's row and
    re-reads the lockout, so attempts racing each other are all counted and none gets past a lockout that
    another one set meanwhile (the answer is then "locked", whatever the password, so a burst of guesses does
    not learn which guess was right).
    """
    name = _normalised(username)
    # A unit of work of its own for the first read: ``read_only`` marks a unit for good, and the second
    # transaction below must take SQLite's write lock at BEGIN, or racing logins would fail with "locked".
    async with uow.db.uow().read_only() as reader:
        found = (await reader.session.execute(select(User).where(col(User.username) == name))).scalar_one_or_none()
        now = reader.now()
        # Read what is needed now: leaving the unit of work rolls back, which expires the row.
        user_id = None if found is None else found.id
        locked = found is not None and found.locked_until is not None and found.locked_until > now
        stored = None if found is None or locked else found.password_hash
    good = False if locked else await asyncio.to_thread(_verify, stored, password)
    outcome: str
    error: LedgerError | None = None
    async with uow:
        now = uow.now()
        user = None
        if user_id is not None:
            user = (
                await uow.session.execute(select(User).where(col(User.id) == user_id).with_for_update())
            ).scalar_one()
        if user is None:
            outcome, error = "unknown_user", LoginFailed("wrong username or password", field="username")
        elif user.locked_until is not None and user.locked_until > now:
            outcome, error = "locked", LockedOut(user.locked_until)
        elif not user.active:
            outcome, error = "inactive", LoginFailed("wrong username or password", field="username")
        elif user.password_hash is None:
            outcome, error = "no_password", LoginFailed("wrong username or password", field="username")
        elif not good:
            user.failed_logins += 1
            outcome, error = "wrong_password", LoginFailed("wrong username or password", field="username")
            if user.failed_logins >= MAX_FAILURES:
                user.failed_logins = 0
                user.locked_until = now + LOCKOUT
                outcome, error = "lockout", LockedOut(user.locked_until)
                # A lockout also ends the account's open sessions: whoever is guessing may already be inside.
                await uow.session.execute(
                    update(WebSession)
                    .where(col(WebSession.user_id) == user.id, col(WebSession.revoked_at).is_(None))
                    .values(revoked_at=now)
                )
            uow.session.add(user)
        else:
            outcome = "ok"
            user.failed_logins = 0
            user.locked_until = None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = await asyncio.to_thread(_hasher.hash, password)
            uow.session.add(user)
        await _record(uow, name, user, client, outcome)
        if error is not None:
            await uow.commit()
            raise error
        assert user is not None and user.id is not None
        token = secrets.token_urlsafe(SESSION_BYTES)
        uow.session.add(
            WebSession(
                user_id=user.id,
                token_sha256=token_digest(token),
                client=client[:64],
                created_at=now,
                expires_at=now + ttl,
            )
        )
        issued = SessionIssued(token=token, expires_at=now + ttl, actor=_actor_of(user))
        await uow.commit()
        return issued


async def session_actor(uow: UnitOfWork, token: str | None) -> Actor:
    """The actor behind a session cookie, or :class:`Unauthenticated` (missing, unknown, expired, logged out,
    or the user deactivated)."""
    if not token or len(token) > 200:
        raise Unauthenticated("log in first", field="session")
    async with uow.read_only():
        found = (
            await uow.session.execute(
                select(WebSession, User)
                .join(User, col(User.id) == col(WebSession.user_id))
                .where(col(WebSession.token_sha256) == token_digest(token))
            )
        ).first()
        if found is None:
            raise Unauthenticated("the session is not known: log in again", field="session")
        session, user = found
        if session.revoked_at is not None or session.expires_at <= uow.now():
            raise Unauthenticated("the session has ended: log in again", field="session")
        if not user.active:
            raise Unauthenticated(f"user {user.username} is deactivated", field="session")
        return _actor_of(user)


async def log_out(uow: UnitOfWork, token: str | None) -> bool:
    """End a session at once; returns whether there was a live one."""
    if not token or len(token) > 200:
        return False
    async with uow:
        result = await uow.session.execute(
            update(WebSession)
            .where(col(WebSession.token_sha256) == token_digest(token), col(WebSession.revoked_at).is_(None))
            .values(revoked_at=uow.now())
        )
        await uow.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def login_attempts(uow: UnitOfWork, username: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest attempts on an account, newest first (for administrators' eyes and for the tests)."""
    async with uow.read_only():
        rows = (
            await uow.session.execute(
                select(LoginAttempt)
                .where(col(LoginAttempt.username) == _normalised(username))
                .order_by(col(LoginAttempt.id).desc())
                .limit(limit)
            )
        ).scalars()
        return [{"outcome": r.outcome, "client": r.client, "at": r.at} for r in rows]
