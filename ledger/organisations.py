"""Organisations: the parties of the ledger (generators, transporters, plants, regulators).

Name, kind, division and USCC are public (they are in the national credit register anyway); address, contact
and phone are shown to the organisation itself, to the regulators overseeing it and to administrators.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from ledger.accounts import require_admin
from ledger.actors import Actor
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.identifiers import validate_uscc
from ledger.plants import record_plant_registered
from ledger.queries import DEFAULT_PAGE, NEXT_CURSOR, decode_cursor, encode_cursor, page_limit
from ledger.scope import can_see_organisation_details
from ledger.tables import Organisation, Plant
from ledger.text import Line
from ledger.unit_of_work import UnitOfWork


class OrganisationKind(StrEnum):
    GENERATOR = "generator"
    """产生单位: hospital, clinic, factory."""
    TRANSPORTER = "transporter"
    """承运人."""
    PLANT = "plant"
    """处置单位: a licensed disposal or recovery plant."""
    REGULATOR = "regulator"
    """生态环境局: the city's or a district's bureau."""


class ContactDetails(SQLModel):
    address: str
    contact: str
    phone: str


class OrganisationPublic(SQLModel):
    uscc: str
    name_zh: str
    name_en: str
    kind: str
    division: str
    demo: bool
    details: ContactDetails | None = Field(
        default=None, description="address, contact and phone: only for the organisation, its regulators, admins"
    )

    @classmethod
    def from_row(cls, org: Organisation, *, with_details: bool) -> OrganisationPublic:
        return cls(
            uscc=org.uscc,
            name_zh=org.name_zh,
            name_en=org.name_en,
            kind=org.kind,
            division=org.division,
            demo=org.demo,
            details=ContactDetails(address=org.address, contact=org.contact, phone=org.phone) if with_details else None,
        )


class OrganisationPage(SQLModel):
    items: list[OrganisationPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class PlantLicence(SQLModel):
    """A plant's licence: capacity, waste codes and methods it may take."""

    rated_capacity_t_per_day: Decimal = Field(gt=0, le=100000, max_digits=9, decimal_places=3)
    emergency: bool = False
    active: bool = True
    medical: bool = False
    licensed_waste_codes: list[str] = Field(min_length=1, max_length=600)
    licensed_methods: list[str] = Field(min_length=1, max_length=40)


class OrganisationCreate(SQLModel):
    uscc: str = Field(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100)")
    name_zh: Line = Field(min_length=2, max_length=200)
    name_en: Line = Field(default="", max_length=200)
    kind: OrganisationKind
    division: str = Field(min_length=6, max_length=6, description="GB/T 2260 code or development-zone key")
    address: Line = Field(default="", max_length=300)
    contact: Line = Field(default="", max_length=100)
    phone: Line = Field(default="", max_length=50)
    plant: PlantLicence | None = Field(default=None, description="required for plants, refused for others")


async def list_organisations(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: OrganisationKind | None = None,
    division: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> OrganisationPage:
    """Organisations in USCC order; contact details only where the actor may see them."""
    size = page_limit(limit)
    query = select(Organisation)
    if kind is not None:
        query = query.where(col(Organisation.kind) == kind.value)
    if division is not None:
        query = query.where(col(Organisation.division) == uow.catalogue.division(division).code)
    if cursor is not None:
        [after] = decode_cursor(cursor, 1)
        query = query.where(col(Organisation.uscc) > after)
    async with uow.read_only():
        rows = list((await uow.session.execute(query.order_by(col(Organisation.uscc)).limit(size + 1))).scalars())
        items = [
            OrganisationPublic.from_row(org, with_details=can_see_organisation_details(actor, org, uow.catalogue))
            for org in rows[:size]
        ]
    return OrganisationPage(items=items, next_cursor=encode_cursor(items[-1].uscc) if len(rows) > size else None)


async def get_organisation(uow: UnitOfWork, uscc: str, actor: Actor) -> OrganisationPublic:
    async with uow.read_only():
        code = validate_uscc(uscc, field="uscc")
        org = await uow.session.get(Organisation, code)
        if org is None:
            raise NotFound(f"organisation {code} is not registered", field="uscc")
        return OrganisationPublic.from_row(org, with_details=can_see_organisation_details(actor, org, uow.catalogue))


async def create_organisation(uow: UnitOfWork, command: OrganisationCreate, actor: Actor) -> OrganisationPublic:
    """Register an organisation (administrators only); a plant's licence becomes the first event of its stream."""
    async with uow:
        require_admin(actor, what="register organisations")
        uscc = validate_uscc(command.uscc, field="uscc")
        division = uow.catalogue.division(command.division, field="division").code
        if command.kind == OrganisationKind.PLANT and command.plant is None:
            raise InvalidInput("a plant needs its licence: capacity, waste codes and methods", field="plant")
        if command.kind != OrganisationKind.PLANT and command.plant is not None:
            raise InvalidInput(f"only plants have a licence, not a {command.kind}", field="plant")
        if await uow.session.get(Organisation, uscc) is not None:
            raise Conflict(f"organisation {uscc} is already registered", field="uscc")
        org = Organisation(
            uscc=uscc,
            name_zh=command.name_zh.strip(),
            name_en=command.name_en.strip(),
            kind=command.kind.value,
            division=division,
            address=command.address,
            contact=command.contact,
            phone=command.phone,
            demo=False,
        )
        uow.session.add(org)
        if command.plant is not None:
            await record_plant_registered(uow, _licensed_plant(uow, uscc, command.plant), actor)
        view = OrganisationPublic.from_row(org, with_details=True)
        await uow.commit()
        return view


def _licensed_plant(uow: UnitOfWork, uscc: str, licence: PlantLicence) -> Plant:
    field = "plant.licensed_waste_codes"
    codes = sorted({uow.catalogue.waste_type(code, field=field).code for code in licence.licensed_waste_codes})
    methods: set[str] = set()
    for text in licence.licensed_methods:
        method = uow.catalogue.methods.get(text.strip().upper())
        if method is None:
            raise InvalidInput(f"unknown method code {text!r}", field="plant.licensed_methods")
        methods.add(method.code)
    medical = any(uow.catalogue.waste_type(code).medical for code in codes)
    if licence.medical and not medical:
        raise InvalidInput("a medical-waste plant must be licensed for HW01 codes", field="plant.medical")
    return Plant(
        uscc=uscc,
        # At most 3 decimals (the model says so), hence whole kilograms.
        rated_capacity_kg_per_day=int(licence.rated_capacity_t_per_day * 1000),
        emergency=licence.emergency,
        active=licence.active,
        medical=licence.medical,
        licensed_waste_codes=codes,
        licensed_methods=sorted(methods),
    )
