"""Alerts: each finding of a check becomes one alert per problem, updated while the problem stands, cleared
when the check stops finding it, and closed by a regulator (销号). Each alert is an ``alert:<id>`` stream
whose projection is the ``alert`` table; every notification is an outbox row written in the same transaction
as the alert event it announces (delivered by ``jobs/``), so a failed delivery never loses an alert.

Life cycle (the transition table below is its only statement)::

    opened ──acknowledge──▶ acknowledged ──assign──▶ assigned ──close──▶ closed
       │                          └────────close──────────────────────────▲
       └──────────assign / close───────────────────────────────────────────┘

``alert.updated`` (figures or severity changed) and ``alert.cleared`` (no longer found) keep the status.
A closed alert never reopens: if the problem persists, the next run opens a new alert for it.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from ledger.actors import SYSTEM, Actor, Role
from ledger.canonical import canonical_json
from ledger.containers import EventPublic
from ledger.db import is_row_id
from ledger.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, LedgerIntegrityError, NotFound
from ledger.monitoring.findings import CheckResult, Finding, Severity
from ledger.queries import DEFAULT_PAGE, decode_cursor, encode_cursor, page_limit
from ledger.scope import covered_divisions, regulator_covers
from ledger.sequences import next_in_sequence
from ledger.store import NewEvent, RecordedEvent
from ledger.tables import Alert, AlertSubscription, OutboxMessage, User
from ledger.text import Prose
from ledger.unit_of_work import Database, UnitOfWork


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    CLOSED = "closed"


A = AlertStatus
_NOT_CLOSED = frozenset({A.OPEN, A.ACKNOWLEDGED, A.ASSIGNED})

#: event type → (step named in errors, states it may follow, state it leads to; None keeps the state).
ALERT_TRANSITIONS: dict[str, tuple[str, frozenset[A | None], A | None]] = {
    "alert.opened": ("open", frozenset({None}), A.OPEN),
    "alert.updated": ("update", _NOT_CLOSED, None),
    "alert.cleared": ("clear", _NOT_CLOSED, None),
    "alert.acknowledged": ("acknowledge", frozenset({A.OPEN}), A.ACKNOWLEDGED),
    "alert.assigned": ("assign", _NOT_CLOSED, A.ASSIGNED),
    "alert.closed": ("close", _NOT_CLOSED, A.CLOSED),
}

#: Who hears of which step. People (the regulators of the alert's division, through their channels) are told
#: when an alert opens or gets worse; the assignee when it is assigned to them; endpoints (webhooks) of every
#: step, so a dashboard or a city platform can mirror the alert's life. Figure updates notify nobody: a
#: standing problem is one message, not one per run.
PEOPLE_ACTIONS = frozenset({"alert.opened", "alert.escalated"})
ENDPOINT_ACTIONS = frozenset(
    {"alert.opened", "alert.escalated", "alert.cleared", "alert.acknowledged", "alert.assigned", "alert.closed"}
)
CHANNELS = ("email", "sms", "webhook")
_SEVERITY_ZH = {Severity.INFO: "提示", Severity.WARNING: "预警", Severity.CRITICAL: "严重"}


def alert_stream(alert_id: int) -> str:
    return f"alert:{alert_id}"


def normalised(figures: dict[str, Any]) -> dict[str, Any]:
    """Figures exactly as they come back from the stored event (canonical JSON), so "changed" is exact."""
    result: dict[str, Any] = json.loads(canonical_json(figures))
    return result


# --- read models and commands -------------------------------------------------------------------------------


class AlertPublic(SQLModel):
    id: int
    kind: str
    severity: Severity
    status: AlertStatus
    active: bool
    """The latest check still finds the problem."""
    subject_kind: str
    subject_id: str
    subject_name: str
    division: str
    title: str
    figures: dict[str, Any]
    dedupe_key: str
    opened_at: datetime
    updated_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    assigned_to: str | None
    assigned_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    close_note: str
    version: int

    @classmethod
    def from_row(cls, row: Alert) -> AlertPublic:
        return cls(
            id=row.id,
            kind=row.kind,
            severity=Severity(row.severity),
            status=AlertStatus(row.status),
            active=row.active,
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            subject_name=row.subject_name,
            division=row.division,
            title=row.title,
            figures=dict(row.figures),
            dedupe_key=row.dedupe_key,
            opened_at=row.opened_at,
            updated_at=row.updated_at,
            cleared_at=row.cleared_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            assigned_to=row.assigned_to,
            assigned_at=row.assigned_at,
            closed_at=row.closed_at,
            closed_by=row.closed_by,
            close_note=row.close_note,
            version=row.version,
        )


class AlertDetail(SQLModel):
    alert: AlertPublic
    history: list[EventPublic]


class AlertPage(SQLModel):
    items: list[AlertPublic]
    next_cursor: str | None = None


class OutboxDelivery(SQLModel):
    """One notification about an alert and how its delivery went."""

    id: int
    action: str
    channel: str
    target: str
    recipient: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class AlertFilters(SQLModel):
    status: str | None = Field(
        default=None, description="open, acknowledged, assigned, closed, or 'unclosed' for all but closed"
    )
    kind: str | None = None
    severity: Severity | None = None
    division: str | None = None
    active: bool | None = None


class AcknowledgeAlert(SQLModel):
    note: Prose = Field(default="", max_length=500)


class AssignAlert(SQLModel):
    assignee: str = Field(min_length=3, max_length=64, description="username of the person who rectifies it")
    note: Prose = Field(default="", max_length=500)


class CloseAlert(SQLModel):
    """销号: the problem was rectified (or judged no longer relevant); say what was done."""

    note: Prose = Field(min_length=2, max_length=500)


class CheckCounts(SQLModel):
    """What a check run did to the alerts."""

    findings: int = 0
    opened: int = 0
    updated: int = 0
    escalated: int = 0
    cleared: int = 0
    unchanged: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return self.model_dump()


# --- the fold -----------------------------------------------------------------------------------------------


def check_alert_step(alert_id: int, status: A | None, event_type: str) -> A | None:
    step, allowed, after = ALERT_TRANSITIONS[event_type]
    if status not in allowed:
        state = "not opened" if status is None else str(status)
        raise IllegalTransition(f"alert {alert_id}", state, step, field="id")
    return status if after is None else after


def evolve_alert(state: Alert | None, event: RecordedEvent) -> Alert:
    """Apply one ``alert.*`` event (JSON columns replaced, never mutated, so the ORM sees the change)."""
    alert_id = int(event.stream.removeprefix("alert:"))
    status = None if state is None else A(state.status)
    try:
        after = check_alert_step(alert_id, status, event.type)
    except IllegalTransition as exc:
        raise LedgerIntegrityError(f"event {event.seq}: {exc.message}") from exc
    p = event.payload
    at = event.occurred_at
    if state is None:
        state = Alert(
            id=alert_id,
            dedupe_key=p["dedupe_key"],
            open_key=p["dedupe_key"],
            kind=p["kind"],
            severity=p["severity"],
            status=A.OPEN,
            active=True,
            subject_kind=p["subject_kind"],
            subject_id=p["subject_id"],
            subject_name=p["subject_name"],
            division=p["division"],
            title=p["title"],
            figures=dict(p["figures"]),
            opened_at=at,
            updated_at=at,
            version=0,
        )
    match event.type:
        case "alert.updated":
            state.severity = p["severity"]
            state.title = p["title"]
            state.figures = dict(p["figures"])
            state.active = True
            state.cleared_at = None
        case "alert.cleared":
            state.active = False
            state.cleared_at = at
        case "alert.acknowledged":
            state.acknowledged_at = at
            state.acknowledged_by = event.actor_user
        case "alert.assigned":
            state.assigned_to = p["assignee"]
            state.assigned_at = at
        case "alert.closed":
            state.closed_at = at
            state.closed_by = event.actor_user
            state.close_note = p["note"]
            state.open_key = None
    state.status = str(after)
    state.updated_at = at
    state.version = event.version
    return state


async def _record(
    uow: UnitOfWork, row: Alert | None, alert_id: int, event_type: str, payload: dict[str, Any], actor: Actor
) -> Alert:
    check_alert_step(alert_id, None if row is None else A(row.status), event_type)
    now = uow.now()
    [event] = await uow.events.append(
        alert_stream(alert_id),
        0 if row is None else row.version,
        [NewEvent(event_type, payload, now)],
        actor=actor,
        recorded_at=now,
    )
    updated = evolve_alert(row, event)
    uow.session.add(updated)
    return updated


# --- recipients and the outbox ------------------------------------------------------------------------------


def _severity_at_least(severity: str, minimum: str) -> bool:
    return Severity(severity).rank >= Severity(minimum).rank


def render_text(alert: Alert, action: str, base_url: str) -> tuple[str, str, str]:
    """(subject, e-mail body, text message) for an alert step: Chinese first, the figures, where to act."""
    severity = Severity(alert.severity)
    verb = {
        "alert.opened": "新预警",
        "alert.escalated": "预警升级",
        "alert.assigned": "预警已交办",
        "alert.acknowledged": "预警已签收",
        "alert.cleared": "预警情形已消除",
        "alert.closed": "预警已销号",
    }.get(action, action)
    subject = f"[{_SEVERITY_ZH[severity]}] {verb} #{alert.id}: {alert.title}"[:300]
    lines = [
        f"{verb} ({action}) #{alert.id} — {severity.value}",
        alert.title,
        "",
        f"对象 subject: {alert.subject_kind} {alert.subject_id} {alert.subject_name}",
        f"辖区 division: {alert.division}",
        f"状态 status: {alert.status}{'' if alert.active else ' (cleared)'}",
        "",
        *(f"  {name}: {value}" for name, value in sorted(alert.figures.items()) if not isinstance(value, list)),
        "",
        f"{base_url}/api/v1/alerts/{alert.id}",
    ]
    sms = f"【危废监管】{_SEVERITY_ZH[severity]}#{alert.id} {alert.title}"[:300]
    return subject, "\n".join(lines), sms


def webhook_body(alert: Alert, action: str) -> str:
    """Trackdéchets' ``[{action, id}]``, with the alert itself so the receiver needs no second call."""
    view = AlertPublic.from_row(alert).model_dump(mode="json")
    return json.dumps([{"action": action, "id": alert.id, "alert": view}], ensure_ascii=False, sort_keys=True)


async def _regulators_for(uow: UnitOfWork, division: str) -> list[User]:
    rows = (
        await uow.session.execute(
            select(User).where(col(User.role) == Role.REGULATOR.value, col(User.active).is_(True))
        )
    ).scalars()
    return [
        user
        for user in rows
        if user.jurisdiction is not None
        and regulator_covers(
            Actor(org=user.org_uscc, user=user.username, role=Role.REGULATOR, jurisdiction=user.jurisdiction),
            division,
            uow.catalogue,
        )
    ]


async def _channels_of(uow: UnitOfWork, user: User, severity: str) -> list[tuple[str, str, int | None]]:
    """A person's channels: their subscriptions if they have any, else e-mail always and a text message for
    alerts at least as severe as the policy's ``sms_min_severity``."""
    subscriptions = list(
        (
            await uow.session.execute(
                select(AlertSubscription).where(
                    col(AlertSubscription.user_id) == user.id, col(AlertSubscription.active).is_(True)
                )
            )
        ).scalars()
    )
    if subscriptions:
        return [(s.channel, s.target, s.id) for s in subscriptions if _severity_at_least(severity, s.min_severity)]
    channels: list[tuple[str, str, int | None]] = []
    if user.email:
        channels.append(("email", user.email, None))
    if user.phone and _severity_at_least(severity, uow.settings.monitoring.sms_min_severity):
        channels.append(("sms", user.phone, None))
    return channels


async def _endpoints_for(uow: UnitOfWork, alert: Alert) -> list[AlertSubscription]:
    rows = (
        await uow.session.execute(
            select(AlertSubscription).where(
                col(AlertSubscription.user_id).is_(None), col(AlertSubscription.active).is_(True)
            )
        )
    ).scalars()
    return [
        s
        for s in rows
        if _severity_at_least(alert.severity, s.min_severity)
        and (
            s.division is None
            or uow.catalogue.jurisdiction_covers(s.division, alert.division)
            or s.division == alert.division
        )
    ]


async def notify(uow: UnitOfWork, alert: Alert, action: str, *, assignee: User | None = None) -> int:
    """Write the outbox rows announcing ``action`` on ``alert`` (inside the caller's transaction)."""
    now = uow.now()
    subject, body, sms = render_text(alert, action, uow.settings.public_base_url)
    payload = webhook_body(alert, action)
    seen: set[tuple[str, str]] = set()
    rows: list[OutboxMessage] = []

    def add(channel: str, target: str, recipient: str | None, subscription: int | None) -> None:
        if (channel, target) in seen or channel not in CHANNELS:
            return
        seen.add((channel, target))
        rows.append(
            OutboxMessage(
                alert_id=alert.id,
                action=action,
                channel=channel,
                target=target,
                recipient=recipient,
                subscription_id=subscription,
                subject=subject,
                body=sms if channel == "sms" else body,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    people: list[User] = []
    if action in PEOPLE_ACTIONS:
        people = await _regulators_for(uow, alert.division)
    if assignee is not None:
        people.append(assignee)
    for person in people:
        for channel, target, subscription in await _channels_of(uow, person, alert.severity):
            add(channel, target, person.username, subscription)
    if action in ENDPOINT_ACTIONS:
        for endpoint in await _endpoints_for(uow, alert):
            add(endpoint.channel, endpoint.target, None, endpoint.id)
    uow.session.add_all(rows)
    return len(rows)


# --- applying a check's findings ----------------------------------------------------------------------------


async def _open_alert(uow: UnitOfWork, key: str) -> Alert | None:
    return (await uow.session.execute(select(Alert).where(col(Alert.open_key) == key))).scalar_one_or_none()


async def _apply_finding(uow: UnitOfWork, finding: Finding, counts: CheckCounts) -> None:
    figures = normalised(finding.figures)
    async with uow:
        row = await _open_alert(uow, finding.dedupe_key)
        if row is None:
            alert_id = await next_in_sequence(uow.session, "alert")
            payload = {
                "kind": finding.kind,
                "dedupe_key": finding.dedupe_key,
                "severity": finding.severity,
                "subject_kind": finding.subject_kind,
                "subject_id": finding.subject_id,
                "subject_name": finding.subject_name,
                "division": finding.division,
                "title": finding.title,
                "figures": figures,
            }
            row = await _record(uow, None, alert_id, "alert.opened", payload, SYSTEM)
            counts.notifications += await notify(uow, row, "alert.opened")
            await uow.commit()
            counts.opened += 1
            return
        same = row.severity == finding.severity and row.title == finding.title and row.figures == figures
        if same and row.active:
            counts.unchanged += 1
            return
        previous = row.severity
        row = await _record(
            uow,
            row,
            row.id,
            "alert.updated",
            {"severity": finding.severity, "previous_severity": previous, "title": finding.title, "figures": figures},
            SYSTEM,
        )
        escalated = Severity(finding.severity).rank > Severity(previous).rank
        if escalated:
            counts.notifications += await notify(uow, row, "alert.escalated")
        await uow.commit()
        counts.updated += 1
        counts.escalated += int(escalated)


async def _clear(uow: UnitOfWork, alert_id: int, counts: CheckCounts) -> None:
    async with uow:
        row = await uow.session.get(Alert, alert_id)
        if row is None or row.status == A.CLOSED or not row.active:
            return
        row = await _record(uow, row, row.id, "alert.cleared", {}, SYSTEM)
        counts.notifications += await notify(uow, row, "alert.cleared")
        await uow.commit()
        counts.cleared += 1


async def _retrying(attempt: Any, tries: int = 3) -> None:
    """A regulator acknowledging an alert while the check updates it: one of them gets a version conflict;
    the check re-reads and tries again (its change is recomputed from the fresh row)."""
    for remaining in range(tries - 1, -1, -1):
        try:
            await attempt()
            return
        except Conflict:
            if not remaining:
                raise


async def apply_check(db: Database, result: CheckResult) -> CheckCounts:
    """Open, update or clear the alerts of ``result.kinds`` so they match the findings; one transaction per
    alert, so a conflict on one alert neither blocks nor undoes the others."""
    counts = CheckCounts(findings=len(result.findings))
    keys = set()
    for finding in result.findings:
        if finding.kind not in result.kinds:
            raise ValueError(f"check {result.check} reported a {finding.kind} finding it does not own")
        if finding.dedupe_key in keys:
            raise ValueError(f"check {result.check} reported {finding.dedupe_key} twice")
        keys.add(finding.dedupe_key)
        await _retrying(lambda f=finding: _apply_finding(db.uow(), f, counts))
    async with db.uow() as uow:
        standing = (
            await uow.session.execute(
                select(col(Alert.id), col(Alert.dedupe_key)).where(
                    col(Alert.kind).in_(sorted(result.kinds)),
                    col(Alert.open_key).is_not(None),
                    col(Alert.active).is_(True),
                )
            )
        ).all()
    for alert_id, key in standing:
        if key not in keys:
            await _retrying(lambda a=alert_id: _clear(db.uow(), a, counts))
    return counts


# --- regulators' steps --------------------------------------------------------------------------------------


def _require_alert_reader(actor: Actor) -> None:
    if actor.is_privileged or (actor.role == Role.REGULATOR and actor.jurisdiction is not None):
        return
    raise Forbidden(f"alerts are for regulators and administrators; you act as {actor.role}", field="actor")


def _can_see(actor: Actor, row: Alert, uow: UnitOfWork) -> bool:
    return actor.is_privileged or regulator_covers(actor, row.division, uow.catalogue)


async def _visible(uow: UnitOfWork, alert_id: int, actor: Actor) -> Alert:
    _require_alert_reader(actor)
    row = await uow.session.get(Alert, alert_id) if is_row_id(alert_id) else None
    # Outside the jurisdiction looks exactly like never raised.
    if row is None or not _can_see(actor, row, uow):
        raise NotFound(f"alert {alert_id} does not exist", field="id")
    return row


async def acknowledge_alert(uow: UnitOfWork, alert_id: int, command: AcknowledgeAlert, actor: Actor) -> AlertPublic:
    """A regulator of the alert's division confirms it has been seen (签收)."""
    async with uow:
        row = await _visible(uow, alert_id, actor)
        row = await _record(uow, row, row.id, "alert.acknowledged", {"note": command.note}, actor)
        await notify(uow, row, "alert.acknowledged")
        view = AlertPublic.from_row(row)
        await uow.commit()
        return view


async def assign_alert(uow: UnitOfWork, alert_id: int, command: AssignAlert, actor: Actor) -> AlertPublic:
    """Hand the alert to the person who rectifies it (交办): a regulator of its division, or a user of the
    organisation it is about (the hospital, the plant)."""
    async with uow:
        row = await _visible(uow, alert_id, actor)
        check_alert_step(row.id, A(row.status), "alert.assigned")
        assignee = (
            await uow.session.execute(select(User).where(col(User.username) == command.assignee))
        ).scalar_one_or_none()
        if assignee is None or not assignee.active:
            raise InvalidInput(f"no active user {command.assignee!r}", field="assignee")
        as_actor = Actor(
            org=assignee.org_uscc, user=assignee.username, role=Role(assignee.role), jurisdiction=assignee.jurisdiction
        )
        responsible = regulator_covers(as_actor, row.division, uow.catalogue) or (
            row.subject_kind in ("generator", "plant") and assignee.org_uscc == row.subject_id
        )
        if not responsible:
            raise InvalidInput(
                f"{assignee.username} is neither a regulator of {row.division} nor a user of {row.subject_id}",
                field="assignee",
            )
        row = await _record(
            uow, row, row.id, "alert.assigned", {"assignee": assignee.username, "note": command.note}, actor
        )
        await notify(uow, row, "alert.assigned", assignee=assignee)
        view = AlertPublic.from_row(row)
        await uow.commit()
        return view


async def close_alert(uow: UnitOfWork, alert_id: int, command: CloseAlert, actor: Actor) -> AlertPublic:
    """销号: a regulator of the alert's division closes it, saying what was done. If the problem persists, the
    next check run opens a new alert for it."""
    async with uow:
        row = await _visible(uow, alert_id, actor)
        note = command.note.strip()
        if len(note) < 2:
            raise InvalidInput("say what was done before closing the alert", field="note")
        row = await _record(uow, row, row.id, "alert.closed", {"note": note}, actor)
        await notify(uow, row, "alert.closed")
        view = AlertPublic.from_row(row)
        await uow.commit()
        return view


async def get_alert(uow: UnitOfWork, alert_id: int, actor: Actor) -> AlertDetail:
    """An alert with its whole history (every update, acknowledgement, assignment and the closing)."""
    async with uow:
        row = await _visible(uow, alert_id, actor)
        history = await uow.events.read(alert_stream(row.id))
        return AlertDetail(alert=AlertPublic.from_row(row), history=[EventPublic.from_event(e) for e in history])


async def alert_deliveries(uow: UnitOfWork, alert_id: int, actor: Actor) -> list[OutboxDelivery]:
    """What was sent (or waits, or died) about an alert: channel, recipient, attempts, last error."""
    async with uow:
        row = await _visible(uow, alert_id, actor)
        messages = (
            await uow.session.execute(
                select(OutboxMessage).where(col(OutboxMessage.alert_id) == row.id).order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [
            OutboxDelivery(
                id=m.id or 0,
                action=m.action,
                channel=m.channel,
                target=m.target,
                recipient=m.recipient,
                status=m.status,
                attempts=m.attempts,
                next_attempt_at=m.next_attempt_at,
                last_error=m.last_error,
                created_at=m.created_at,
                sent_at=m.sent_at,
            )
            for m in messages
        ]


async def list_alerts(
    uow: UnitOfWork,
    actor: Actor,
    filters: AlertFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> AlertPage:
    """Alerts in the actor's jurisdiction, newest first."""
    _require_alert_reader(actor)
    filters = filters or AlertFilters()
    size = page_limit(limit)
    query = select(Alert)
    if not actor.is_privileged:
        assert actor.jurisdiction is not None
        query = query.where(col(Alert.division).in_(sorted(covered_divisions(uow.catalogue, actor.jurisdiction))))
    if filters.status is not None:
        if filters.status == "unclosed":
            query = query.where(col(Alert.status) != A.CLOSED.value)
        elif filters.status in set(A):
            query = query.where(col(Alert.status) == filters.status)
        else:
            raise InvalidInput(f"status {filters.status!r} is not one of {', '.join([*A, 'unclosed'])}", field="status")
    if filters.kind is not None:
        query = query.where(col(Alert.kind) == filters.kind)
    if filters.severity is not None:
        query = query.where(col(Alert.severity) == filters.severity.value)
    if filters.division is not None:
        query = query.where(col(Alert.division) == filters.division)
    if filters.active is not None:
        query = query.where(col(Alert.active).is_(filters.active))
    if cursor is not None:
        [after] = decode_cursor(cursor, 1)
        if not after.isdigit():
            raise InvalidInput("the cursor is not one this list returned; start again without it", field="cursor")
        query = query.where(col(Alert.id) < int(after))
    async with uow:
        rows = list((await uow.session.execute(query.order_by(col(Alert.id).desc()).limit(size + 1))).scalars())
        items = [AlertPublic.from_row(row) for row in rows[:size]]
    next_cursor = encode_cursor(str(items[-1].id)) if len(rows) > size else None
    return AlertPage(items=items, next_cursor=next_cursor)
