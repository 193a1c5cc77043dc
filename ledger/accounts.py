"""Users, their roles and API tokens: who may act, for which organisation, over which jurisdiction.

A token is a long random secret shown once; only its SHA-256 is stored, so a copy of the database does not
hand out working credentials. Authentication turns a token into an :class:`~ledger.actors.Actor`, which every
use case then receives; the token itself never travels further than this module.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Field, SQLModel, col

from fixtures.data import load
from ledger.actors import SYSTEM, Actor, Role
from ledger.db import is_row_id
from ledger.errors import Conflict, Forbidden, InvalidInput, LedgerError, NotFound
from ledger.identifiers import validate_uscc
from ledger.queries import NEXT_CURSOR, decode_cursor, encode_cursor, page_limit
from ledger.tables import ApiToken, Organisation, User
from ledger.text import Line
from ledger.unit_of_work import UnitOfWork


class Unauthenticated(LedgerError):
    """No credentials, or credentials that are unknown, expired, revoked or belong to a deactivated user."""

    code = "unauthenticated"


TOKEN_PREFIX = "wl_"  # noqa: S105 (a public prefix, not a secret)
#: A token is ``wl_`` + 43 URL-safe characters (32 random bytes): far beyond guessing, so one SHA-256 suffices.
TOKEN_BYTES = 32
DEFAULT_TOKEN_TTL = timedelta(days=30)
#: Tokens must be renewed at least yearly: a forgotten token on a scanner should not work forever.
MAX_TOKEN_TTL = timedelta(days=366)

#: The roles a person can hold (``system`` is the ledger itself, never a user).
USER_ROLES: tuple[Role, ...] = (Role.GENERATOR, Role.TRANSPORTER, Role.PLANT_OPERATOR, Role.REGULATOR, Role.ADMIN)
#: The kind of organisation each role acts for (admins may belong to any, or none).
ORGANISATION_KIND_OF_ROLE: dict[Role, str] = {
    Role.GENERATOR: "generator",
    Role.TRANSPORTER: "transporter",
    Role.PLANT_OPERATOR: "plant",
    Role.REGULATOR: "regulator",
}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

#: The demo users that ``wasteledger demo-tokens`` mints tokens for: one per role, plus a district regulator
#: so that the difference between city and district scope can be tried out.
DEMO_TOKEN_USERS: tuple[str, ...] = (
    "yuzhong.hospital",
    "central.transporter",
    "tongxing.operator",
    "cq.regulator",
    "wanzhou.regulator",
    "admin",
)
DEMO_TOKEN_LABEL = "demo-tokens"  # noqa: S105 (a label, not a secret)


class UserCreate(SQLModel):
    """A new user: role and organisation decide what they may see and do."""

    username: str = Field(description="3–64 lower-case letters, digits, '.', '-', '_'")
    display_name: Line = Field(default="", max_length=100)
    org_uscc: str | None = Field(default=None, description="USCC of the organisation acted for (optional for admins)")
    role: str = Field(description="generator, transporter, plant_operator, regulator or admin")
    jurisdiction: str | None = Field(
        default=None, description="regulators only: 500000 for the whole city, or a district's code"
    )
    email: Line = Field(default="", max_length=200)
    phone: Line = Field(default="", max_length=50)


class UserPublic(SQLModel):
    username: str
    display_name: str
    org_uscc: str | None
    org_name: str | None
    role: str
    jurisdiction: str | None
    email: str
    phone: str
    active: bool
    created_at: datetime

    @classmethod
    def from_rows(cls, user: User, org: Organisation | None) -> UserPublic:
        return cls(
            username=user.username,
            display_name=user.display_name,
            org_uscc=user.org_uscc,
            org_name=None if org is None else org.name_zh,
            role=user.role,
            jurisdiction=user.jurisdiction,
            email=user.email,
            phone=user.phone,
            active=user.active,
            created_at=user.created_at,
        )


class UserPage(SQLModel):
    items: list[UserPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class TokenRequest(SQLModel):
    """Ask for a new token for a user."""

    days: int = Field(default=30, ge=1, le=MAX_TOKEN_TTL.days, description="validity in days")
    label: Line = Field(default="", max_length=100, description="what the token is for, e.g. 'scanner 3'")


class TokenIssued(SQLModel):
    """A freshly minted token: the only time its secret is ever shown."""

    id: int
    username: str
    token: str
    label: str
    created_at: datetime
    expires_at: datetime


class TokenPublic(SQLModel):
    """A token as listed: never its secret, never its hash."""

    id: int
    username: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_rows(cls, token: ApiToken, username: str) -> TokenPublic:
        assert token.id is not None
        return cls(
            id=token.id,
            username=username,
            label=token.label,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


def token_digest(plaintext: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def require_admin(actor: Actor, *, what: str) -> None:
    if not actor.is_privileged:
        raise Forbidden(f"only an administrator may {what}; you act as {actor.role}")


# --- users --------------------------------------------------------------------------------------------------


async def _validated_user(uow: UnitOfWork, command: UserCreate) -> User:
    """Check a new user's fields against each other and the reference data; nothing is written here."""
    username = command.username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username {command.username!r} must be 3–64 characters: lower-case letters, digits, '.', '-' or '_',"
            " starting with a letter or digit",
            field="username",
        )
    try:
        role = Role(command.role)
    except ValueError:
        role = Role.SYSTEM
    if role not in USER_ROLES:
        raise InvalidInput(
            f"role {command.role!r} is not one of {', '.join(USER_ROLES)}",
            field="role",
        )
    org: Organisation | None = None
    if command.org_uscc:
        uscc = validate_uscc(command.org_uscc, field="org_uscc")
        org = await uow.session.get(Organisation, uscc)
        if org is None:
            raise InvalidInput(f"organisation {uscc} is not registered", field="org_uscc")
    elif role != Role.ADMIN:
        raise InvalidInput(f"a {role} acts for an organisation: org_uscc is required", field="org_uscc")
    expected_kind = ORGANISATION_KIND_OF_ROLE.get(role)
    if org is not None and expected_kind is not None and org.kind != expected_kind:
        raise InvalidInput(
            f"a {role} acts for a {expected_kind} organisation; {org.uscc} ({org.name_zh}) is a {org.kind}",
            field="org_uscc",
        )
    jurisdiction: str | None = None
    if role == Role.REGULATOR:
        if not command.jurisdiction:
            raise InvalidInput(
                "a regulator needs a jurisdiction: 500000 for the whole city or a district's code",
                field="jurisdiction",
            )
        jurisdiction = uow.catalogue.division(command.jurisdiction, field="jurisdiction").code
        assert org is not None
        # An officer of a district bureau cannot be given the city: the jurisdiction must lie within the
        # territory of the bureau the officer works for.
        if not uow.catalogue.jurisdiction_covers(org.division, jurisdiction):
            raise InvalidInput(
                f"jurisdiction {jurisdiction} lies outside {org.name_zh}'s own division {org.division}",
                field="jurisdiction",
            )
    elif command.jurisdiction:
        raise InvalidInput(f"only regulators have a jurisdiction, not a {role}", field="jurisdiction")
    return User(
        username=username,
        display_name=command.display_name,
        org_uscc=None if org is None else org.uscc,
        role=role.value,
        jurisdiction=jurisdiction,
        email=command.email,
        phone=command.phone,
        active=True,
        created_at=uow.now(),
    )


async def _username_taken(uow: UnitOfWork, username: str) -> bool:
    found = await uow.session.execute(select(col(User.id)).where(col(User.username) == username))
    return found.first() is not None


async def create_user(uow: UnitOfWork, command: UserCreate, actor: Actor = SYSTEM) -> UserPublic:
    """Create a user (administrators only)."""
    async with uow:
        require_admin(actor, what="create users")
        user = await _validated_user(uow, command)
        if await _username_taken(uow, user.username):
            raise Conflict(f"username {user.username} is taken", field="username")
        uow.session.add(user)
        org = None if user.org_uscc is None else await uow.session.get(Organisation, user.org_uscc)
        view = UserPublic.from_rows(user, org)
        await uow.commit()
        return view


async def load_demo_users(uow: UnitOfWork) -> int:
    """Create the demo users of fixtures/demo/users.json that do not exist yet; returns how many were added."""
    records: list[dict[str, Any]] = load("demo/users")
    async with uow:
        existing = set((await uow.session.execute(select(col(User.username)))).scalars())
        added = 0
        for record in records:
            if record["username"] in existing:
                continue
            uow.session.add(await _validated_user(uow, UserCreate.model_validate(record)))
            added += 1
        await uow.commit()
        return added


async def _user_by_name(uow: UnitOfWork, username: str, *, field: str = "username") -> User:
    user = (await uow.session.execute(select(User).where(col(User.username) == username))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"user {username!r} does not exist", field=field)
    return user


async def get_user(uow: UnitOfWork, username: str, actor: Actor) -> UserPublic:
    """One user (administrators only)."""
    async with uow:
        require_admin(actor, what="read other users")
        user = await _user_by_name(uow, username)
        org = None if user.org_uscc is None else await uow.session.get(Organisation, user.org_uscc)
        return UserPublic.from_rows(user, org)


async def get_me(uow: UnitOfWork, actor: Actor) -> UserPublic:
    """The authenticated user's own record."""
    async with uow:
        if actor.user is None:
            raise NotFound("this actor is not a user", field="username")
        user = await _user_by_name(uow, actor.user)
        org = None if user.org_uscc is None else await uow.session.get(Organisation, user.org_uscc)
        return UserPublic.from_rows(user, org)


async def list_users(uow: UnitOfWork, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> UserPage:
    """Users in username order (administrators only)."""
    async with uow:
        require_admin(actor, what="list users")
        size = page_limit(limit)
        query = select(User, Organisation).outerjoin(Organisation, col(Organisation.uscc) == col(User.org_uscc))
        if cursor is not None:
            [after] = decode_cursor(cursor, 1)
            query = query.where(col(User.username) > after)
        rows = (await uow.session.execute(query.order_by(col(User.username)).limit(size + 1))).all()
        items = [UserPublic.from_rows(user, org) for user, org in rows[:size]]
        more = len(rows) > size
        return UserPage(items=items, next_cursor=encode_cursor(items[-1].username) if more else None)


# --- tokens -------------------------------------------------------------------------------------------------


def _check_ttl(ttl: timedelta) -> None:
    if ttl <= timedelta(0) or ttl > MAX_TOKEN_TTL:
        raise InvalidInput(
            f"a token is valid for more than 0 and at most {MAX_TOKEN_TTL.days} days, not {ttl}", field="days"
        )


async def issue_token(
    uow: UnitOfWork, username: str, ttl: timedelta = DEFAULT_TOKEN_TTL, label: str = "", actor: Actor = SYSTEM
) -> TokenIssued:
    """Mint a bearer token for an active user (administrators, or the command line acting as the system)."""
    async with uow:
        require_admin(actor, what="mint tokens")
        _check_ttl(ttl)
        user = await _user_by_name(uow, username)
        if not user.active:
            raise InvalidInput(f"user {username} is deactivated: no token can be minted", field="username")
        assert user.id is not None
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        now = uow.now()
        row = ApiToken(
            user_id=user.id,
            token_sha256=token_digest(plaintext),
            label=label,
            created_at=now,
            expires_at=now + ttl,
        )
        uow.session.add(row)
        await uow.session.flush()
        assert row.id is not None
        issued = TokenIssued(
            id=row.id,
            username=user.username,
            token=plaintext,
            label=label,
            created_at=now,
            expires_at=row.expires_at,
        )
        await uow.commit()
        return issued


async def mint_token(
    uow: UnitOfWork, username: str, ttl: timedelta = DEFAULT_TOKEN_TTL, label: str = ""
) -> tuple[str, datetime]:
    """Mint a token as the system (the command line): returns the secret and when it expires."""
    issued = await issue_token(uow, username, ttl, label)
    return issued.token, issued.expires_at


async def list_tokens(uow: UnitOfWork, username: str, actor: Actor) -> list[TokenPublic]:
    """A user's tokens, newest first: administrators for anyone, a user for themself."""
    async with uow:
        if not (actor.is_privileged or actor.user == username):
            require_admin(actor, what="list other users' tokens")
        user = await _user_by_name(uow, username)
        rows = (
            await uow.session.execute(
                select(ApiToken).where(col(ApiToken.user_id) == user.id).order_by(col(ApiToken.id).desc())
            )
        ).scalars()
        return [TokenPublic.from_rows(row, user.username) for row in rows]


async def revoke_token(uow: UnitOfWork, token_id: int, actor: Actor = SYSTEM) -> TokenPublic:
    """Revoke a token at once: administrators any, users their own. Revoking twice keeps the first time."""
    async with uow:
        # An id beyond a 64-bit integer cannot exist (and would make the driver fail): unknown, like any other.
        found = (
            None
            if not is_row_id(token_id)
            else (
                await uow.session.execute(
                    select(ApiToken, User)
                    .join(User, col(User.id) == col(ApiToken.user_id))
                    .where(col(ApiToken.id) == token_id)
                )
            ).first()
        )
        # Someone else's token is reported exactly like a missing one: token ids are not to be probed.
        if found is None or not (actor.is_privileged or actor.user == found[1].username):
            raise NotFound(f"token {token_id} does not exist", field="token_id")
        token, user = found
        if token.revoked_at is None:
            token.revoked_at = uow.now()
            uow.session.add(token)
        view = TokenPublic.from_rows(token, user.username)
        await uow.commit()
        return view


async def revoke_tokens_labelled(uow: UnitOfWork, username: str, label: str, *, keep: int | None = None) -> int:
    """Revoke every live token of a user that carries ``label`` but ``keep`` (the demo tokens); returns how many."""
    async with uow:
        user = await _user_by_name(uow, username)
        conditions = [
            col(ApiToken.user_id) == user.id,
            col(ApiToken.label) == label,
            col(ApiToken.revoked_at).is_(None),
        ]
        if keep is not None:
            conditions.append(col(ApiToken.id) != keep)
        result = await uow.session.execute(update(ApiToken).where(*conditions).values(revoked_at=uow.now()))
        await uow.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


# --- authentication -----------------------------------------------------------------------------------------


async def authenticate(uow: UnitOfWork, plaintext: str | None) -> Actor:
    """The actor behind a bearer token, or :class:`Unauthenticated` saying why not."""
    token = PresentedToken.of(plaintext)
    async with uow.read_only():
        found = (
            await uow.session.execute(
                select(ApiToken, User)
                .join(User, col(User.id) == col(ApiToken.user_id))
                .where(col(ApiToken.token_sha256) == token.digest)
            )
        ).first()
        if found is None:
            return token_holder(None, uow.now())
        row, user = found
        return token_holder(
            StoredToken(
                revoked_at=row.revoked_at,
                expires_at=row.expires_at,
                username=user.username,
                active=user.active,
                org=user.org_uscc,
                role=user.role,
                jurisdiction=user.jurisdiction,
            ),
            uow.now(),
        )


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """A bearer token as sent and well-formed, not yet looked up. A use case that reads the database anyway
    (a scan) looks it up in its own read instead of a separate round trip (:func:`token_holder`)."""

    plaintext: str

    @classmethod
    def of(cls, plaintext: str | None) -> PresentedToken:
        if not plaintext:
            raise Unauthenticated(
                "a bearer token is required: send 'Authorization: Bearer wl_…'", field="authorization"
            )
        if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
            raise Unauthenticated("this is not a wasteledger token (they start with 'wl_')", field="authorization")
        return cls(plaintext)

    @property
    def digest(self) -> str:
        return token_digest(self.plaintext)


@dataclass(frozen=True, slots=True)
class StoredToken:
    """What the ledger holds about a token and its user."""

    revoked_at: datetime | None
    expires_at: datetime
    username: str
    active: bool
    org: str | None
    role: str
    jurisdiction: str | None


def token_holder(stored: StoredToken | None, now: datetime) -> Actor:
    """The actor a looked-up token stands for at ``now``, or :class:`Unauthenticated` saying why not."""
    if stored is None:
        raise Unauthenticated("the token is not known", field="authorization")
    if stored.revoked_at is not None:
        raise Unauthenticated(f"the token was revoked at {stored.revoked_at.isoformat()}", field="authorization")
    if stored.expires_at <= now:
        raise Unauthenticated(f"the token expired at {stored.expires_at.isoformat()}", field="authorization")
    if not stored.active:
        raise Unauthenticated(f"user {stored.username} is deactivated", field="authorization")
    return Actor(org=stored.org, user=stored.username, role=Role(stored.role), jurisdiction=stored.jurisdiction)
