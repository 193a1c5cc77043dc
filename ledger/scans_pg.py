"""Scans on PostgreSQL: one statement reads, the ledger's rules decide, one statement writes.

Through the unit of work a receive scan cost 16 round trips (authentication in its own transaction, then the
replay check, the manifest, the receiver, its licence, the container, the stream head, the event, the projection,
the scan row, each through the ORM). Here it costs two, straight through asyncpg:

1. one SELECT joins everything the rules need: the bearer token and its user, an earlier scan with this id,
   the container with the hash at the head of its stream, the manifest (and whether it lists the container),
   the receiver and the licensing plant;
2. the rules are the unit-of-work path's own, applied in the same order (:mod:`ledger.shipments`' ``check_*`` and
   ``*_facts``, :func:`ledger.lifecycle.check_step` and :func:`~ledger.lifecycle.evolve`,
   :func:`ledger.store.seal` for the canonical payload and the hash chain);
3. one statement writes: it updates the container's projection only if it is still at the version read, appends
   the event only if that update happened, and records the scan only if the event was appended. It runs alone
   (autocommit), so it is atomic: all three or nothing. A concurrent writer either moved the projection
   (nothing written: a version conflict), took the stream's next version (the unique index refuses the
   event), or recorded this very scan id (its primary key refuses the scan row); each comes back as a
   :class:`~ledger.errors.LedgerError`, and the caller answers a scan recorded meanwhile with its first answer.

What the statement path does not do is handed over to the unit of work (:class:`NeedsUnitOfWork`): collection
scans (they change the manifest too) and the disposal of a manifest's last open container (it closes the
manifest).
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from ledger.accounts import PresentedToken, StoredToken, token_holder
from ledger.actors import Actor
from ledger.containers import occurred_at_or_now
from ledger.errors import Conflict, LedgerError, NotFound, VersionConflict
from ledger.identifiers import container_code_from_scan, parse_manifest_number
from ledger.lifecycle import ContainerStatus, check_step, evolve
from ledger.scans import ScanAction, ScanIn, ScanResult, replayed, request_digest, require
from ledger.scope import can_see_shipment
from ledger.shipments import (
    ShipmentStatus,
    check_arrival,
    check_on_manifest,
    disposal_facts,
    receipt_facts,
    refusal_facts,
)
from ledger.store import NewEvent, RecordedEvent, seal
from ledger.tables import Container, Organisation, Plant, Shipment
from ledger.unit_of_work import Database


class NeedsUnitOfWork(Exception):
    """This scan needs more than one container's step: run it through the unit of work, as ``actor``."""

    def __init__(self, actor: Actor) -> None:
        super().__init__("handed over to the unit of work")
        self.actor = actor


_CONTAINER = [c.name for c in Container.__table__.columns]  # type: ignore[attr-defined]
_SHIPMENT_JSON = {"container_codes", "waste_codes", "signatures", "transfer_basis", "receipt", "corrections"}
_SHIPMENT = [c.name for c in Shipment.__table__.columns if c.name not in _SHIPMENT_JSON]  # type: ignore[attr-defined]
_ORGANISATION = [c.name for c in Organisation.__table__.columns]  # type: ignore[attr-defined]
_PLANT_JSON = {"licensed_waste_codes", "licensed_methods"}
_PLANT = [c.name for c in Plant.__table__.columns if c.name not in _PLANT_JSON]  # type: ignore[attr-defined]


def _columns(alias: str, names: list[str]) -> str:
    return ", ".join(f"{alias}.{name} AS {alias}_{name}" for name in names)


# $1 token digest (NULL when the caller is already authenticated), $2 scan id, $3 container code, $4 the
# manifest number of a receive or refuse scan (NULL for a disposal: then the container's own manifest, and the
# licence of the plant that holds it).
READ = f"""
SELECT
    t.revoked_at AS t_revoked_at, t.expires_at AS t_expires_at, u.username AS u_username, u.active AS u_active,
    u.org_uscc AS u_org, u.role AS u_role, u.jurisdiction AS u_jurisdiction,
    s.request_sha256 AS seen_digest, s.actor_org AS seen_org, s.result::text AS seen_result,
    {_columns("c", _CONTAINER)}, h.hash AS head_hash,
    {_columns("sh", _SHIPMENT)},
    CASE WHEN $4::varchar IS NOT NULL THEN EXISTS (
        SELECT 1 FROM json_array_elements_text(sh.container_codes) AS listed (code) WHERE listed.code = c.code
    ) END AS listed,
    CASE WHEN $4::varchar IS NULL THEN EXISTS (
        SELECT 1 FROM container AS other
        WHERE other.shipment_number = sh.number AND other.status = 'received' AND other.code <> c.code
    ) END AS others_open,
    {_columns("o", _ORGANISATION)},
    {_columns("p", _PLANT)}, p.licensed_waste_codes::text AS p_waste_codes, p.licensed_methods::text AS p_methods
FROM (VALUES (1)) AS one (x)
LEFT JOIN api_token AS t ON t.token_sha256 = $1
LEFT JOIN app_user AS u ON u.id = t.user_id
LEFT JOIN scan AS s ON s.scan_id = $2
LEFT JOIN container AS c ON c.code = $3
LEFT JOIN ledger_event AS h ON h.stream = c.code AND h.version = c.version
LEFT JOIN shipment AS sh ON sh.number = COALESCE($4::varchar, c.shipment_number)
LEFT JOIN organisation AS o ON o.uscc = sh.receiver_uscc
LEFT JOIN plant AS p ON p.uscc = CASE WHEN $4::varchar IS NULL THEN c.custodian_uscc ELSE sh.receiver_uscc END
"""  # noqa: S608 (the names come from the table definitions; every value is a parameter)

#: The projection columns a scan's step can change (the rest are fixed at registration or by other steps).
MOVED = ("status", "custodian_uscc", "plant_uscc", "received_at", "received_weight_g", "disposed_at", "method")

WRITE = """
WITH moved AS (
    UPDATE container
    SET status = $3::varchar, custodian_uscc = $4::varchar, plant_uscc = $5::varchar,
        received_at = $6::timestamptz, received_weight_g = $7::integer, disposed_at = $8::timestamptz,
        method = $9::varchar, version = $2::integer
    WHERE code = $1::varchar AND version = $10::integer
    RETURNING code
), appended AS (
    INSERT INTO ledger_event (stream, version, type, occurred_at, recorded_at, actor_org, actor_user, payload,
                              prev_hash, hash)
    SELECT code, $2::integer, $11::varchar, $12::timestamptz, $13::timestamptz, $14::varchar, $15::varchar,
           $16::text, $17::varchar, $18::varchar
    FROM moved
    RETURNING seq
), scanned AS (
    INSERT INTO scan (scan_id, actor_org, action, code, request_sha256, result, recorded_at)
    SELECT $19::varchar, $14::varchar, $20::varchar, $1::varchar, $21::varchar, $22::json, $13::timestamptz
    FROM appended
    RETURNING scan_id
)
SELECT (SELECT seq FROM appended) AS seq, (SELECT count(*) FROM scanned) AS scanned
"""

RECORDED = "SELECT request_sha256, actor_org, result::text AS result FROM scan WHERE scan_id = $1"


async def record_scan_pg(db: Database, scan: ScanIn, who: Actor | PresentedToken) -> ScanResult:
    """:func:`ledger.scans.record_scan` on PostgreSQL, in two statements."""
    token = who.digest if isinstance(who, PresentedToken) else None
    try:
        code: str | None = str(container_code_from_scan(scan.text))
    except LedgerError:
        code = None  # refused below, once the caller is known to be allowed to hear why
    number = scan.shipment if scan.action != ScanAction.DISPOSE else None
    pool = await db.statement_pool()
    async with pool.acquire() as connection:
        row = await connection.fetchrow(READ, token, str(scan.scan_id), code, number)
        actor = who if isinstance(who, Actor) else token_holder(_stored_token(row), db.clock())
        if row["seen_digest"] is not None:
            return replayed(
                scan,
                actor,
                seen_digest=row["seen_digest"],
                seen_org=row["seen_org"],
                seen_result=json.loads(row["seen_result"]),
            )
        try:
            return await _decide_and_write(db, connection, scan, actor, row)
        except LedgerError:
            # As on the unit-of-work path: the same scan may have been recorded meanwhile by another request
            # (it collided with it, or found the container already moved); then it is answered alike.
            seen = await connection.fetchrow(RECORDED, str(scan.scan_id))
            if seen is None or seen["request_sha256"] != request_digest(scan) or seen["actor_org"] != actor.org:
                raise
            return ScanResult.model_validate({**json.loads(seen["result"]), "duplicate": True})


async def _decide_and_write(
    db: Database, connection: asyncpg.Connection, scan: ScanIn, actor: Actor, row: asyncpg.Record
) -> ScanResult:
    code = str(container_code_from_scan(scan.text))
    now = db.clock()
    if scan.action == ScanAction.DISPOSE:
        method = require(scan.method, "method", scan.action)
        occurred_at = occurred_at_or_now(now, scan.scanned_at, field="scanned_at")
        container = _container(row, code)
        payload = disposal_facts(container, actor, method, scan.line, _plant(row), db.catalogue, field="code")
        event_type = "container.disposed"
        if (
            container.shipment_number is not None
            and row["sh_status"] == ShipmentStatus.RECEIVED
            and not row["others_open"]
            and container.status == ContainerStatus.RECEIVED
        ):
            raise NeedsUnitOfWork(actor)  # the last open container: its disposal closes the manifest
        detail: dict[str, Any] = {"method": payload["method"], "line": scan.line}
    elif scan.action in (ScanAction.RECEIVE, ScanAction.REFUSE):
        sent_number = require(scan.shipment, "shipment", scan.action)
        if scan.action == ScanAction.RECEIVE:
            weight = require(scan.weight_kg, "weight_kg", scan.action)
        else:
            reason = require(scan.reason, "reason", scan.action)
        number = str(parse_manifest_number(sent_number, field="shipment"))
        shipment = _shipment(row, number, actor, db)
        check_arrival(shipment, actor)
        container = _container(row, code)
        check_on_manifest(shipment, container, listed=bool(row["listed"]))
        if scan.action == ScanAction.RECEIVE:
            payload, detail = receipt_facts(
                shipment, container, _receiver(row), _plant(row), weight, db.settings.weight_tolerance
            )
            event_type = "container.received"
        else:
            payload = refusal_facts(shipment, reason, scan.weight_kg)
            detail = {"reason": reason}
            event_type = "container.refused"
        occurred_at = occurred_at_or_now(now, scan.scanned_at, field="scanned_at")
    else:
        raise NeedsUnitOfWork(actor)
    check_step(container.code, ContainerStatus(container.status), event_type)
    expected = container.version
    values = seal(
        container.code,
        expected + 1,
        row["head_hash"],
        NewEvent(event_type, payload, occurred_at),
        actor=actor,
        recorded_at=now,
    )
    moved = evolve(container, RecordedEvent.from_values(0, values))
    result = ScanResult(
        scan_id=scan.scan_id,
        code=container.code,
        action=scan.action,
        shipment=scan.shipment,
        status=moved.status,
        detail=detail,
        recorded_at=now,
    )
    try:
        written = await connection.fetchrow(
            WRITE,
            container.code,
            moved.version,
            *(getattr(moved, name) for name in MOVED),
            expected,
            values["type"],
            values["occurred_at"],
            values["recorded_at"],
            values["actor_org"],
            values["actor_user"],
            values["payload"],
            values["prev_hash"],
            values["hash"],
            str(scan.scan_id),
            scan.action.value,
            request_digest(scan),
            json.dumps(result.model_dump(mode="json")),
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "scan_pkey":
            raise Conflict(f"scan {scan.scan_id} is being recorded by another request", field="scan_id") from exc
        raise VersionConflict(
            f"{container.code}: another writer recorded version {expected + 1} first; re-read it",
            field="stream",
            stream=container.code,
        ) from exc
    if written["scanned"] != 1:
        raise VersionConflict(
            f"{container.code} changed meanwhile (it is no longer at version {expected}); re-read it",
            field="stream",
            stream=container.code,
        )
    return result


def _stored_token(row: asyncpg.Record) -> StoredToken | None:
    if row["u_username"] is None:
        return None
    return StoredToken(
        revoked_at=row["t_revoked_at"],
        expires_at=row["t_expires_at"],
        username=row["u_username"],
        active=row["u_active"],
        org=row["u_org"],
        role=row["u_role"],
        jurisdiction=row["u_jurisdiction"],
    )


def _prefixed(row: asyncpg.Record, alias: str, names: list[str]) -> dict[str, Any]:
    return {name: row[f"{alias}_{name}"] for name in names}


def _container(row: asyncpg.Record, code: str) -> Container:
    if row["c_code"] is None:
        raise NotFound(f"container {code} is not in the ledger", field="code")
    return Container(**_prefixed(row, "c", _CONTAINER))


def _shipment(row: asyncpg.Record, number: str, actor: Actor, db: Database) -> Shipment:
    """The manifest, or the same NotFound as an unknown number if the actor may not see it."""
    if row["sh_number"] is not None:
        shipment = Shipment(**_prefixed(row, "sh", _SHIPMENT))
        if can_see_shipment(actor, shipment, db.catalogue):
            return shipment
    raise NotFound(f"shipment {number} is not in the ledger", field="shipment")


def _receiver(row: asyncpg.Record) -> Organisation | None:
    return None if row["o_uscc"] is None else Organisation(**_prefixed(row, "o", _ORGANISATION))


def _plant(row: asyncpg.Record) -> Plant | None:
    if row["p_uscc"] is None:
        return None
    return Plant(
        **_prefixed(row, "p", _PLANT),
        licensed_waste_codes=json.loads(row["p_waste_codes"]),
        licensed_methods=json.loads(row["p_methods"]),
    )
