"""Alert subscriptions: a person's own channels (instead of the defaults: e-mail, and a text message for
critical alerts), or an endpoint such as a city platform's webhook for a jurisdiction.

A webhook gets an HMAC-SHA256 secret generated here and shown once, on creation; the receiver verifies the
signature header of each delivery with it (see docs/monitoring.md).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from ledger.actors import Actor, Role
from ledger.db import is_row_id
from ledger.errors import Forbidden, InvalidInput, NotFound
from ledger.monitoring.alerts import CHANNELS
from ledger.monitoring.findings import Severity
from ledger.tables import AlertSubscription, User
from ledger.text import Line
from ledger.unit_of_work import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,30}$")


class SubscriptionCreate(SQLModel):
    channel: str = Field(description="email, sms or webhook")
    target: Line = Field(min_length=3, max_length=500, description="address, phone number or https URL")
    min_severity: Severity = Severity.WARNING
    username: str | None = Field(
        default=None, description="whose channel (default: yourself); omit with endpoint=true for a webhook endpoint"
    )
    endpoint: bool = Field(default=False, description="an endpoint of nobody's (administrators only)")
    division: str | None = Field(default=None, description="endpoints: the jurisdiction whose alerts it receives")


class SubscriptionPublic(SQLModel):
    id: int
    username: str | None
    division: str | None
    channel: str
    target: str
    min_severity: str
    active: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="webhook signing key: shown once, on creation")


def _validate(channel: str, target: str) -> None:
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    ok = {
        "email": _EMAIL.match(target) is not None,
        "sms": _PHONE.match(target) is not None,
        "webhook": target.startswith(("https://", "http://")),
    }[channel]
    if not ok:
        raise InvalidInput(f"{target!r} is not a valid {channel} target", field="target")


async def add_subscription(uow: UnitOfWork, command: SubscriptionCreate, actor: Actor) -> SubscriptionPublic:
    """Add a channel for yourself (any user), for someone else or an endpoint (administrators)."""
    async with uow:
        _validate(command.channel, command.target.strip())
        user: User | None = None
        if command.endpoint:
            if not actor.is_privileged:
                raise Forbidden("only administrators add endpoints", field="endpoint")
            if command.division is not None:
                uow.catalogue.division(command.division)
        else:
            username = command.username or actor.user
            if username != actor.user and not actor.is_privileged:
                raise Forbidden("you may only add channels for yourself", field="username")
            user = (await uow.session.execute(select(User).where(col(User.username) == username))).scalar_one_or_none()
            if user is None:
                raise NotFound(f"no user {username!r}", field="username")
            if user.role not in (Role.REGULATOR, Role.ADMIN):
                raise InvalidInput("alerts go to regulators: only they subscribe", field="username")
        secret = secrets.token_urlsafe(32) if command.channel == "webhook" else None
        row = AlertSubscription(
            user_id=None if user is None else user.id,
            division=command.division if command.endpoint else None,
            channel=command.channel,
            target=command.target.strip(),
            secret=secret,
            min_severity=command.min_severity.value,
            active=True,
            created_at=uow.now(),
        )
        uow.session.add(row)
        await uow.session.flush()
        view = _public(row, None if user is None else user.username)
        view.secret = secret
        await uow.commit()
        return view


def _public(row: AlertSubscription, username: str | None) -> SubscriptionPublic:
    return SubscriptionPublic(
        id=row.id or 0,
        username=username,
        division=row.division,
        channel=row.channel,
        target=row.target,
        min_severity=row.min_severity,
        active=row.active,
        created_at=row.created_at,
    )


async def list_subscriptions(uow: UnitOfWork, actor: Actor) -> list[SubscriptionPublic]:
    """Your own channels; administrators see every subscription and endpoint."""
    async with uow:
        query = select(AlertSubscription, User).outerjoin(User, col(User.id) == col(AlertSubscription.user_id))
        if not actor.is_privileged:
            query = query.where(col(User.username) == actor.user)
        rows = (await uow.session.execute(query.order_by(col(AlertSubscription.id)))).all()
        return [_public(sub, None if user is None else user.username) for sub, user in rows]


async def remove_subscription(uow: UnitOfWork, subscription_id: int, actor: Actor) -> SubscriptionPublic:
    async with uow:
        row = await uow.session.get(AlertSubscription, subscription_id) if is_row_id(subscription_id) else None
        owner = None if row is None or row.user_id is None else await uow.session.get(User, row.user_id)
        mine = owner is not None and owner.username == actor.user
        if row is None or not (mine or actor.is_privileged):
            raise NotFound(f"no subscription {subscription_id}", field="id")
        row.active = False
        view = _public(row, None if owner is None else owner.username)
        await uow.commit()
        return view


async def webhook_secrets(uow: UnitOfWork, ids: set[int]) -> dict[int, str | None]:
    """The signing keys of the endpoints being delivered to (read by the delivery job only)."""
    if not ids:
        return {}
    async with uow:
        rows = await uow.session.execute(
            select(col(AlertSubscription.id), col(AlertSubscription.secret)).where(
                col(AlertSubscription.id).in_(sorted(ids))
            )
        )
        return {i: s for i, s in rows.all() if i is not None}
