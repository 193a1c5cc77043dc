"""Read models the ledger maps its records onto; labels/ renders nothing else.

Plain frozen dataclasses: no ORM, no validation beyond what would make a printed document wrong or unreadable.
Weights are Decimal kilograms, timestamps timezone-aware (the ledger keeps UTC; renderers print local time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from labels.codes import check_code


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _require_weight(name: str, value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value < 0):
        raise ValueError(f"{name} must be a finite non-negative weight in kg, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerLabel:
    """Everything printed on one container's label (HJ 1276-2022; HJ 421 style when `medical`)."""

    code: str  # the 37-character item code (数字识别码)
    waste_code: str  # "841-001-01"
    waste_name_zh: str
    waste_name_en: str
    category: str  # "HW01"
    category_name_zh: str  # "医疗废物"
    form: str  # physical form as the ledger names it, e.g. "固态 solid"
    hazard: str  # hazard characteristics, e.g. "In", "T,C", "T/C/I/R"
    main_components: str
    hazardous_components: str
    precautions: str
    generator_name: str
    generator_contact: str
    generator_phone: str
    packed_on: date
    weight_kg: Decimal
    volume_l: Decimal  # container volume: decides the label size
    medical: bool
    remarks: str = ""

    def __post_init__(self) -> None:
        check_code(self.code)
        _require_weight("weight_kg", self.weight_kg)
        if not self.volume_l.is_finite() or self.volume_l <= 0:
            raise ValueError(f"volume_l must be a positive number of litres, got {self.volume_l}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """A manifest party (generator 移出人, transporter 承运人 or receiver 接受人)."""

    name: str
    uscc: str  # 统一社会信用代码
    address: str
    contact: str
    phone: str
    licence_no: str = ""  # receiver's 危险废物经营许可证 or transporter's 道路运输经营许可证


@dataclass(frozen=True, slots=True, kw_only=True)
class Transport:
    """What the transporter fills in: vehicle, licence, driver, route."""

    vehicle_plate: str
    transport_licence: str
    driver: str
    route_start: str
    route_end: str
    driver_phone: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WasteLine:
    """One waste type on the manifest, as declared by the generator and weighed by the receiver."""

    waste_code: str
    name: str
    category: str
    hazard: str
    form: str
    declared_kg: Decimal
    received_kg: Decimal | None
    emergency_measures: str
    packaging: str = ""

    def __post_init__(self) -> None:
        _require_weight("declared_kg", self.declared_kg)
        _require_weight("received_kg", self.received_kg)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerRow:
    """One container on the manifest; `received_kg` is None until the plant weighs it."""

    code: str
    waste_code: str
    declared_kg: Decimal
    received_kg: Decimal | None
    status: str  # the ledger's state name: registered, collected, received, refused, disposed, voided

    def __post_init__(self) -> None:
        _require_weight("declared_kg", self.declared_kg)
        _require_weight("received_kg", self.received_kg)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """A party's signature as recorded: `signed_at` None means not signed yet."""

    signer: str
    organisation: str
    signed_at: datetime | None

    def __post_init__(self) -> None:
        _require_aware("signed_at", self.signed_at)


class Decision(StrEnum):
    """The receiver's decision on the consignment."""

    ACCEPTED = "accepted"
    PARTIALLY_REFUSED = "partially_refused"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiverDecision:
    """What the receiver fills in: decision, disposal method code, accepted quantity, discrepancies found."""

    decision: Decision
    method_code: str  # e.g. "Y10", "D10"
    accepted_kg: Decimal
    discrepancies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_weight("accepted_kg", self.accepted_kg)


@dataclass(frozen=True, slots=True)
class ManifestTotals:
    """Sums printed under the tables, derived from the rows so they cannot disagree with them."""

    containers: int
    containers_received: int
    declared_kg: Decimal
    received_kg: Decimal
    lines_declared_kg: Decimal
    lines_received_kg: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestDocument:
    """A transfer manifest (转移联单) as the ledger holds it at printing time."""

    number: str  # 14 digits
    generator: Party
    transporter: Party
    receiver: Party
    transport: Transport
    waste_lines: tuple[WasteLine, ...]
    containers: tuple[ContainerRow, ...]
    generator_signature: Signature | None = None
    transporter_signature: Signature | None = None
    receiver_signature: Signature | None = None
    decision: ReceiverDecision | None = None
    whitelist_entry: str | None = None  # 川渝 white-list entry id the transfer used
    approval_number: str | None = None  # cross-province approval number, when not on the white list
    content_hash: str  # hex digest the ledger computed over the manifest's content; printed and put in the QR
    printed_at: datetime
    remarks: str = ""
    totals: ManifestTotals = field(init=False)

    def __post_init__(self) -> None:
        if len(self.number) != 14 or not self.number.isdigit():
            raise ValueError(f"manifest number must be 14 digits, got {self.number!r}")
        _require_aware("printed_at", self.printed_at)
        received = [row.received_kg for row in self.containers if row.received_kg is not None]
        line_received = [line.received_kg for line in self.waste_lines if line.received_kg is not None]
        totals = ManifestTotals(
            containers=len(self.containers),
            containers_received=len(received),
            declared_kg=sum((row.declared_kg for row in self.containers), Decimal(0)),
            received_kg=sum(received, Decimal(0)),
            lines_declared_kg=sum((line.declared_kg for line in self.waste_lines), Decimal(0)),
            lines_received_kg=sum(line_received, Decimal(0)) if line_received else None,
        )
        object.__setattr__(self, "totals", totals)
