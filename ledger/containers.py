"""Use cases of a single container: register, void, correct, read with history."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime
from sqlmodel import Field, SQLModel

from ledger.actors import Actor, Role
from ledger.errors import Forbidden, InvalidInput, NotFound, SequenceExhausted
from ledger.identifiers import (
    CONTAINER_SEQUENCE_MAX,
    ContainerCode,
    parse_container_code,
    parse_waste_code,
    validate_uscc,
)
from ledger.lifecycle import ContainerStatus, check_step, evolve
from ledger.scope import regulator_covers
from ledger.sequences import next_in_sequence
from ledger.store import NewEvent, RecordedEvent
from ledger.tables import Container, Organisation
from ledger.text import Prose
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_kg

#: How far a client's clock may run ahead of ours before we call its time a mistake.
CLOCK_SKEW = timedelta(minutes=10)
#: How far back a container may be registered (paper records entered late, DOMAIN.md §5: 10 working days).
LATE_ENTRY = timedelta(days=14)


class Packaging(StrEnum):
    BAG = "bag"
    """Light-yellow medical waste bag (HJ 421)."""
    SHARPS_BOX = "sharps_box"
    BOX = "box"
    DRUM = "drum"
    IBC = "ibc"
    BULK_BAG = "bulk_bag"
    PALLET = "pallet"
    OTHER = "other"


class Form(StrEnum):
    SOLID = "solid"
    SEMI_SOLID = "semi-solid"
    LIQUID = "liquid"
    GAS = "gas"


class RegisterContainer(SQLModel):
    """A generator packs, weighs and labels one container."""

    generator: str = Field(min_length=18, max_length=18, description="USCC of the generating unit")
    waste_code: str = Field(min_length=8, max_length=10, description="名录 code, e.g. 841-001-01")
    weight_kg: Decimal = Field(gt=0, le=50000, max_digits=11, decimal_places=3)
    packaging: Packaging
    volume_l: Decimal = Field(gt=0, le=5000, max_digits=7, decimal_places=1)
    form: Form | None = Field(default=None, description="physical form; defaults to the catalogue's")
    description: Prose = Field(default="", max_length=200)
    packed_at: AwareDatetime | None = Field(default=None, description="when it was packed; defaults to now")


class VoidContainer(SQLModel):
    code: str = Field(min_length=37, max_length=37)
    reason: Prose = Field(min_length=3, max_length=300)


class CorrectContainer(SQLModel):
    """A correction of a recorded fact, recorded as a new event with its reason."""

    code: str = Field(min_length=37, max_length=37)
    reason: Prose = Field(min_length=3, max_length=300)
    weight_kg: Decimal | None = Field(default=None, gt=0, le=50000, max_digits=11, decimal_places=3)
    packaging: Packaging | None = None
    volume_l: Decimal | None = Field(default=None, gt=0, le=5000, max_digits=7, decimal_places=1)


class ContainerPublic(SQLModel):
    """A container's current state as the API and the labels see it."""

    code: str
    generator: str
    division: str
    waste_code: str
    category: str
    medical: bool
    status: ContainerStatus
    custodian: str
    weight_kg: Decimal
    received_weight_kg: Decimal | None
    packaging: str
    volume_l: Decimal
    form: str
    packed_on: str
    registered_at: datetime
    collected_at: datetime | None
    received_at: datetime | None
    disposed_at: datetime | None
    voided_at: datetime | None
    shipment_number: str | None
    plant: str | None
    method: str | None
    labelled: bool
    version: int

    @classmethod
    def from_row(cls, row: Container) -> ContainerPublic:
        return cls(
            code=row.code,
            generator=row.generator_uscc,
            division=row.division,
            waste_code=row.waste_code,
            category=row.category,
            medical=row.medical,
            status=ContainerStatus(row.status),
            custodian=row.custodian_uscc,
            weight_kg=g_to_kg(row.weight_g),
            received_weight_kg=None if row.received_weight_g is None else g_to_kg(row.received_weight_g),
            packaging=row.packaging,
            volume_l=Decimal(row.volume_ml) / 1000,
            form=row.form,
            packed_on=row.packed_on.isoformat(),
            registered_at=row.registered_at,
            collected_at=row.collected_at,
            received_at=row.received_at,
            disposed_at=row.disposed_at,
            voided_at=row.voided_at,
            shipment_number=row.shipment_number,
            plant=row.plant_uscc,
            method=row.method,
            labelled=row.labelled,
            version=row.version,
        )


class EventPublic(SQLModel):
    """One event of a stream, with the hashes that chain it."""

    seq: int
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor_org: str | None
    actor_user: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def from_event(cls, event: RecordedEvent) -> EventPublic:
        return cls(
            seq=event.seq,
            version=event.version,
            type=event.type,
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            actor_org=event.actor_org,
            actor_user=event.actor_user,
            payload=event.payload,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


class ContainerDetail(SQLModel):
    container: ContainerPublic
    history: list[EventPublic]


# --- helpers shared by the container use cases -------------------------------------------------------------


async def load_container(uow: UnitOfWork, code: str, *, field: str = "code") -> Container:
    """The container's projection row, or :class:`NotFound` (also for a well-formed code never issued)."""
    parsed = parse_container_code(code, field=field)
    row = await uow.session.get(Container, str(parsed))
    if row is None:
        raise NotFound(f"container {parsed} is not in the ledger", field=field)
    return row


async def record(
    uow: UnitOfWork,
    row: Container | None,
    code: str,
    event_type: str,
    payload: dict[str, Any],
    *,
    actor: Actor,
    occurred_at: datetime,
) -> tuple[Container, RecordedEvent]:
    """Append one container event after checking the step, and fold it into the projection row."""
    check_step(code, None if row is None else ContainerStatus(row.status), event_type)
    expected = 0 if row is None else row.version
    [event] = await uow.events.append(
        code, expected, [NewEvent(event_type, payload, occurred_at)], actor=actor, recorded_at=uow.now()
    )
    updated = evolve(row, event)
    if row is None:
        uow.session.add(updated)
    return updated, event


def check_occurred_at(uow: UnitOfWork, moment: datetime | None, *, field: str) -> datetime:
    """A client's time for an event: defaults to now, never in the future, not older than late entry allows."""
    return occurred_at_or_now(uow.now(), moment, field=field)


def occurred_at_or_now(now: datetime, moment: datetime | None, *, field: str) -> datetime:
    """:func:`check_occurred_at` against a given ledger time."""
    if moment is None:
        return now
    if moment > now + CLOCK_SKEW:
        raise InvalidInput(
            f"{field} {moment.isoformat()} is in the future (ledger time {now.isoformat()})", field=field
        )
    if moment < now - LATE_ENTRY:
        raise InvalidInput(
            f"{field} {moment.isoformat()} is more than {LATE_ENTRY.days} days ago: late paper records go through"
            " a regulator's correction",
            field=field,
        )
    return moment


def require_party(actor: Actor, org: str, *, what: str, field: str) -> None:
    """Only the named party (or an admin acting for it) may take this step."""
    if actor.is_privileged or actor.org == org:
        return
    raise Forbidden(f"only {org} may {what}; you act for {actor.org or 'no organisation'}", field=field)


# --- use cases ----------------------------------------------------------------------------------------------


async def register_container(uow: UnitOfWork, command: RegisterContainer, actor: Actor) -> ContainerPublic:
    """Issue a container code for a packed container and record its registration."""
    async with uow:
        generator_uscc = validate_uscc(command.generator, field="generator")
        require_party(actor, generator_uscc, what="register its containers", field="generator")
        generator = await uow.session.get(Organisation, generator_uscc)
        if generator is None or generator.kind != "generator":
            raise InvalidInput(f"{generator_uscc} is not a registered generating unit", field="generator")
        waste = uow.catalogue.waste_type(command.waste_code)
        packed_at = check_occurred_at(uow, command.packed_at, field="packed_at")
        packed_on = packed_at.astimezone(uow.settings.timezone).date()
        scope = ContainerCode(generator_uscc, parse_waste_code(waste.code), packed_on, 1).sequence_scope
        sequence = await next_in_sequence(uow.session, scope)
        if sequence > CONTAINER_SEQUENCE_MAX:
            raise SequenceExhausted(
                f"{generator.name_zh} ({generator_uscc}) has already registered {CONTAINER_SEQUENCE_MAX} containers"
                f" of {waste.code} packed on {packed_on}: the code's {len(str(CONTAINER_SEQUENCE_MAX))}-digit"
                " sequence allows no more that day. Consolidate the waste into fewer containers, or pack the rest"
                " under the next day's date.",
                field="waste_code",
            )
        code = str(ContainerCode(generator_uscc, parse_waste_code(waste.code), packed_on, sequence))
        form = command.form or Form(waste.form or "solid")
        payload = {
            "generator": generator_uscc,
            "division": generator.division,
            "waste_code": waste.code,
            "category": waste.category,
            "medical": waste.medical,
            "weight_kg": command.weight_kg,
            "packaging": command.packaging,
            "volume_ml": int(command.volume_l * 1000),
            "form": form,
            "packed_on": packed_on.isoformat(),
            "description": command.description,
        }
        row, _ = await record(uow, None, code, "container.registered", payload, actor=actor, occurred_at=packed_at)
        view = ContainerPublic.from_row(row)
        await uow.commit()
        return view


async def void_container(uow: UnitOfWork, command: VoidContainer, actor: Actor) -> ContainerPublic:
    """Void a container whose label was misprinted or that was never used (only before collection)."""
    async with uow:
        row = await load_container(uow, command.code)
        require_party(actor, row.generator_uscc, what="void its containers", field="code")
        await record(
            uow,
            row,
            row.code,
            "container.voided",
            {"reason": command.reason},
            actor=actor,
            occurred_at=uow.now(),
        )
        view = ContainerPublic.from_row(row)
        await uow.commit()
        return view


async def correct_container(uow: UnitOfWork, command: CorrectContainer, actor: Actor) -> ContainerPublic:
    """Record a correction of the generator's declared facts (a new event; the old one stays)."""
    async with uow:
        row = await load_container(uow, command.code)
        check_step(row.code, ContainerStatus(row.status), "container.corrected")
        if actor.role == Role.REGULATOR and not regulator_covers(actor, row.division, uow.catalogue):
            raise Forbidden(f"container {row.code} is outside your jurisdiction", field="code")
        if not (actor.is_privileged or actor.role == Role.REGULATOR):
            require_party(actor, row.generator_uscc, what="correct its containers", field="code")
            if row.status != ContainerStatus.REGISTERED:
                raise Forbidden(
                    f"container {row.code} is {row.status}: after collection only a regulator may correct it",
                    field="code",
                )
        fields: dict[str, Any] = {}
        if command.weight_kg is not None:
            fields["weight_kg"] = command.weight_kg
        if command.packaging is not None:
            fields["packaging"] = command.packaging
        if command.volume_l is not None:
            fields["volume_ml"] = int(command.volume_l * 1000)
        if not fields:
            raise InvalidInput(
                "a correction must change at least one of weight_kg, packaging, volume_l", field="weight_kg"
            )
        previous = {
            "weight_kg": g_to_kg(row.weight_g),
            "packaging": row.packaging,
            "volume_ml": row.volume_ml,
        }
        payload = {"fields": fields, "previous": {k: previous[k] for k in fields}, "reason": command.reason}
        await record(uow, row, row.code, "container.corrected", payload, actor=actor, occurred_at=uow.now())
        view = ContainerPublic.from_row(row)
        await uow.commit()
        return view


async def get_container(uow: UnitOfWork, code: str) -> ContainerDetail:
    """A container's current state and its whole history with hashes."""
    async with uow.read_only():
        row = await load_container(uow, code)
        history = await uow.events.read(row.code)
        return ContainerDetail(
            container=ContainerPublic.from_row(row), history=[EventPublic.from_event(e) for e in history]
        )
