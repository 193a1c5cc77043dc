"""Shipments: one transfer manifest (转移联单) per vehicle trip and generator, moved only by signatures.

Signing order is generator → transporter (dispatch) → transporter (delivery) → receiver (部令第23号 §5 in
DOMAIN.md); each party signs only its own step; a signature locks the fields listed for it in
:data:`FIELD_LOCKS`; later changes are corrections that the other parties approve, recorded as new events.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from ledger.actors import SYSTEM, Actor
from ledger.canonical import mapping_digest
from ledger.catalogue import Catalogue
from ledger.containers import check_occurred_at, load_container, record, require_party
from ledger.errors import (
    Conflict,
    FieldLocked,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    LedgerIntegrityError,
    NotFound,
    NotLicensed,
    SequenceExhausted,
)
from ledger.identifiers import (
    MANIFEST_SERIAL_MAX,
    ManifestNumber,
    manifest_city_digits,
    parse_manifest_number,
    validate_uscc,
)
from ledger.lifecycle import ContainerStatus
from ledger.scope import can_see_shipment
from ledger.sequences import next_in_sequence
from ledger.store import NewEvent, RecordedEvent
from ledger.tables import Container, Organisation, Plant, Shipment
from ledger.text import Line, Prose
from ledger.transfers import consume, local_date, reconcile
from ledger.unit_of_work import Database, UnitOfWork
from ledger.units import g_to_kg, kg_to_g

#: The receiver confirms within 5 working days of receipt (部令第23号 art.18).
CONFIRMATION_WORKING_DAYS = 5


class ShipmentStatus(StrEnum):
    DRAFT = "draft"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Party(StrEnum):
    GENERATOR = "generator"
    TRANSPORTER = "transporter"
    RECEIVER = "receiver"


class Decision(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_REFUSED = "partially_refused"
    REFUSED = "refused"


T = ShipmentStatus
_AFTER_DISPATCH = frozenset({T.DISPATCHED, T.DELIVERED, T.RECEIVED, T.CLOSED})

#: event type → (step named in errors, states it may follow, state it leads to; None keeps the state).
SHIPMENT_TRANSITIONS: dict[str, tuple[str, frozenset[T | None], T | None]] = {
    "shipment.created": ("create", frozenset({None}), T.DRAFT),
    "shipment.amended": ("amend", frozenset({T.DRAFT}), None),
    "shipment.containers_added": ("add containers", frozenset({T.DRAFT}), None),
    "shipment.containers_removed": ("remove containers", frozenset({T.DRAFT}), None),
    "shipment.signed_by_generator": ("sign as generator", frozenset({T.DRAFT}), None),
    "shipment.dispatched": ("dispatch", frozenset({T.DRAFT}), T.DISPATCHED),
    "shipment.delivered": ("deliver", frozenset({T.DISPATCHED}), T.DELIVERED),
    "shipment.received": ("sign the receipt", frozenset({T.DELIVERED}), T.RECEIVED),
    "shipment.closed": ("close", frozenset({T.RECEIVED}), T.CLOSED),
    "shipment.cancelled": ("cancel", frozenset({T.DRAFT}), T.CANCELLED),
    "shipment.correction_proposed": ("propose a correction", _AFTER_DISPATCH, None),
    "shipment.correction_approved": ("approve a correction", _AFTER_DISPATCH, None),
}

#: Which signature locks which field (Trackdéchets' idea): before it, the owning party may amend the field;
#: after it, only a correction approved by the other parties changes it.
_G = frozenset({Party.GENERATOR})
_T = frozenset({Party.TRANSPORTER})
FIELD_LOCKS: dict[str, tuple[frozenset[Party], str]] = {
    # field: (parties that fill it, signature that locks it)
    "receiver": (_G, "generator"),
    "transporter": (_G, "generator"),
    # The transporter lists containers too: scanning labels at pickup is how a manifest gets filled.
    "containers": (_G | _T, "generator"),
    "emergency_measures": (_G, "generator"),
    "vehicle_plate": (_T, "transporter"),
    "transport_licence": (_T, "transporter"),
    "driver": (_T, "transporter"),
    "route_start": (_T, "transporter"),
    "route_end": (_T, "transporter"),
}
#: Text fields a correction may change (parties and containers change only through a new manifest).
CORRECTABLE = frozenset(
    {"emergency_measures", "vehicle_plate", "transport_licence", "driver", "route_start", "route_end"}
)


# --- commands -----------------------------------------------------------------------------------------------

_PLATE = r"^[\u4e00-\u9fffA-Z0-9·-]{5,12}$"


class CreateShipment(SQLModel):
    """Start a manifest: generator, transporter, receiver, and (optionally) containers and vehicle."""

    generator: str = Field(min_length=18, max_length=18)
    transporter: str = Field(min_length=18, max_length=18)
    receiver: str = Field(min_length=18, max_length=18, description="the plant (or, for a return, the generator)")
    containers: list[str] = Field(default_factory=list, max_length=5000)
    emergency_measures: Prose = Field(default="", max_length=500)
    vehicle_plate: Line = Field(default="", max_length=16)
    transport_licence: Line = Field(default="", max_length=40)
    driver: Line = Field(default="", max_length=60)
    route_start: Line = Field(default="", max_length=200)
    route_end: Line = Field(default="", max_length=200)
    trip_id: Line | None = Field(default=None, max_length=40)
    previous_shipment: str | None = Field(default=None, min_length=14, max_length=14)


class AmendShipment(SQLModel):
    """Fill or change unlocked fields; each field only by the party that fills it."""

    emergency_measures: Prose | None = Field(default=None, max_length=500)
    receiver: str | None = Field(default=None, min_length=18, max_length=18)
    vehicle_plate: Line | None = Field(default=None, max_length=16)
    transport_licence: Line | None = Field(default=None, max_length=40)
    driver: Line | None = Field(default=None, max_length=60)
    route_start: Line | None = Field(default=None, max_length=200)
    route_end: Line | None = Field(default=None, max_length=200)


class Dispatch(SQLModel):
    """The transporter's signature at pickup; vehicle details may be given with it."""

    vehicle_plate: Line | None = Field(default=None, max_length=16)
    transport_licence: Line | None = Field(default=None, max_length=40)
    driver: Line | None = Field(default=None, max_length=60)
    route_start: Line | None = Field(default=None, max_length=200)
    route_end: Line | None = Field(default=None, max_length=200)
    signed_at: AwareDatetime | None = None


class ReceiveContainer(SQLModel):
    """A plant scans and weighs one container on arrival."""

    shipment: str = Field(min_length=14, max_length=14)
    code: str = Field(min_length=37, max_length=37)
    weight_kg: Decimal = Field(gt=0, le=50000, max_digits=11, decimal_places=3)
    scanned_at: AwareDatetime | None = None


class RefuseContainer(SQLModel):
    shipment: str = Field(min_length=14, max_length=14)
    code: str = Field(min_length=37, max_length=37)
    reason: Prose = Field(min_length=3, max_length=300)
    weight_kg: Decimal | None = Field(default=None, gt=0, le=50000, max_digits=11, decimal_places=3)
    scanned_at: AwareDatetime | None = None


class SignReceipt(SQLModel):
    """The receiver's signature: every container received or refused first."""

    note: Prose = Field(default="", max_length=500)
    signed_at: AwareDatetime | None = None


class DisposeContainers(SQLModel):
    """Disposal of one or more received containers with a method valid for their waste."""

    codes: list[str] = Field(min_length=1, max_length=1000)
    method: str = Field(min_length=2, max_length=4)
    line: Line = Field(default="", max_length=40, description="the plant's line or furnace")
    disposed_at: AwareDatetime | None = None


class ProposeCorrection(SQLModel):
    fields: dict[str, Prose] = Field(min_length=1, max_length=10)
    reason: Prose = Field(min_length=3, max_length=300)


# --- read models --------------------------------------------------------------------------------------------


class ShipmentContainer(SQLModel):
    code: str
    waste_code: str
    form: str
    """The physical form declared at registration (solid, semi-solid, liquid, gas)."""
    declared_kg: Decimal
    received_kg: Decimal | None
    status: str
    outcome: str | None
    """accepted or refused, once the receiver signed."""
    reason: str | None
    discrepancy: bool
    method: str | None = None
    """The disposal method, once disposed under this manifest."""


class ShipmentPublic(SQLModel):
    number: str
    status: ShipmentStatus
    trip_id: str | None
    previous_shipment: str | None
    generator: str
    transporter: str
    receiver: str
    origin_division: str
    destination_division: str
    cross_province: bool
    vehicle_plate: str
    transport_licence: str
    driver: str
    route_start: str
    route_end: str
    emergency_measures: str
    waste_codes: list[str]
    declared_kg: Decimal
    container_count: int
    signatures: dict[str, Any]
    transfer_basis: list[dict[str, Any]]
    receipt: dict[str, Any]
    corrections: list[dict[str, Any]]
    created_at: datetime
    dispatched_at: datetime | None
    delivered_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None
    confirm_by: date | None
    """Last day for the receiver's confirmation (5 working days after delivery)."""
    version: int

    @classmethod
    def from_row(cls, row: Shipment, tz: Any) -> ShipmentPublic:
        return cls(
            number=row.number,
            status=ShipmentStatus(row.status),
            trip_id=row.trip_id,
            previous_shipment=row.previous_shipment,
            generator=row.generator_uscc,
            transporter=row.transporter_uscc,
            receiver=row.receiver_uscc,
            origin_division=row.origin_division,
            destination_division=row.destination_division,
            cross_province=row.cross_province,
            vehicle_plate=row.vehicle_plate,
            transport_licence=row.transport_licence,
            driver=row.driver,
            route_start=row.route_start,
            route_end=row.route_end,
            emergency_measures=row.emergency_measures,
            waste_codes=list(row.waste_codes),
            declared_kg=g_to_kg(row.declared_g),
            container_count=len(row.container_codes),
            signatures=dict(row.signatures),
            transfer_basis=list(row.transfer_basis),
            receipt=dict(row.receipt),
            corrections=list(row.corrections),
            created_at=row.created_at,
            dispatched_at=row.dispatched_at,
            delivered_at=row.delivered_at,
            received_at=row.received_at,
            closed_at=row.closed_at,
            confirm_by=None
            if row.delivered_at is None
            else add_working_days(row.delivered_at.astimezone(tz).date(), CONFIRMATION_WORKING_DAYS),
            version=row.version,
        )


class ShipmentDetail(SQLModel):
    shipment: ShipmentPublic
    containers: list[ShipmentContainer]
    content_hash: str
    """SHA-256 of the manifest's content now: printed in the manifest's QR code to detect stale paper."""


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday–Friday) after ``start``. Public holidays are not modelled (✖)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


# --- the fold -----------------------------------------------------------------------------------------------


def shipment_stream(number: str) -> str:
    return f"shipment:{number}"


def check_shipment_step(number: str, status: T | None, event_type: str) -> T | None:
    step, allowed, after = SHIPMENT_TRANSITIONS[event_type]
    if status not in allowed:
        raise IllegalTransition(
            f"shipment {number}", "not created" if status is None else str(status), step, field="shipment"
        )
    return status if after is None else after


def _signature(event: RecordedEvent) -> dict[str, Any]:
    return {"org": event.actor_org, "user": event.actor_user, "at": event.occurred_at.isoformat()}


def evolve_shipment(state: Shipment | None, event: RecordedEvent) -> Shipment:
    """Apply one ``shipment.*`` event (JSON columns are replaced, never mutated, so the ORM sees changes)."""
    number = event.stream.removeprefix("shipment:")
    status = None if state is None else T(state.status)
    try:
        after = check_shipment_step(number, status, event.type)
    except IllegalTransition as exc:
        raise LedgerIntegrityError(f"event {event.seq}: {exc.message}") from exc
    p = event.payload
    if state is None:
        state = Shipment(
            number=number,
            trip_id=p.get("trip_id"),
            previous_shipment=p.get("previous_shipment"),
            generator_uscc=p["generator"],
            transporter_uscc=p["transporter"],
            receiver_uscc=p["receiver"],
            origin_division=p["origin_division"],
            destination_division=p["destination_division"],
            cross_province=p["cross_province"],
            status=T.DRAFT,
            created_at=event.occurred_at,
            version=0,
        )
        for name in CORRECTABLE:
            setattr(state, name, p.get(name, ""))
    match event.type:
        case "shipment.amended":
            for name, value in p["fields"].items():
                setattr(state, name if name != "receiver" else "receiver_uscc", value)
            if "destination_division" in p:
                state.destination_division = p["destination_division"]
                state.cross_province = p["cross_province"]
        case "shipment.created" | "shipment.containers_added":
            codes = [*state.container_codes, *(c["code"] for c in p.get("containers", []))]
            state.container_codes = codes
            state.declared_g += sum(kg_to_g(c["weight_kg"]) for c in p.get("containers", []))
            state.waste_codes = sorted({*state.waste_codes, *(c["waste_code"] for c in p.get("containers", []))})
        case "shipment.containers_removed":
            removed = {c["code"]: c for c in p["containers"]}
            state.container_codes = [c for c in state.container_codes if c not in removed]
            state.declared_g -= sum(kg_to_g(c["weight_kg"]) for c in removed.values())
            state.waste_codes = sorted(p["waste_codes"])
        case "shipment.signed_by_generator":
            state.signatures = {**state.signatures, "generator": _signature(event)}
        case "shipment.dispatched":
            for name, value in p["fields"].items():
                setattr(state, name, value)
            state.signatures = {**state.signatures, "transporter": _signature(event)}
            state.transfer_basis = list(p["transfer_basis"])
            state.dispatched_at = event.occurred_at
        case "shipment.delivered":
            state.signatures = {**state.signatures, "delivery": _signature(event)}
            state.delivered_at = event.occurred_at
        case "shipment.received":
            state.signatures = {**state.signatures, "receiver": _signature(event)}
            state.receipt = {k: v for k, v in p.items() if k != "transfer_basis"}
            state.transfer_basis = list(p.get("transfer_basis", state.transfer_basis))
            state.received_at = event.occurred_at
        case "shipment.closed":
            state.closed_at = event.occurred_at
        case "shipment.correction_proposed":
            state.corrections = [
                *state.corrections,
                {**p, "proposed_by": _signature(event), "approvals": [], "applied": False},
            ]
        case "shipment.correction_approved":
            corrections = [dict(c) for c in state.corrections]
            target = corrections[p["index"]]
            target["approvals"] = [*target["approvals"], {**_signature(event), "parties": p["parties"]}]
            if p["applies"]:
                target["applied"] = True
                for name, value in target["fields"].items():
                    setattr(state, name, value)
            state.corrections = corrections
    state.status = str(after)
    state.version = event.version
    return state


# --- helpers ------------------------------------------------------------------------------------------------


async def load_shipment(
    uow: UnitOfWork, number: str, *, field: str = "shipment", actor: Actor | None = None
) -> Shipment:
    """A manifest's row; with ``actor``, one it may see (otherwise the same NotFound as an unknown number)."""
    parsed = str(parse_manifest_number(number, field=field))
    row = await uow.session.get(Shipment, parsed)
    if row is None or (actor is not None and not can_see_shipment(actor, row, uow.catalogue)):
        raise NotFound(f"shipment {parsed} is not in the ledger", field=field)
    return row


async def _record(
    uow: UnitOfWork,
    row: Shipment | None,
    number: str,
    event_type: str,
    payload: dict[str, Any],
    *,
    actor: Actor,
    occurred_at: datetime | None = None,
) -> Shipment:
    check_shipment_step(number, None if row is None else T(row.status), event_type)
    [event] = await uow.events.append(
        shipment_stream(number),
        0 if row is None else row.version,
        [NewEvent(event_type, payload, occurred_at or uow.now())],
        actor=actor,
        recorded_at=uow.now(),
    )
    updated = evolve_shipment(row, event)
    if row is None:
        uow.session.add(updated)
    return updated


async def _committed(uow: UnitOfWork, row: Shipment) -> ShipmentPublic:
    """Commit the unit of work and return the manifest as it now stands."""
    view = ShipmentPublic.from_row(row, uow.settings.timezone)
    await uow.commit()
    return view


async def _organisation(uow: UnitOfWork, uscc: str, field: str, *kinds: str) -> Organisation:
    org = await uow.session.get(Organisation, validate_uscc(uscc, field=field))
    if org is None or org.kind not in kinds:
        raise InvalidInput(f"{uscc} is not a registered {' or '.join(kinds)}", field=field)
    return org


def _party_of(row: Shipment, actor: Actor) -> set[Party]:
    parties = set()
    if actor.org == row.generator_uscc:
        parties.add(Party.GENERATOR)
    if actor.org == row.transporter_uscc:
        parties.add(Party.TRANSPORTER)
    if actor.org == row.receiver_uscc:
        parties.add(Party.RECEIVER)
    return parties


def _require(row: Shipment, actor: Actor, party: Party, what: str) -> None:
    if actor.is_privileged or party in _party_of(row, actor):
        return
    raise Forbidden(f"only the {party} of shipment {row.number} may {what}", field="shipment")


def _check_unlocked(row: Shipment, fields: Iterable[str], actor: Actor) -> None:
    for name in fields:
        owners, signature = FIELD_LOCKS[name]
        if signature in row.signatures:
            raise FieldLocked(
                f"{name} of shipment {row.number} is locked: the {signature} signed at"
                f" {row.signatures[signature]['at']}; propose a correction instead",
                field=name,
            )
        if not (actor.is_privileged or owners & _party_of(row, actor)):
            raise Forbidden(
                f"only the {' or '.join(sorted(owners))} of shipment {row.number} may fill {name}", field=name
            )


async def _plant_licence(uow: UnitOfWork, receiver: str) -> Plant | None:
    return await uow.session.get(Plant, receiver)


def _check_licensed(plant: Plant | None, receiver: Organisation, waste_codes: Iterable[str], field: str) -> None:
    """The receiving plant must be licensed for every waste code (a return to the generator needs none)."""
    if receiver.kind != "plant":
        return
    if plant is None or not plant.active:
        raise NotLicensed(f"plant {receiver.uscc} is not an active licensed plant", field=field)
    missing = sorted(set(waste_codes) - set(plant.licensed_waste_codes))
    if missing:
        raise NotLicensed(
            f"plant {receiver.name_zh} ({receiver.uscc}) is not licensed for {', '.join(missing)}", field=field
        )


async def _containers_for(
    uow: UnitOfWork, row_generator: str, codes: Iterable[str], *, previous_shipment: str | None
) -> list[Container]:
    """Containers that may go on a new manifest of this generator: its own, registered, or refused or returned
    ones coming from ``previous_shipment``; none already on another open manifest."""
    containers = []
    seen: set[str] = set()
    for code in codes:
        container = await load_container(uow, code, field="containers")
        if container.code in seen:
            raise InvalidInput(f"container {container.code} is listed twice", field="containers")
        seen.add(container.code)
        if container.generator_uscc != row_generator:
            raise InvalidInput(f"container {container.code} belongs to another generator", field="containers")
        status = ContainerStatus(container.status)
        if status in (ContainerStatus.REFUSED, ContainerStatus.RETURNED):
            if previous_shipment is None or container.shipment_number != previous_shipment:
                raise InvalidInput(
                    f"container {container.code} was refused on {container.shipment_number}: ship it on a manifest"
                    " that references that one (previous_shipment)",
                    field="containers",
                )
        elif status != ContainerStatus.REGISTERED:
            raise IllegalTransition(f"container {container.code}", str(status), "add to a manifest", field="containers")
        containers.append(container)
    open_drafts = (
        await uow.session.execute(
            select(Shipment.number, Shipment.container_codes).where(  # type: ignore[call-overload]
                col(Shipment.status) == T.DRAFT, col(Shipment.generator_uscc) == row_generator
            )
        )
    ).all()
    for number, listed in open_drafts:
        clash = seen.intersection(listed)
        if clash:
            raise InvalidInput(
                f"container {sorted(clash)[0]} is already on draft manifest {number}", field="containers"
            )
    return containers


def _lines(containers: Iterable[Container]) -> list[dict[str, Any]]:
    return [{"code": c.code, "waste_code": c.waste_code, "weight_kg": g_to_kg(c.weight_g)} for c in containers]


async def issue_manifest_number(uow: UnitOfWork, division: str, on: date) -> str:
    """The next 14-digit number for the generator's city and year (collision-free, see ledger.sequences)."""
    province, city = manifest_city_digits(division)
    scope = ManifestNumber(on.year, province, city, 1).sequence_scope
    serial = await next_in_sequence(uow.session, f"manifest:{scope}")
    if serial > MANIFEST_SERIAL_MAX:
        raise SequenceExhausted(
            f"all {MANIFEST_SERIAL_MAX} manifest numbers of {scope[:4]} for city {province}{city} are used",
            field="generator",
        )
    return str(ManifestNumber(on.year, province, city, serial))


# --- use cases ----------------------------------------------------------------------------------------------


async def create_shipment(uow: UnitOfWork, command: CreateShipment, actor: Actor) -> ShipmentPublic:
    """Start a manifest (draft) with a fresh number; the generator or the named transporter may do it."""
    async with uow:
        row = await _create(uow, command, actor)
        return await _committed(uow, row)


async def _create(uow: UnitOfWork, command: CreateShipment, actor: Actor) -> Shipment:
    generator = await _organisation(uow, command.generator, "generator", "generator")
    transporter = await _organisation(uow, command.transporter, "transporter", "transporter")
    if not (actor.is_privileged or actor.org in (generator.uscc, transporter.uscc)):
        raise Forbidden("only the generator or the named transporter may start a manifest", field="generator")
    receiver = await _organisation(uow, command.receiver, "receiver", "plant", "generator")
    if receiver.kind == "generator" and (receiver.uscc != generator.uscc or command.previous_shipment is None):
        raise InvalidInput(
            "only refused containers go back to their own generator, on a manifest that references"
            " the one they were refused on",
            field="receiver",
        )
    if command.previous_shipment is not None:
        await load_shipment(uow, command.previous_shipment, field="previous_shipment")
    containers = await _containers_for(
        uow, generator.uscc, command.containers, previous_shipment=command.previous_shipment
    )
    _check_licensed(await _plant_licence(uow, receiver.uscc), receiver, {c.waste_code for c in containers}, "receiver")
    number = await issue_manifest_number(uow, generator.division, local_date(uow, uow.now()))
    origin = uow.catalogue.province_of(generator.division)
    destination = uow.catalogue.province_of(receiver.division)
    payload: dict[str, Any] = {
        "generator": generator.uscc,
        "transporter": transporter.uscc,
        "receiver": receiver.uscc,
        "origin_division": generator.division,
        "destination_division": receiver.division,
        "cross_province": origin != destination,
        "trip_id": command.trip_id,
        "previous_shipment": command.previous_shipment,
        "containers": _lines(containers),
        **{name: getattr(command, name) for name in sorted(CORRECTABLE)},
    }
    return await _record(uow, None, number, "shipment.created", payload, actor=actor)


async def plan_collection_round(
    uow: UnitOfWork,
    transporter: str,
    receiver: str,
    generators: list[str],
    actor: Actor,
    *,
    vehicle_plate: str = "",
    driver: str = "",
) -> list[ShipmentPublic]:
    """A medical-waste truck's round: one vehicle trip, one manifest per generator (art.16), one trip id."""
    async with uow:
        if not generators or len(set(generators)) != len(generators):
            raise InvalidInput("a round visits one or more distinct generators", field="generators")
        carrier = await _organisation(uow, transporter, "transporter", "transporter")
        require_party(actor, carrier.uscc, what="plan its collection rounds", field="transporter")
        day = local_date(uow, uow.now())
        serial = await next_in_sequence(uow.session, f"trip:{carrier.uscc}:{day:%Y%m%d}")
        trip_id = f"{carrier.uscc}-{day:%Y%m%d}-{serial:03d}"
        rows = [
            await _create(
                uow,
                CreateShipment(
                    generator=g,
                    transporter=carrier.uscc,
                    receiver=receiver,
                    vehicle_plate=vehicle_plate,
                    driver=driver,
                    trip_id=trip_id,
                ),
                actor,
            )
            for g in generators
        ]
        views = [ShipmentPublic.from_row(r, uow.settings.timezone) for r in rows]
        await uow.commit()
        return views


async def add_containers(uow: UnitOfWork, number: str, codes: list[str], actor: Actor) -> ShipmentPublic:
    """Put containers on a draft manifest (before the generator signs)."""
    async with uow:
        result = await add_containers_in(uow, number, codes, actor)
        await uow.commit()
        return ShipmentPublic.from_row(result, uow.settings.timezone)


async def add_containers_in(uow: UnitOfWork, number: str, codes: list[str], actor: Actor) -> Shipment:
    """``add_containers`` inside the caller's unit of work."""
    row = await load_shipment(uow, number, actor=actor)
    check_shipment_step(row.number, T(row.status), "shipment.containers_added")
    _check_unlocked(row, ["containers"], actor)
    if not codes:
        raise InvalidInput("name at least one container", field="containers")
    containers = await _containers_for(uow, row.generator_uscc, codes, previous_shipment=row.previous_shipment)
    already = set(row.container_codes).intersection(c.code for c in containers)
    if already:
        raise InvalidInput(f"container {sorted(already)[0]} is already on this manifest", field="containers")
    receiver = await _organisation(uow, row.receiver_uscc, "receiver", "plant", "generator")
    _check_licensed(
        await _plant_licence(uow, receiver.uscc), receiver, {c.waste_code for c in containers}, "containers"
    )
    return await _record(
        uow, row, row.number, "shipment.containers_added", {"containers": _lines(containers)}, actor=actor
    )


async def remove_containers(uow: UnitOfWork, number: str, codes: list[str], actor: Actor) -> ShipmentPublic:
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.containers_removed")
        _check_unlocked(row, ["containers"], actor)
        missing = sorted(set(codes) - set(row.container_codes))
        if missing or not codes:
            raise InvalidInput(
                f"container {missing[0] if missing else '(none)'} is not on this manifest", field="containers"
            )
        removed = [await load_container(uow, code) for code in codes]
        remaining = [await load_container(uow, c) for c in row.container_codes if c not in set(codes)]
        row = await _record(
            uow,
            row,
            row.number,
            "shipment.containers_removed",
            {
                "containers": _lines(removed),
                "waste_codes": sorted({c.waste_code for c in remaining}),
            },
            actor=actor,
        )
        return await _committed(uow, row)


async def amend_shipment(uow: UnitOfWork, number: str, command: AmendShipment, actor: Actor) -> ShipmentPublic:
    """Fill or change fields that no signature has locked yet."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.amended")
        fields = command.model_dump(exclude_none=True)
        if not fields:
            raise InvalidInput("an amendment changes at least one field", field="emergency_measures")
        _check_unlocked(row, fields, actor)
        payload: dict[str, Any] = {"fields": fields}
        if "receiver" in fields:
            receiver = await _organisation(uow, fields["receiver"], "receiver", "plant")
            _check_licensed(await _plant_licence(uow, receiver.uscc), receiver, row.waste_codes, "receiver")
            payload["destination_division"] = receiver.division
            payload["cross_province"] = uow.catalogue.province_of(row.origin_division) != uow.catalogue.province_of(
                receiver.division
            )
        row = await _record(uow, row, row.number, "shipment.amended", payload, actor=actor)
        return await _committed(uow, row)


async def sign_as_generator(uow: UnitOfWork, number: str, actor: Actor) -> ShipmentPublic:
    """The generator's signature: locks receiver, transporter, containers and emergency measures."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.signed_by_generator")
        _require(row, actor, Party.GENERATOR, "sign as generator")
        if "generator" in row.signatures:
            raise IllegalTransition(
                f"shipment {row.number}", "signed by its generator", "sign as generator again", field="shipment"
            )
        if not row.container_codes:
            raise InvalidInput("a manifest needs at least one container before the generator signs", field="containers")
        row = await _record(
            uow,
            row,
            row.number,
            "shipment.signed_by_generator",
            {"declared_kg": g_to_kg(row.declared_g), "waste_codes": row.waste_codes},
            actor=actor,
        )
        return await _committed(uow, row)


async def cancel_shipment(uow: UnitOfWork, number: str, reason: str, actor: Actor) -> ShipmentPublic:
    """Abandon a draft (nothing has moved yet); its number stays used."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.cancelled")
        _require(row, actor, Party.GENERATOR, "cancel it")
        row = await _record(uow, row, row.number, "shipment.cancelled", {"reason": reason}, actor=actor)
        return await _committed(uow, row)


async def dispatch(uow: UnitOfWork, number: str, command: Dispatch, actor: Actor) -> ShipmentPublic:
    """The transporter signs at pickup: cross-province quotas are consumed, containers become collected."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.dispatched")
        _require(row, actor, Party.TRANSPORTER, "dispatch it")
        if "generator" not in row.signatures:
            raise IllegalTransition(
                f"shipment {row.number}", "not signed by its generator", "dispatch", field="shipment"
            )
        fields = command.model_dump(exclude_none=True, exclude={"signed_at"})
        _check_unlocked(row, fields, actor)
        merged = {
            name: fields.get(name, getattr(row, name))
            for name in ("vehicle_plate", "transport_licence", "driver", "route_start", "route_end")
        }
        for name in ("vehicle_plate", "transport_licence", "driver"):
            if not str(merged[name]).strip():
                raise InvalidInput(f"the transporter fills {name} before dispatch", field=name)
        if not re.match(_PLATE, str(merged["vehicle_plate"]).upper()):
            raise InvalidInput(f"{merged['vehicle_plate']!r} is not a vehicle plate", field="vehicle_plate")
        signed_at = _signed_at(uow, command.signed_at)
        containers = [await load_container(uow, code) for code in row.container_codes]
        receiver = await _organisation(uow, row.receiver_uscc, "receiver", "plant", "generator")
        _check_licensed(await _plant_licence(uow, receiver.uscc), receiver, row.waste_codes, "receiver")
        basis: list[dict[str, Any]] = []
        if row.cross_province:
            needs: dict[str, int] = defaultdict(int)
            for container in containers:
                needs[container.waste_code] += container.weight_g
            basis = await consume(
                uow,
                shipment=row.number,
                origin=uow.catalogue.province_of(row.origin_division),
                destination=uow.catalogue.province_of(row.destination_division),
                receiver=row.receiver_uscc,
                generator=row.generator_uscc,
                needs_g=dict(needs),
                on=local_date(uow, signed_at),
                actor=actor,
            )
        for container in containers:
            await record(
                uow,
                container,
                container.code,
                "container.collected",
                {
                    "shipment": row.number,
                    "transporter": row.transporter_uscc,
                    "plant": row.receiver_uscc,
                    "vehicle_plate": merged["vehicle_plate"],
                },
                actor=actor,
                occurred_at=signed_at,
            )
        row = await _record(
            uow,
            row,
            row.number,
            "shipment.dispatched",
            {"fields": merged, "transfer_basis": basis},
            actor=actor,
            occurred_at=signed_at,
        )
        return await _committed(uow, row)


def _signed_at(uow: UnitOfWork, moment: datetime | None) -> datetime:
    return check_occurred_at(uow, moment, field="signed_at")


async def deliver(
    uow: UnitOfWork, number: str, actor: Actor, *, delivered_at: datetime | None = None
) -> ShipmentPublic:
    """The transporter signs the hand-over at the receiver's gate."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.delivered")
        _require(row, actor, Party.TRANSPORTER, "sign its delivery")
        row = await _record(
            uow, row, row.number, "shipment.delivered", {}, actor=actor, occurred_at=_signed_at(uow, delivered_at)
        )
        return await _committed(uow, row)


async def _arrived(uow: UnitOfWork, number: str, code: str, actor: Actor) -> tuple[Shipment, Container]:
    row = await load_shipment(uow, number, actor=actor)
    check_arrival(row, actor)
    container = await load_container(uow, code)
    check_on_manifest(row, container, listed=container.code in row.container_codes)
    return row, container


# The rules of the steps at the plant's gate, apart from their reads and writes: the unit-of-work services
# below and the PostgreSQL scan path (ledger.scans_pg) both apply them, in the same order.


def check_arrival(row: Shipment, actor: Actor) -> None:
    """A container of ``row`` may be scanned at receipt: the manifest is on its way and ``actor`` receives it."""
    if T(row.status) not in (T.DISPATCHED, T.DELIVERED):
        raise IllegalTransition(
            f"shipment {row.number}", row.status, "scan its containers at receipt", field="shipment"
        )
    _require(row, actor, Party.RECEIVER, "receive its containers")


def check_on_manifest(row: Shipment, container: Container, *, listed: bool) -> None:
    """``listed``: the manifest's container list holds the container's code."""
    if not listed or container.shipment_number != row.number:
        raise InvalidInput(f"container {container.code} is not on shipment {row.number}", field="code")


def receipt_facts(
    row: Shipment,
    container: Container,
    receiver: Organisation | None,
    plant: Plant | None,
    weight_kg: Decimal,
    tolerance: Decimal,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``container.received`` payload and the answer's details, after checking who receives and its licence."""
    if receiver is None or receiver.kind not in ("plant", "generator"):
        raise InvalidInput(f"{row.receiver_uscc} is not a registered plant or generator", field="receiver")
    if receiver.kind == "generator":
        raise InvalidInput("a return is signed by the generator without weighing; sign the receipt", field="code")
    _check_licensed(plant, receiver, [container.waste_code], "code")
    received_g = kg_to_g(weight_kg)
    deviation = (Decimal(received_g - container.weight_g) / Decimal(container.weight_g)).quantize(Decimal("0.0001"))
    discrepancy = abs(deviation) > tolerance
    payload = {
        "shipment": row.number,
        "plant": row.receiver_uscc,
        "weight_kg": weight_kg,
        "declared_kg": g_to_kg(container.weight_g),
        "deviation": deviation,
        "discrepancy": discrepancy,
    }
    detail = {
        "weight_kg": str(weight_kg),
        "declared_kg": str(g_to_kg(container.weight_g)),
        "discrepancy": discrepancy,
        "deviation": str(deviation),
    }
    return payload, detail


def refusal_facts(row: Shipment, reason: str, weight_kg: Decimal | None) -> dict[str, Any]:
    """The ``container.refused`` payload: custody goes back to the transporter."""
    return {
        "shipment": row.number,
        "plant": row.receiver_uscc,
        "transporter": row.transporter_uscc,
        "reason": reason,
        "weight_kg": weight_kg,
    }


def disposal_facts(
    container: Container,
    actor: Actor,
    method_code: str,
    line: str,
    plant: Plant | None,
    catalogue: Catalogue,
    *,
    field: str,
) -> dict[str, Any]:
    """The ``container.disposed`` payload, after checking custody and the plant's licence for method and waste.
    ``plant``: the organisation holding the container, if it is a plant."""
    if not (actor.is_privileged or container.custodian_uscc == actor.org):
        raise NotFound(f"container {container.code} is not in your custody", field=field)
    waste = catalogue.waste_type(container.waste_code)
    method = catalogue.method(method_code, waste=waste)
    if plant is None or method.code not in plant.licensed_methods:
        raise NotLicensed(f"plant {container.custodian_uscc} is not licensed for method {method.code}", field="method")
    if container.waste_code not in plant.licensed_waste_codes:
        raise NotLicensed(f"plant {plant.uscc} is not licensed for {container.waste_code}", field=field)
    return {
        "plant": container.custodian_uscc,
        "method": method.code,
        "line": line,
        "shipment": container.shipment_number,
    }


async def receive_container(uow: UnitOfWork, command: ReceiveContainer, actor: Actor) -> dict[str, Any]:
    """The plant scans and weighs a container; a weight off by more than the tolerance is a discrepancy."""
    async with uow:
        result = await receive_container_in(uow, command, actor)
        await uow.commit()
        return result


async def receive_container_in(uow: UnitOfWork, command: ReceiveContainer, actor: Actor) -> dict[str, Any]:
    row, container = await _arrived(uow, command.shipment, command.code, actor)
    receiver = await uow.session.get(Organisation, row.receiver_uscc)
    plant = await _plant_licence(uow, row.receiver_uscc)
    payload, detail = receipt_facts(row, container, receiver, plant, command.weight_kg, uow.settings.weight_tolerance)
    scanned_at = check_scan_time(uow, command.scanned_at)
    await record(uow, container, container.code, "container.received", payload, actor=actor, occurred_at=scanned_at)
    return {"code": container.code, "status": container.status, **detail}


def check_scan_time(uow: UnitOfWork, moment: datetime | None) -> datetime:
    return check_occurred_at(uow, moment, field="scanned_at")


async def refuse_container(uow: UnitOfWork, command: RefuseContainer, actor: Actor) -> dict[str, Any]:
    """The plant refuses a container at receipt, with a reason; custody goes back to the transporter."""
    async with uow:
        result = await refuse_container_in(uow, command, actor)
        await uow.commit()
        return result


async def refuse_container_in(uow: UnitOfWork, command: RefuseContainer, actor: Actor) -> dict[str, Any]:
    """``refuse_container`` inside the caller's unit of work."""
    row, container = await _arrived(uow, command.shipment, command.code, actor)
    await record(
        uow,
        container,
        container.code,
        "container.refused",
        refusal_facts(row, command.reason, command.weight_kg),
        actor=actor,
        occurred_at=check_scan_time(uow, command.scanned_at),
    )
    return {"code": container.code, "status": container.status, "reason": command.reason}


async def sign_receipt(uow: UnitOfWork, number: str, command: SignReceipt, actor: Actor) -> ShipmentPublic:
    """The receiver's signature: accepted, partially refused or refused, with weights and discrepancies."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.received")
        _require(row, actor, Party.RECEIVER, "sign its receipt")
        receiver = await _organisation(uow, row.receiver_uscc, "receiver", "plant", "generator")
        signed_at = _signed_at(uow, command.signed_at)
        containers = [await load_container(uow, code) for code in row.container_codes]
        if receiver.kind == "generator":
            for container in containers:
                await record(
                    uow,
                    container,
                    container.code,
                    "container.returned",
                    {"shipment": row.number},
                    actor=actor,
                    occurred_at=signed_at,
                )
        pending = [c.code for c in containers if c.status == ContainerStatus.COLLECTED]
        if pending:
            raise InvalidInput(
                f"{len(pending)} container(s) not yet received or refused, e.g. {pending[0]}: scan each first",
                field="containers",
            )
        history = {c.code: await uow.events.read(c.code) for c in containers}
        items = [_receipt_item(c, history[c.code], row.number) for c in containers]
        accepted = [i for i in items if i["outcome"] == "accepted"]
        decision = (
            Decision.ACCEPTED
            if len(accepted) == len(items)
            else Decision.REFUSED
            if not accepted
            else Decision.PARTIALLY_REFUSED
        )
        accepted_by_code: dict[str, int] = defaultdict(int)
        for item in accepted:
            accepted_by_code[item["waste_code"]] += kg_to_g(item["received_kg"] or item["declared_kg"])
        basis = row.transfer_basis
        if row.cross_province and basis:
            basis = await reconcile(
                uow, shipment=row.number, basis=basis, received_g=dict(accepted_by_code), actor=actor
            )
        confirm_by = add_working_days(local_date(uow, row.delivered_at or signed_at), CONFIRMATION_WORKING_DAYS)
        payload = {
            "decision": decision,
            "items": items,
            "accepted_kg": g_to_kg(sum(accepted_by_code.values())),
            "refused": [i["code"] for i in items if i["outcome"] == "refused"],
            "discrepancies": [i["code"] for i in items if i["discrepancy"]],
            "late": local_date(uow, signed_at) > confirm_by,
            "note": command.note,
            "transfer_basis": basis,
        }
        row = await _record(uow, row, row.number, "shipment.received", payload, actor=actor, occurred_at=signed_at)
        await _close_if_done(uow, row, actor)
        return await _committed(uow, row)


def _receipt_item(container: Container, history: list[RecordedEvent], number: str) -> dict[str, Any]:
    last = next(e for e in reversed(history) if e.payload.get("shipment") == number)
    received = next(
        (e for e in reversed(history) if e.type == "container.received" and e.payload.get("shipment") == number), None
    )
    refused = last.type == "container.refused"
    return {
        "code": container.code,
        "waste_code": container.waste_code,
        "declared_kg": str(g_to_kg(container.weight_g)),
        "received_kg": None if received is None else received.payload["weight_kg"],
        "outcome": "refused" if refused else "accepted",
        "reason": last.payload.get("reason") if refused else None,
        "discrepancy": bool(received is not None and received.payload.get("discrepancy")),
    }


async def _close_if_done(uow: UnitOfWork, row: Shipment, actor: Actor) -> Shipment:
    """A received manifest closes when every accepted container is disposed (or none was accepted)."""
    if T(row.status) != T.RECEIVED:
        return row
    accepted = [i["code"] for i in row.receipt.get("items", []) if i["outcome"] == "accepted"]
    receiver = await uow.session.get(Organisation, row.receiver_uscc)
    if receiver is not None and receiver.kind == "plant":
        statuses = [(await load_container(uow, code)).status for code in accepted]
        if any(status != ContainerStatus.DISPOSED for status in statuses):
            return row
    return await _record(
        uow,
        row,
        row.number,
        "shipment.closed",
        {"containers_disposed": len(accepted)},
        actor=actor if actor.org == row.receiver_uscc else SYSTEM,
    )


async def dispose_containers(uow: UnitOfWork, command: DisposeContainers, actor: Actor) -> list[str]:
    """The plant records disposal of received containers; manifests whose last container this was close."""
    async with uow:
        result = await dispose_containers_in(uow, command, actor)
        await uow.commit()
        return result


async def dispose_containers_in(uow: UnitOfWork, command: DisposeContainers, actor: Actor) -> list[str]:
    """``dispose_containers`` inside the caller's unit of work."""
    disposed_at = _signed_at(uow, command.disposed_at)
    touched: set[str] = set()
    if len(set(command.codes)) != len(command.codes):
        raise InvalidInput("a container is listed twice", field="codes")
    for index, code in enumerate(command.codes):
        container = await dispose_container_in(
            uow, code, command.method, command.line, disposed_at, actor, field=f"codes[{index}]"
        )
        if container.shipment_number:
            touched.add(container.shipment_number)
    for number in sorted(touched):
        await close_if_done(uow, number, actor)
    return list(command.codes)


async def dispose_container_in(
    uow: UnitOfWork, code: str, method: str, line: str, disposed_at: datetime, actor: Actor, *, field: str
) -> Container:
    """One container disposed of; the caller closes its manifest if this was the last (:func:`close_if_done`)."""
    container = await load_container(uow, code, field=field)
    plant = await uow.session.get(Plant, container.custodian_uscc)
    payload = disposal_facts(container, actor, method, line, plant, uow.catalogue, field=field)
    await record(uow, container, container.code, "container.disposed", payload, actor=actor, occurred_at=disposed_at)
    return container


async def close_if_done(uow: UnitOfWork, number: str, actor: Actor) -> Shipment:
    """Close manifest ``number`` if its last accepted container is disposed of."""
    return await _close_if_done(uow, await load_shipment(uow, number), actor)


# Closing inline misses a race: two disposals of a manifest's last two containers, each in its own transaction,
# each read the other container as still 'received' (neither sees the other's uncommitted write), so neither
# closes the manifest; a receipt signed while its last container is being disposed misses the same way. The
# sweep below closes what they missed, from the committed state. Disposal is final, so it never closes too early.


async def finished_shipments(uow: UnitOfWork, *, limit: int = 500) -> list[str]:
    """Received manifests none of whose containers is still 'received' (oldest dispatch first): the candidates
    of :func:`close_finished_shipments`. After the receipt an accepted container is either 'received' or
    'disposed', so this narrows to the manifests :func:`_close_if_done` closes; that function still decides."""
    pending = select(col(Container.code)).where(
        col(Container.shipment_number) == col(Shipment.number),
        col(Container.status) == ContainerStatus.RECEIVED,
    )
    query = (
        select(col(Shipment.number))
        .where(col(Shipment.status) == T.RECEIVED, ~pending.exists())
        .order_by(col(Shipment.dispatched_at), col(Shipment.number))
        .limit(limit)
    )
    async with uow:
        return list((await uow.session.execute(query)).scalars())


async def close_shipment_if_finished(uow: UnitOfWork, number: str) -> bool:
    """Close manifest ``number`` for the ledger (actor SYSTEM) if it is received and every accepted container
    is disposed; whether it closed it."""
    async with uow:
        row = await load_shipment(uow, number)
        if T(row.status) != T.RECEIVED:
            return False
        row = await _close_if_done(uow, row, SYSTEM)
        if T(row.status) != T.CLOSED:
            return False
        await uow.commit()
        return True


async def close_finished_shipments(db: Database, *, limit: int = 500) -> list[str]:
    """Close received manifests whose accepted containers are all disposed (the periodic sweep); the numbers
    it closed. One transaction per manifest: a manifest closed meanwhile by its last disposal is a conflict
    here, and is skipped without holding up the others."""
    closed = []
    for number in await finished_shipments(db.uow(), limit=limit):
        try:
            if await close_shipment_if_finished(db.uow(), number):
                closed.append(number)
        except Conflict:
            continue
    return closed


async def propose_correction(uow: UnitOfWork, number: str, command: ProposeCorrection, actor: Actor) -> ShipmentPublic:
    """A party proposes to correct signed fields; it applies when every other signed party approves."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.correction_proposed")
        parties = _party_of(row, actor)
        if not parties and not actor.is_privileged:
            # A regulator sees the manifest (load_shipment checked) but is not one of its parties.
            raise Forbidden(f"only the parties of shipment {row.number} propose corrections", field="shipment")
        unknown = sorted(set(command.fields) - CORRECTABLE)
        if unknown:
            raise InvalidInput(
                f"{unknown[0]} cannot be corrected (correctable: {', '.join(sorted(CORRECTABLE))})",
                field=f"fields.{unknown[0]}",
            )
        previous = {name: getattr(row, name) for name in command.fields}
        row = await _record(
            uow,
            row,
            row.number,
            "shipment.correction_proposed",
            {
                "index": len(row.corrections),
                "fields": command.fields,
                "previous": previous,
                "reason": command.reason,
                "by": sorted(parties),
                "needs": sorted(_signed_parties(row) - parties),
            },
            actor=actor,
        )
        return await _committed(uow, row)


def _signed_parties(row: Shipment) -> set[Party]:
    signed = {Party.GENERATOR}
    if "transporter" in row.signatures:
        signed.add(Party.TRANSPORTER)
    if "receiver" in row.signatures:
        signed.add(Party.RECEIVER)
    return signed


async def approve_correction(uow: UnitOfWork, number: str, index: int, actor: Actor) -> ShipmentPublic:
    """One of the other parties approves a proposed correction; the last approval applies it."""
    async with uow:
        row = await load_shipment(uow, number, actor=actor)
        check_shipment_step(row.number, T(row.status), "shipment.correction_approved")
        if not 0 <= index < len(row.corrections):
            raise NotFound(f"shipment {row.number} has no correction {index}", field="index")
        correction = row.corrections[index]
        if correction["applied"]:
            raise IllegalTransition(f"correction {index} of {row.number}", "applied", "approve", field="index")
        approved = {p for a in correction["approvals"] for p in a.get("parties", [])}
        waiting = set(correction["needs"]) - approved
        mine = _party_of(row, actor) & waiting
        if not mine:
            raise Forbidden(f"correction {index} waits for {', '.join(sorted(waiting))}", field="index")
        applies = not (waiting - mine)
        row = await _record(
            uow,
            row,
            row.number,
            "shipment.correction_approved",
            {"index": index, "parties": sorted(mine), "applies": applies},
            actor=actor,
        )
        return await _committed(uow, row)


async def get_shipment(uow: UnitOfWork, number: str, actor: Actor | None = None) -> ShipmentDetail:
    """A manifest with its containers, weights, signatures, discrepancies and content hash (``actor``: only
    one it may see)."""
    async with uow.read_only():
        row = await load_shipment(uow, number, actor=actor)
        return await shipment_detail(uow, row)


async def shipment_detail(uow: UnitOfWork, row: Shipment) -> ShipmentDetail:
    items = {i["code"]: i for i in row.receipt.get("items", [])}
    containers = []
    for code in row.container_codes:
        container = await load_container(uow, code)
        item = items.get(code, {})
        received_kg = item.get("received_kg")
        if received_kg is None and container.shipment_number == row.number and container.received_weight_g:
            received_kg = str(g_to_kg(container.received_weight_g))
        containers.append(
            ShipmentContainer(
                code=code,
                waste_code=container.waste_code,
                form=container.form,
                declared_kg=g_to_kg(container.weight_g),
                received_kg=None if received_kg is None else Decimal(received_kg),
                status=container.status,
                outcome=item.get("outcome"),
                reason=item.get("reason"),
                discrepancy=bool(item.get("discrepancy")),
                method=container.method if container.shipment_number == row.number else None,
            )
        )
    view = ShipmentPublic.from_row(row, uow.settings.timezone)
    return ShipmentDetail(shipment=view, containers=containers, content_hash=manifest_content_hash(view, containers))


def manifest_content_hash(view: ShipmentPublic, containers: list[ShipmentContainer]) -> str:
    """What a printed manifest says: parties, vehicle, declared lines, signatures, receipt and corrections.

    Containers' live status is left out on purpose: disposal after printing does not make the paper wrong,
    while a signature, a receipt or a correction after printing does.
    """
    content = view.model_dump(mode="json", exclude={"status", "closed_at", "version", "confirm_by"})
    content["containers"] = [
        {
            "code": c.code,
            "waste_code": c.waste_code,
            "declared_kg": str(c.declared_kg),
            "received_kg": None if c.received_kg is None else str(c.received_kg),
            "outcome": c.outcome,
        }
        for c in containers
    ]
    return mapping_digest(content)
