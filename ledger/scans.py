"""Scans: what a plant's or a transporter's scanner read from a label, turned into a ledger step.

A scan carries the scanner's own id (UUID). The same id sent twice is recorded once and answered with the
same result, so a scanner that lost the answer can simply send again. A batch (an offline scanner syncing)
answers each scan on its own: one bad scan does not sink the others.

Scans are the hot path (every container passes the plant's gate twice). On PostgreSQL, receive, refuse and
dispose scans go through :mod:`ledger.scans_pg`: the same rules, a whole batch (or the single scans arriving
together) read in one statement and written in one. Every other case (SQLite, collection scans, the disposal that
closes a manifest) runs through the unit of work here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from ledger.accounts import PresentedToken, authenticate
from ledger.actors import Actor
from ledger.canonical import canonical_json, sha256_text
from ledger.containers import load_container
from ledger.errors import Conflict, InvalidInput, LedgerError
from ledger.identifiers import container_code_from_scan
from ledger.shipments import (
    ReceiveContainer,
    RefuseContainer,
    add_containers_in,
    check_scan_time,
    close_if_done,
    dispose_container_in,
    receive_container_in,
    refuse_container_in,
)
from ledger.tables import Scan
from ledger.text import Line, Prose
from ledger.unit_of_work import Database, UnitOfWork

MAX_BATCH = 1000


class ScanAction(StrEnum):
    COLLECT = "collect"
    """Transporter at pickup: the container goes on the draft manifest."""
    RECEIVE = "receive"
    """Plant on arrival: scanned and weighed."""
    REFUSE = "refuse"
    DISPOSE = "dispose"


class ScanIn(SQLModel):
    scan_id: UUID = Field(description="the scanner's own id for this scan; resending it is safe")
    text: str = Field(min_length=1, max_length=512, description="what the scanner read: the code or the label URL")
    action: ScanAction
    shipment: str | None = Field(default=None, min_length=14, max_length=14, schema_extra={"pattern": r"^[0-9]{14}$"})
    weight_kg: Decimal | None = Field(default=None, gt=0, le=50000, max_digits=11, decimal_places=3)
    method: str | None = Field(default=None, max_length=4)
    line: Line = Field(default="", max_length=40)
    reason: Prose | None = Field(default=None, min_length=3, max_length=300)
    scanned_at: AwareDatetime


class ScanResult(SQLModel):
    scan_id: UUID
    code: str
    action: ScanAction
    shipment: str | None
    status: str
    """The container's status after the scan."""
    detail: dict[str, Any]
    recorded_at: datetime
    duplicate: bool = False
    """True when this scan id had already been recorded: this is the first answer again."""


Credential = Actor | PresentedToken
"""Who scans: an authenticated actor, or a bearer token that the scan's own read authenticates."""


def request_digest(scan: ScanIn) -> str:
    """What a scan id is bound to: the scan as sent."""
    return sha256_text(canonical_json(scan.model_dump(mode="json")))


def require(value: Any, field: str, action: ScanAction) -> Any:
    if value is None:
        raise InvalidInput(f"a {action} scan needs {field}", field=field)
    return value


def replayed(
    scan: ScanIn, actor: Actor, *, seen_digest: str, seen_org: str | None, seen_result: dict[str, Any]
) -> ScanResult:
    """The first answer to a scan id seen before: only for the same scan, and only to the same party."""
    if seen_digest != request_digest(scan) or seen_org != actor.org:
        raise Conflict(f"scan id {scan.scan_id} was already used for a different scan", field="scan_id")
    return ScanResult.model_validate({**seen_result, "duplicate": True})


async def _replay(uow: UnitOfWork, scan: ScanIn, actor: Actor) -> ScanResult | None:
    """The recorded answer for a scan id seen before, if any (see :func:`replayed`)."""
    seen = await uow.session.get(Scan, str(scan.scan_id))
    if seen is None:
        return None
    return replayed(scan, actor, seen_digest=seen.request_sha256, seen_org=seen.actor_org, seen_result=seen.result)


async def _recorded_meanwhile(uow: UnitOfWork, scan: ScanIn, actor: Actor) -> ScanResult | None:
    """After a refusal: the first answer if another request recorded this very scan meanwhile, else None (the
    refusal stands, including "id used for a different scan", which the first check already reported)."""
    try:
        return await _replay(uow, scan, actor)
    except Conflict:
        return None


async def record_scan_in(uow: UnitOfWork, scan: ScanIn, actor: Actor) -> ScanResult:
    """One scan inside the caller's unit of work."""
    replay = await _replay(uow, scan, actor)
    if replay is not None:
        return replay
    code = str(container_code_from_scan(scan.text))
    detail: dict[str, Any]
    if scan.action == ScanAction.DISPOSE:
        method = require(scan.method, "method", scan.action)
        disposed_at = check_scan_time(uow, scan.scanned_at)
        container = await dispose_container_in(uow, code, method, scan.line, disposed_at, actor, field="code")
        if container.shipment_number:
            await close_if_done(uow, container.shipment_number, actor)
        detail = {"method": container.method, "line": scan.line}
    else:
        shipment = require(scan.shipment, "shipment", scan.action)
        if scan.action == ScanAction.COLLECT:
            row = await add_containers_in(uow, shipment, [code], actor)
            detail = {"containers_on_manifest": len(row.container_codes)}
        elif scan.action == ScanAction.RECEIVE:
            weight = require(scan.weight_kg, "weight_kg", scan.action)
            detail = await receive_container_in(
                uow,
                ReceiveContainer(shipment=shipment, code=code, weight_kg=weight, scanned_at=scan.scanned_at),
                actor,
            )
        else:
            reason = require(scan.reason, "reason", scan.action)
            detail = await refuse_container_in(
                uow,
                RefuseContainer(
                    shipment=shipment, code=code, reason=reason, weight_kg=scan.weight_kg, scanned_at=scan.scanned_at
                ),
                actor,
            )
    container = await load_container(uow, code)
    result = ScanResult(
        scan_id=scan.scan_id,
        code=code,
        action=scan.action,
        shipment=scan.shipment,
        status=container.status,
        detail={k: v for k, v in detail.items() if k not in ("code", "status")},
        recorded_at=uow.now(),
    )
    uow.session.add(
        Scan(
            scan_id=str(scan.scan_id),
            actor_org=actor.org,
            action=scan.action,
            code=code,
            request_sha256=request_digest(scan),
            result=result.model_dump(mode="json"),
            recorded_at=result.recorded_at,
        )
    )
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"scan {scan.scan_id} is being recorded by another request", field="scan_id") from exc
    return result


async def record_scan(db: Database, scan: ScanIn, who: Credential) -> ScanResult:
    """Record one scan; resending the same scan id returns the first answer."""
    if db.dialect == "postgresql" and scan.action != ScanAction.COLLECT:
        from ledger.scans_pg import NeedsUnitOfWork, record_scan_pg  # it builds on this module's models

        try:
            return await record_scan_pg(db, scan, who)
        except NeedsUnitOfWork as handover:
            who = handover.actor
    actor = who if isinstance(who, Actor) else await authenticate(db.uow(), who.plaintext)
    return await _record_scan_in_unit(db, scan, actor)


async def _record_scan_in_unit(db: Database, scan: ScanIn, actor: Actor) -> ScanResult:
    try:
        async with db.uow() as uow:
            result = await record_scan_in(uow, scan, actor)
            await uow.commit()
            return result
    except LedgerError:
        # Two deliveries of one scan raced and the other one committed first. This one then either collided
        # with it (Conflict) or, having checked for a replay just before that commit, found the container
        # already moved (IllegalTransition): either way the scan *is* recorded, so answer with what was.
        async with db.uow() as uow:
            replay = await _recorded_meanwhile(uow, scan, actor)
        if replay is None:
            raise
        return replay


async def record_scans(db: Database, scans: list[ScanIn], who: Credential) -> list[ScanResult | LedgerError]:
    """A batch of up to 1,000 scans, each answered on its own (a result or the error that refused it);
    the batch commits what succeeded."""
    actor = who if isinstance(who, Actor) else await authenticate(db.uow(), who.plaintext)
    if len(scans) > MAX_BATCH:
        raise InvalidInput(f"a batch holds at most {MAX_BATCH} scans, not {len(scans)}", field="scans")
    if len({s.scan_id for s in scans}) != len(scans):
        raise InvalidInput("a scan id appears twice in the batch", field="scans")
    if db.dialect == "postgresql":
        from ledger.scans_pg import NeedsUnitOfWork, record_scans_pg  # it builds on this module's models

        answers: list[ScanResult | LedgerError] = []
        for scan, outcome in zip(scans, await record_scans_pg(db, scans, actor), strict=True):
            if isinstance(outcome, NeedsUnitOfWork):
                try:
                    outcome = await _record_scan_in_unit(db, scan, actor)
                except LedgerError as exc:
                    outcome = exc
            answers.append(outcome)
        return answers
    answers = []
    try:
        async with db.uow() as uow:
            for scan in scans:
                try:
                    async with uow.session.begin_nested():
                        answers.append(await record_scan_in(uow, scan, actor))
                except LedgerError as exc:
                    # As in record_scan: the same scan may have been committed meanwhile by another request.
                    answers.append(await _recorded_meanwhile(uow, scan, actor) or exc)
            await uow.commit()
        return answers
    except Conflict:
        # Another writer touched one of these containers meanwhile: fall back to one transaction per scan.
        answers = []
        for scan in scans:
            try:
                answers.append(await _record_scan_in_unit(db, scan, actor))
            except LedgerError as exc:
                answers.append(exc)
        return answers
