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

import asyncio
import collections
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.orm import configure_mappers
from sqlmodel import SQLModel

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


# One row per scan, in the order sent. Per scan: the token digest (NULL when the caller is already
# authenticated), the scan id, the container code and the manifest number of a receive or refuse scan (NULL for
# a disposal: then the container's own manifest, and the licence of the plant that holds it).
READ = f"""
SELECT
    t.revoked_at AS t_revoked_at, t.expires_at AS t_expires_at, u.username AS u_username, u.active AS u_active,
    u.org_uscc AS u_org, u.role AS u_role, u.jurisdiction AS u_jurisdiction,
    s.request_sha256 AS seen_digest, s.actor_org AS seen_org, s.result::text AS seen_result,
    {_columns("c", _CONTAINER)}, h.hash AS head_hash,
    {_columns("sh", _SHIPMENT)},
    CASE WHEN k.number IS NOT NULL THEN EXISTS (
        SELECT 1 FROM json_array_elements_text(sh.container_codes) AS listed (code) WHERE listed.code = c.code
    ) END AS listed,
    CASE WHEN k.number IS NULL THEN (
        SELECT count(*) FROM container AS other
        WHERE other.shipment_number = sh.number AND other.status = 'received' AND other.code <> c.code
    ) END AS others_open,
    {_columns("o", _ORGANISATION)},
    {_columns("p", _PLANT)}, p.licensed_waste_codes::text AS p_waste_codes, p.licensed_methods::text AS p_methods
FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[])
    WITH ORDINALITY AS k (token, scan_id, code, number, i)
LEFT JOIN api_token AS t ON t.token_sha256 = k.token
LEFT JOIN app_user AS u ON u.id = t.user_id
LEFT JOIN scan AS s ON s.scan_id = k.scan_id
LEFT JOIN container AS c ON c.code = k.code
LEFT JOIN ledger_event AS h ON h.stream = c.code AND h.version = c.version
LEFT JOIN shipment AS sh ON sh.number = COALESCE(k.number, c.shipment_number)
LEFT JOIN organisation AS o ON o.uscc = sh.receiver_uscc
LEFT JOIN plant AS p ON p.uscc = CASE WHEN k.number IS NULL THEN c.custodian_uscc ELSE sh.receiver_uscc END
ORDER BY k.i
"""  # noqa: S608 (the names come from the table definitions; every value is a parameter)

#: The projection columns a scan's step can change (the rest are fixed at registration or by other steps).
MOVED = ("status", "custodian_uscc", "plant_uscc", "received_at", "received_weight_g", "disposed_at", "method")
#: The columns of one step as the write takes them, one array each.
STEP = (
    ("code", "varchar"),
    ("version", "integer"),
    ("status", "varchar"),
    ("custodian_uscc", "varchar"),
    ("plant_uscc", "varchar"),
    ("received_at", "timestamptz"),
    ("received_weight_g", "integer"),
    ("disposed_at", "timestamptz"),
    ("method", "varchar"),
    ("type", "varchar"),
    ("occurred_at", "timestamptz"),
    ("recorded_at", "timestamptz"),
    ("actor_org", "varchar"),
    ("actor_user", "varchar"),
    ("payload", "text"),
    ("prev_hash", "varchar"),
    ("hash", "varchar"),
    ("scan_id", "varchar"),
    ("action", "varchar"),
    ("request_sha256", "varchar"),
    ("result", "text"),
)

# Each container appears at most once per write (a batch defers a container's second step, see _record_many).
WRITE = f"""
WITH step AS (
    SELECT * FROM unnest({", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(STEP, 1))})
        WITH ORDINALITY AS step ({", ".join(name for name, _ in STEP)}, i)
), moved AS (
    UPDATE container AS c
    SET {", ".join(f"{name} = step.{name}" for name in MOVED)}, version = step.version
    FROM step
    WHERE c.code = step.code AND c.version = step.version - 1
    RETURNING c.code
), appended AS (
    INSERT INTO ledger_event (stream, version, type, occurred_at, recorded_at, actor_org, actor_user, payload,
                              prev_hash, hash)
    SELECT step.code, step.version, step.type, step.occurred_at, step.recorded_at, step.actor_org, step.actor_user,
           step.payload, step.prev_hash, step.hash
    FROM step JOIN moved ON moved.code = step.code
    ORDER BY step.i
    RETURNING stream
), scanned AS (
    INSERT INTO scan (scan_id, actor_org, action, code, request_sha256, result, recorded_at)
    SELECT step.scan_id, step.actor_org, step.action, step.code, step.request_sha256, step.result::json,
           step.recorded_at
    FROM step JOIN appended ON appended.stream = step.code
    RETURNING scan_id
)
SELECT array_agg(scan_id) AS written FROM scanned
"""  # noqa: S608 (the names come from the table definitions; every value is a parameter)

RECORDED = "SELECT request_sha256, actor_org, result::text AS result FROM scan WHERE scan_id = $1"

Outcome = ScanResult | LedgerError | NeedsUnitOfWork


@dataclass(frozen=True, slots=True)
class _Decided:
    """A scan whose step the rules allowed: its row for the write and its answer."""

    index: int
    actor: Actor
    step: dict[str, Any]
    result: ScanResult


async def record_scan_pg(db: Database, scan: ScanIn, who: Actor | PresentedToken) -> ScanResult:
    """:func:`ledger.scans.record_scan` on PostgreSQL: joins the scans arriving meanwhile (see :class:`Gate`)."""
    outcome = await _gate(db).submit(scan, who)
    if isinstance(outcome, ScanResult):
        return outcome
    raise outcome


async def record_scans_pg(db: Database, scans: list[ScanIn], actor: Actor) -> list[Outcome]:
    """:func:`ledger.scans.record_scans` on PostgreSQL: one read and one write for the whole batch (plus one
    round trip per scan that must wait for another of the batch). :class:`NeedsUnitOfWork` marks the scans the
    caller runs through the unit of work, in order, afterwards."""
    async with db.statement_connection() as connection:
        return await _record_many(db, connection, [(scan, actor) for scan in scans])


async def _record_many(
    db: Database, connection: asyncpg.Connection, items: list[tuple[ScanIn, Actor | PresentedToken]]
) -> list[Outcome]:
    """Read every scan's world in one statement, decide each in order, write the allowed steps in one.

    A container's second step in the same set (and anything after a step handed over, for the same container)
    and a scan id's second appearance (a resend racing itself) are decided after the write, one by one, on the
    state it left. Disposals from one manifest are counted, so that the one that leaves no container of a
    received manifest open goes to the unit of work, which closes the manifest after the set is written. Steps
    the write found already moved by another writer are decided again the same way: the answer is then what it
    would have been had they come a moment later.
    """
    # Only parsed identifiers reach the database; what does not parse is refused below, in the rules' order,
    # once the caller is known to be allowed to hear why.
    codes = [_parsed(container_code_from_scan, scan.text) for scan, _ in items]
    numbers = [
        None
        if scan.action == ScanAction.DISPOSE or scan.shipment is None
        else _parsed(parse_manifest_number, scan.shipment)
        for scan, _ in items
    ]
    rows = await connection.fetch(
        READ,
        [who.digest if isinstance(who, PresentedToken) else None for _, who in items],
        [str(scan.scan_id) for scan, _ in items],
        codes,
        numbers,
    )
    now = db.clock()
    outcomes: list[Outcome | None] = [None] * len(items)
    later: list[int] = []
    decided: list[_Decided] = []
    shared = _Shared(db)
    busy_codes: set[str] = set()
    handed_codes: set[str] = set()
    busy_ids: set[str] = set()
    disposing: collections.Counter[str] = collections.Counter()  # manifest → its disposals decided in this set
    for index, ((scan, who), row) in enumerate(zip(items, rows, strict=True)):
        code, scan_id = codes[index], str(scan.scan_id)
        if code is not None and code in handed_codes and isinstance(who, Actor):
            outcomes[index] = NeedsUnitOfWork(who)  # stays behind the step handed over, in order
            continue
        if (code is not None and code in busy_codes) or scan_id in busy_ids:
            later.append(index)
            continue
        busy_ids.add(scan_id)
        if code is not None:
            busy_codes.add(code)
        try:
            actor = who if isinstance(who, Actor) else token_holder(_stored_token(row), now)
            if row["seen_digest"] is not None:
                outcomes[index] = replayed(
                    scan,
                    actor,
                    seen_digest=row["seen_digest"],
                    seen_org=row["seen_org"],
                    seen_result=json.loads(row["seen_result"]),
                )
                continue
            manifest = row["sh_number"] if scan.action == ScanAction.DISPOSE else None
            decided.append(_decide(db, index, scan, code, actor, row, now, shared, disposing[manifest or ""]))
            if manifest is not None:
                disposing[manifest] += 1
        except (LedgerError, NeedsUnitOfWork) as refusal:
            outcomes[index] = refusal
            if isinstance(refusal, NeedsUnitOfWork) and code is not None:
                handed_codes.add(code)
    unwritten = await _write(connection, decided, outcomes)
    if len(items) == 1:
        for step, error in unwritten:
            outcomes[step.index] = await _unless_recorded(connection, items[step.index][0], step.actor, error)
    else:
        for index in sorted([step.index for step, _ in unwritten] + later):
            outcomes[index] = (await _record_many(db, connection, [items[index]]))[0]
    return [Conflict("the scan was left undecided; send it again") if o is None else o for o in outcomes]


def _decide(
    db: Database,
    index: int,
    scan: ScanIn,
    code: str | None,
    actor: Actor,
    row: asyncpg.Record,
    now: datetime,
    shared: _Shared,
    disposed_before: int = 0,
) -> _Decided:
    """The unit-of-work path's rules in its order, on the state read (raises what it would raise).
    ``disposed_before``: disposals of the same manifest decided earlier in this set."""
    if code is None:
        container_code_from_scan(scan.text)  # raises why it is not a code
        raise AssertionError(f"{scan.text!r} did not parse as a container code a moment ago")
    if scan.action == ScanAction.DISPOSE:
        method = require(scan.method, "method", scan.action)
        occurred_at = occurred_at_or_now(now, scan.scanned_at, field="scanned_at")
        container = _container(row, code)
        payload = disposal_facts(container, actor, method, scan.line, shared.plant(row), db.catalogue, field="code")
        event_type = "container.disposed"
        if (
            container.shipment_number is not None
            and row["sh_status"] == ShipmentStatus.RECEIVED
            and row["others_open"] - disposed_before <= 0
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
        shipment = shared.shipment(row, number, actor)
        check_arrival(shipment, actor)
        container = _container(row, code)
        check_on_manifest(shipment, container, listed=bool(row["listed"]))
        if scan.action == ScanAction.RECEIVE:
            payload, detail = receipt_facts(
                shipment, container, shared.receiver(row), shared.plant(row), weight, db.settings.weight_tolerance
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
    event = seal(
        container.code,
        container.version + 1,
        row["head_hash"],
        NewEvent(event_type, payload, occurred_at),
        actor=actor,
        recorded_at=now,
    )
    moved = evolve(container, RecordedEvent.from_values(0, event))
    result = ScanResult(
        scan_id=scan.scan_id,
        code=container.code,
        action=scan.action,
        shipment=scan.shipment,
        status=moved.status,
        detail=detail,
        recorded_at=now,
    )
    step = {
        **event,
        **{name: getattr(moved, name) for name in MOVED},
        "code": container.code,
        "scan_id": str(scan.scan_id),
        "action": scan.action.value,
        "request_sha256": request_digest(scan),
        "result": json.dumps(result.model_dump(mode="json")),
    }
    return _Decided(index, actor, step, result)


async def _write(
    connection: asyncpg.Connection, decided: list[_Decided], outcomes: list[Outcome | None]
) -> list[tuple[_Decided, LedgerError]]:
    """Write the allowed steps in one statement; answer those written, return the others with why not."""
    if not decided:
        return []
    try:
        row = await connection.fetchrow(WRITE, *([step.step[name] for step in decided] for name, _ in STEP))
    except asyncpg.UniqueViolationError as exc:
        # Nothing was written: another writer took a stream's next version, or recorded one of these scan ids.
        return [(step, _collision(step, exc.constraint_name)) for step in decided]
    written = set(row["written"] or ())
    unwritten: list[tuple[_Decided, LedgerError]] = []
    for step in decided:
        if step.step["scan_id"] in written:
            outcomes[step.index] = step.result
        else:
            code, version = step.step["code"], step.step["version"]
            unwritten.append(
                (
                    step,
                    VersionConflict(
                        f"{code} changed meanwhile (it is no longer at version {version - 1}); re-read it",
                        field="stream",
                        stream=code,
                    ),
                )
            )
    return unwritten


def _collision(step: _Decided, constraint: str | None) -> LedgerError:
    if constraint == "scan_pkey":
        return Conflict(f"scan {step.step['scan_id']} is being recorded by another request", field="scan_id")
    code, version = step.step["code"], step.step["version"]
    return VersionConflict(
        f"{code}: another writer recorded version {version} first; re-read it", field="stream", stream=code
    )


async def _unless_recorded(
    connection: asyncpg.Connection, scan: ScanIn, actor: Actor, error: LedgerError
) -> ScanResult | LedgerError:
    """As on the unit-of-work path: a scan that collided with another request recording this very scan is
    answered with that first answer; otherwise the collision stands."""
    seen = await connection.fetchrow(RECORDED, str(scan.scan_id))
    if seen is None or seen["request_sha256"] != request_digest(scan) or seen["actor_org"] != actor.org:
        return error
    return ScanResult.model_validate({**json.loads(seen["result"]), "duplicate": True})


class Gate:
    """Single scans arriving together share their statements (group commit).

    A scan waits while :data:`WRITERS` sets of scans are being read and written; then everything that arrived
    meanwhile (up to :data:`MAX_SET`) goes as one set. Alone, a scan goes at once, so nothing waits for a
    timer; under load one read and one write serve many scans, which is where a scan's time went (two round
    trips through asyncpg and the event loop cost more than the rules). Each scan still gets its own answer:
    the rules decide each on its own, in arrival order, as :func:`_record_many` describes.
    """

    WRITERS = 2
    MAX_SET = 64

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[tuple[ScanIn, Actor | PresentedToken, asyncio.Future[Outcome]]] = []
        self._writers = 0

    async def submit(self, scan: ScanIn, who: Actor | PresentedToken) -> Outcome:
        answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((scan, who, answer))
        if self._writers < self.WRITERS:
            self._writers += 1
            task = asyncio.create_task(self._drain())
            _RUNNING.add(task)
            task.add_done_callback(_RUNNING.discard)
        # A caller that gives up (the client went away) does not stop the write: the scan may still be
        # recorded, and its resend is then answered with this answer.
        return await asyncio.shield(answer)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                taken, self._waiting = self._waiting[: self.MAX_SET], self._waiting[self.MAX_SET :]
                try:
                    async with self._db.statement_connection() as connection:
                        outcomes = await _record_many(self._db, connection, [(s, w) for s, w, _ in taken])
                except Exception as fault:  # a real fault (database gone): every waiting scan hears of it
                    for _, _, answer in taken:
                        if not answer.done():
                            answer.set_exception(fault)
                    continue
                except BaseException:  # cancelled (the server stops): so are the scans it carried
                    for _, _, answer in taken:
                        answer.cancel()
                    raise
                for (_, _, answer), outcome in zip(taken, outcomes, strict=True):
                    if not answer.done():
                        answer.set_result(outcome)
        finally:
            self._writers -= 1


_GATES: weakref.WeakKeyDictionary[Database, Gate] = weakref.WeakKeyDictionary()
_RUNNING: set[asyncio.Task[None]] = set()


def _gate(db: Database) -> Gate:
    gate = _GATES.get(db)
    if gate is None:
        gate = _GATES[db] = Gate(db)
    return gate


def _parsed(parse: Callable[[str], object], text: str) -> str | None:
    try:
        return str(parse(text))
    except LedgerError:
        return None


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


Model = TypeVar("Model", bound=SQLModel)
configure_mappers()  # the instances made below need the mapped attributes in place


def _loaded(model: type[Model], values: dict[str, Any]) -> Model:
    """A table model from column values read from our own database, unvalidated as the ORM loads rows:
    about 8 µs, where ``__init__`` takes 60 µs (it validates and computes every default)."""
    instance = model.model_construct(**values)
    model._sa_class_manager.setup_instance(instance)  # type: ignore[attr-defined]
    return instance  # type: ignore[return-value]


def _container(row: asyncpg.Record, code: str) -> Container:
    if row["c_code"] is None:
        raise NotFound(f"container {code} is not in the ledger", field="code")
    return _loaded(Container, _prefixed(row, "c", _CONTAINER))


class _Shared:
    """The rows many scans of a set share (their manifest, its receiver, the plant), loaded once per set: they
    come from one snapshot and the rules only read them."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._shipments: dict[str, Shipment] = {}
        self._organisations: dict[str, Organisation] = {}
        self._plants: dict[str, Plant] = {}

    def shipment(self, row: asyncpg.Record, number: str, actor: Actor) -> Shipment:
        """The manifest, or the same NotFound as an unknown number if the actor may not see it."""
        found = row["sh_number"]
        if found is not None:
            shipment = self._shipments.get(found)
            if shipment is None:
                # The list columns are not read here (``listed`` is decided in SQL): None, so that a rule that
                # starts reading one fails loudly instead of seeing an empty manifest.
                values = {**_prefixed(row, "sh", _SHIPMENT), **dict.fromkeys(_SHIPMENT_JSON)}
                shipment = self._shipments[found] = _loaded(Shipment, values)
            if can_see_shipment(actor, shipment, self._db.catalogue):
                return shipment
        raise NotFound(f"shipment {number} is not in the ledger", field="shipment")

    def receiver(self, row: asyncpg.Record) -> Organisation | None:
        uscc = row["o_uscc"]
        if uscc is None:
            return None
        if uscc not in self._organisations:
            self._organisations[uscc] = _loaded(Organisation, _prefixed(row, "o", _ORGANISATION))
        return self._organisations[uscc]

    def plant(self, row: asyncpg.Record) -> Plant | None:
        uscc = row["p_uscc"]
        if uscc is None:
            return None
        if uscc not in self._plants:
            values = {
                **_prefixed(row, "p", _PLANT),
                "licensed_waste_codes": json.loads(row["p_waste_codes"]),
                "licensed_methods": json.loads(row["p_methods"]),
            }
            self._plants[uscc] = _loaded(Plant, values)
        return self._plants[uscc]
