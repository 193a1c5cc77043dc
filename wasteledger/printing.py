"""Printing: ledger records mapped onto labels/ read models, rendered to PDF. Used by the routes and the CLI."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Literal

from labels import (
    ContainerLabel,
    ContainerRow,
    Decision,
    ManifestDocument,
    Party,
    ReceiverDecision,
    Signature,
    Transport,
    WasteLine,
    render_label_sheet,
    render_manifest,
)
from ledger.actors import Actor
from ledger.labelling import LabelRecord, ManifestRecord, PartyRecord, label_records, manifest_record, mark_labelled
from ledger.unit_of_work import Database

Sheet = Literal["a4", "thermal"]


def to_label(record: LabelRecord) -> ContainerLabel:
    return ContainerLabel(**record.model_dump())


def _party(record: PartyRecord) -> Party:
    return Party(name=record.name, uscc=record.uscc, address=record.address, contact=record.contact, phone=record.phone)


def to_manifest(record: ManifestRecord, printed_at: datetime) -> ManifestDocument:
    """The manifest as labels/ prints it: lines per waste code, containers, signatures, decision, basis."""
    shipment = record.detail.shipment
    declared: dict[str, Decimal] = defaultdict(Decimal)
    received: dict[str, Decimal] = defaultdict(Decimal)
    weighed: set[str] = set()
    for container in record.detail.containers:
        declared[container.waste_code] += container.declared_kg
        if container.received_kg is not None and container.outcome != "refused":
            received[container.waste_code] += container.received_kg
            weighed.add(container.waste_code)
    lines = tuple(
        WasteLine(
            waste_code=code,
            name=record.waste_names[code],
            category=record.waste_categories[code],
            hazard=record.waste_hazards[code],
            form=record.waste_forms[code],
            declared_kg=declared[code],
            received_kg=received[code] if code in weighed else None,
            emergency_measures=shipment.emergency_measures,
        )
        for code in sorted(declared)
    )

    def signature(party: str) -> Signature | None:
        signed = shipment.signatures.get(party)
        if signed is None:
            return None
        return Signature(
            signer=signed.get("user") or "",
            organisation=record.signers[party],
            signed_at=datetime.fromisoformat(signed["at"]),
        )

    receipt = shipment.receipt
    methods = sorted({c.method for c in record.detail.containers if c.method})
    decision = None
    if receipt:
        decision = ReceiverDecision(
            decision=Decision(receipt["decision"]),
            method_code=", ".join(methods),
            accepted_kg=Decimal(receipt["accepted_kg"]),
            discrepancies=tuple(receipt.get("discrepancies", [])),
        )
    basis = shipment.transfer_basis
    return ManifestDocument(
        number=shipment.number,
        generator=_party(record.generator),
        transporter=_party(record.transporter),
        receiver=_party(record.receiver),
        transport=Transport(
            vehicle_plate=shipment.vehicle_plate,
            transport_licence=shipment.transport_licence,
            driver=shipment.driver,
            route_start=shipment.route_start,
            route_end=shipment.route_end,
        ),
        waste_lines=lines,
        containers=tuple(
            ContainerRow(
                code=c.code,
                waste_code=c.waste_code,
                declared_kg=c.declared_kg,
                received_kg=c.received_kg,
                status=c.status,
            )
            for c in record.detail.containers
        ),
        generator_signature=signature("generator"),
        transporter_signature=signature("transporter"),
        receiver_signature=signature("receiver"),
        decision=decision,
        whitelist_entry=", ".join(sorted({b["id"] for b in basis if b["kind"] == "white_list"})) or None,
        approval_number=", ".join(sorted({b["id"] for b in basis if b["kind"] == "approval"})) or None,
        content_hash=record.detail.content_hash,
        printed_at=printed_at,
        remarks=receipt.get("note", "") if receipt else "",
    )


async def label_sheet_pdf(
    db: Database, codes: list[str], actor: Actor, *, sheet: Sheet = "a4", fields: list[str] | None = None
) -> bytes:
    """A PDF of labels for ``codes`` (in that order); the containers are recorded as labelled.

    ``fields`` names each code's request field in errors (``codes[i]`` by default).
    """
    records = await label_records(db.uow(), codes, actor, fields=fields)
    pdf = render_label_sheet([to_label(r) for r in records], db.settings.public_base_url, sheet=sheet)
    await mark_labelled(db.uow(), [r.code for r in records], actor, sheet=sheet)
    return pdf


async def label_pdf(db: Database, code: str, actor: Actor, *, sheet: Sheet = "thermal") -> bytes:
    """One container's label; an error names the field ``code``, as the single-label request calls it."""
    return await label_sheet_pdf(db, [code], actor, sheet=sheet, fields=["code"])


async def manifest_pdf(db: Database, number: str, actor: Actor) -> bytes:
    """The manifest's PDF with its QR ``<base>/m/<number>?h=<content hash>``."""
    record = await manifest_record(db.uow(), number, actor)
    return render_manifest(to_manifest(record, db.clock()), db.settings.public_base_url, tz=db.settings.timezone)
