"""What labels and manifests print, gathered from the ledger: plain records for labels/ to render.

Printing a label is itself recorded (``container.labelled``), so a generator can ask for the containers it has
not labelled yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import SQLModel, col

from ledger.actors import Actor, Role
from ledger.containers import load_container, record
from ledger.errors import InvalidInput, NotFound
from ledger.lifecycle import ContainerStatus
from ledger.scope import can_see_container
from ledger.shipments import ShipmentDetail, load_shipment, shipment_detail
from ledger.tables import Container, Organisation, Shipment
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_kg

MAX_SHEET = 1000
_FORM_ZH = {"solid": "固态", "semi-solid": "半固态", "liquid": "液态", "gas": "气态"}
#: What the hazard characteristics mean for a handler: printed as main hazardous components and precautions.
_HAZARD_TEXT = {
    "In": ("病原微生物 pathogens", "密封转运，防止破损泄漏；接触后洗手消毒 Keep sealed; disinfect after contact"),
    "T": ("有毒物质 toxic substances", "避免接触和吸入，佩戴防护用品 Avoid contact; wear protection"),
    "C": ("腐蚀性物质 corrosives", "防止泄漏，远离金属和皮肤 Prevent leaks; keep off skin and metal"),
    "I": ("易燃物质 ignitables", "远离火源，防止静电 Keep away from fire and sparks"),
    "R": ("反应性物质 reactives", "避免混合、受热和撞击 Do not mix, heat or knock"),
}


class LabelRecord(SQLModel):
    """Everything a container's label shows."""

    code: str
    waste_code: str
    waste_name_zh: str
    waste_name_en: str
    category: str
    category_name_zh: str
    form: str
    hazard: str
    main_components: str
    hazardous_components: str
    precautions: str
    generator_name: str
    generator_contact: str
    generator_phone: str
    packed_on: date
    weight_kg: Decimal
    volume_l: Decimal
    medical: bool


class PartyRecord(SQLModel):
    uscc: str
    name: str
    address: str
    contact: str
    phone: str


class ManifestRecord(SQLModel):
    """A manifest with its parties' particulars and its waste names, as printed."""

    detail: ShipmentDetail
    generator: PartyRecord
    transporter: PartyRecord
    receiver: PartyRecord
    waste_names: dict[str, str]
    waste_hazards: dict[str, str]
    waste_categories: dict[str, str]
    waste_forms: dict[str, str]
    """waste code → the physical forms of its containers on this manifest, one per line, as printed."""
    signers: dict[str, str]
    """party → the signing organisation's name."""


def form_text(form: str) -> str:
    """A physical form as printed, Chinese then English: "固态 solid"."""
    return f"{_FORM_ZH.get(form, form)} {form}"


def forms_text(forms: Iterable[str]) -> str:
    """Several containers' forms for one waste line: each once, in the order solid → gas, one per line."""
    order = list(_FORM_ZH)
    distinct = sorted(set(forms), key=lambda f: (order.index(f) if f in order else len(order), f))
    return "\n".join(form_text(f) for f in distinct)


def _hazard_text(hazard: str) -> tuple[str, str]:
    letters = [part for part in hazard.replace("/", ",").split(",") if part]
    found = [_HAZARD_TEXT[h] for h in letters if h in _HAZARD_TEXT]
    return "；".join(f[0] for f in found), "；".join(f[1] for f in found)


async def _party(uow: UnitOfWork, uscc: str) -> PartyRecord:
    org = await uow.session.get(Organisation, uscc)
    if org is None:
        raise NotFound(f"organisation {uscc} is not in the ledger", field="uscc")
    return PartyRecord(uscc=org.uscc, name=org.name_zh, address=org.address, contact=org.contact, phone=org.phone)


async def label_records(
    uow: UnitOfWork, codes: list[str], actor: Actor, *, fields: Sequence[str] | None = None
) -> list[LabelRecord]:
    """The label contents of ``codes``, in the order given (registration order for a sheet).

    ``fields`` names, for errors, the request field each code came from: ``codes[i]`` unless given (one
    container's label names its own ``code``).
    """
    if not codes or len(codes) > MAX_SHEET:
        raise InvalidInput(f"a sheet holds 1 to {MAX_SHEET} labels", field="codes")
    if fields is not None and len(fields) != len(codes):
        raise ValueError(f"{len(fields)} field names for {len(codes)} codes")
    names = list(fields) if fields is not None else [f"codes[{index}]" for index in range(len(codes))]
    async with uow.read_only():
        records = []
        for code, field in zip(codes, names, strict=True):
            row = await load_container(uow, code, field=field)
            # A carrier also sees what it carried on its own manifests (as in every other read of a container).
            carrier = None
            if actor.role == Role.TRANSPORTER and row.shipment_number is not None:
                shipment = await uow.session.get(Shipment, row.shipment_number)
                carrier = None if shipment is None else shipment.transporter_uscc
            if not can_see_container(actor, row, uow.catalogue, shipment_transporter=carrier):
                raise NotFound(f"container {row.code} is not in the ledger", field=field)
            if row.status == ContainerStatus.VOIDED:
                raise InvalidInput(f"container {row.code} is voided: its label must not be printed", field=field)
            waste = uow.catalogue.waste_type(row.waste_code)
            generator = await _party(uow, row.generator_uscc)
            components, precautions = _hazard_text(waste.hazard)
            records.append(
                LabelRecord(
                    code=row.code,
                    waste_code=row.waste_code,
                    waste_name_zh=waste.name_zh,
                    waste_name_en=waste.name_en,
                    category=row.category,
                    category_name_zh=uow.catalogue.categories[row.category].name_zh,
                    form=form_text(row.form),
                    hazard=waste.hazard,
                    main_components=waste.name_zh,
                    hazardous_components=components,
                    precautions=precautions,
                    generator_name=generator.name,
                    generator_contact=generator.contact,
                    generator_phone=generator.phone,
                    packed_on=row.packed_on,
                    weight_kg=g_to_kg(row.weight_g),
                    volume_l=Decimal(row.volume_ml) / 1000,
                    medical=row.medical,
                )
            )
        return records


async def unlabelled_containers(uow: UnitOfWork, generator: str) -> list[str]:
    """A generator's registered containers that have no label printed yet, in registration order."""
    async with uow.read_only():
        rows = await uow.session.execute(
            select(col(Container.code))
            .where(
                col(Container.generator_uscc) == generator,
                col(Container.labelled).is_(False),
                col(Container.status) == ContainerStatus.REGISTERED,
            )
            .order_by(col(Container.registered_at), col(Container.code))
        )
        return list(rows.scalars())


async def mark_labelled(uow: UnitOfWork, codes: list[str], actor: Actor, *, sheet: str) -> int:
    """Record that labels were printed (once per container: reprints are not events)."""
    async with uow:
        marked = 0
        for code in codes:
            row = await load_container(uow, code)
            if row.labelled or row.status in (ContainerStatus.VOIDED, ContainerStatus.DISPOSED):
                continue
            await record(uow, row, row.code, "container.labelled", {"sheet": sheet}, actor=actor, occurred_at=uow.now())
            marked += 1
        await uow.commit()
        return marked


async def manifest_record(uow: UnitOfWork, number: str, actor: Actor) -> ManifestRecord:
    """A manifest as printed: its detail, the three parties' particulars and the waste names."""
    async with uow.read_only():
        row = await load_shipment(uow, number, actor=actor)
        detail = await shipment_detail(uow, row)
        codes = sorted({c.waste_code for c in detail.containers} | set(detail.shipment.waste_codes))
        types = {code: uow.catalogue.waste_type(code) for code in codes}
        signers = {}
        for party, signature in detail.shipment.signatures.items():
            org = None if signature.get("org") is None else await uow.session.get(Organisation, signature["org"])
            signers[party] = org.name_zh if org is not None else "系统 system"
        return ManifestRecord(
            detail=detail,
            generator=await _party(uow, row.generator_uscc),
            transporter=await _party(uow, row.transporter_uscc),
            receiver=await _party(uow, row.receiver_uscc),
            waste_names={c: t.name_zh for c, t in types.items()},
            waste_hazards={c: t.hazard for c, t in types.items()},
            waste_categories={c: t.category for c, t in types.items()},
            waste_forms={c: forms_text(k.form for k in detail.containers if k.waste_code == c) for c in codes},
            signers=signers,
        )
