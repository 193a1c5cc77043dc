"""Tables. The event log is the truth; every other table is reference data or a projection of the log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import BigId, UTCDateTime


class LedgerEvent(SQLModel, table=True):
    """One fact, appended once and never changed (the database refuses UPDATE and DELETE)."""

    __tablename__ = "ledger_event"
    __table_args__ = (
        UniqueConstraint("stream", "version", name="uq_ledger_event_stream_version"),
        Index("ix_ledger_event_type_seq", "type", "seq"),
    )

    seq: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    """Global order of recording; assigned by the database, may have gaps, never reused."""
    stream: str = Field(sa_column=Column(String(64), nullable=False))
    """What the event is about: a container code, or ``<kind>:<id>`` for other aggregates."""
    version: int = Field(nullable=False)
    """Position in the stream, 1-based; the previous event of the stream has version − 1."""
    type: str = Field(sa_column=Column(String(64), nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    """When it happened in the world (the scanner's clock)."""
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    """When the ledger recorded it (the ledger's clock)."""
    actor_org: str | None = Field(default=None, sa_column=Column(String(18)))
    """USCC of the organisation that acted; null for the system itself."""
    actor_user: str | None = Field(default=None, sa_column=Column(String(64)))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """Canonical JSON, hashed byte for byte."""
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


class LedgerCheckpoint(SQLModel, table=True):
    """A hash over every event recorded since the previous checkpoint, chained to it: makes the whole log
    verifiable (a deleted stream leaves no hole in its own chain, but it does in a checkpoint's)."""

    __tablename__ = "ledger_checkpoint"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    first_seq: int = Field(sa_column=Column(BigId, nullable=False))
    last_seq: int = Field(sa_column=Column(BigId, nullable=False))
    event_count: int = Field(nullable=False)
    events_digest: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))


class SequenceCounter(SQLModel, table=True):
    """The last number issued in a scope (container codes per unit+waste+day, manifests per city+year)."""

    __tablename__ = "sequence_counter"

    scope: str = Field(sa_column=Column(String(64), primary_key=True))
    value: int = Field(nullable=False)


class Organisation(SQLModel, table=True):
    """A party: generator (产生单位), transporter (承运人), plant (处置单位) or regulator (生态环境局)."""

    __tablename__ = "organisation"

    uscc: str = Field(sa_column=Column(String(18), primary_key=True))
    """统一社会信用代码 (GB 32100), checked on the way in."""
    name_zh: str = Field(sa_column=Column(String(200), nullable=False))
    name_en: str = Field(default="", sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    division: str = Field(sa_column=Column(String(6), nullable=False, index=True))
    """GB/T 2260 code (or development-zone key) of where it sits: decides which regulator oversees it."""
    address: str = Field(default="", sa_column=Column(String(300), nullable=False))
    contact: str = Field(default="", sa_column=Column(String(100), nullable=False))
    phone: str = Field(default="", sa_column=Column(String(50), nullable=False))
    demo: bool = Field(default=False)
    """Invented for the demo (never true in production data)."""


class Plant(SQLModel, table=True):
    """A disposal plant's licence and capacity (projection of its ``plant:<uscc>`` stream)."""

    __tablename__ = "plant"

    uscc: str = Field(sa_column=Column(String(18), primary_key=True))
    rated_capacity_kg_per_day: int = Field(nullable=False)
    """Rated daily capacity in kg (t/day × 1000), as licensed."""
    emergency: bool = Field(default=False)
    """A backup or emergency line, off until a regulator switches it on."""
    active: bool = Field(default=True)
    medical: bool = Field(default=False)
    """Counts towards the city's centralised medical-waste capacity."""
    licensed_waste_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    licensed_methods: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=0)


class Container(SQLModel, table=True):
    """Current state of one container: a projection of its event stream, updated in the same transaction."""

    __tablename__ = "container"
    __table_args__ = (
        Index("ix_container_status_registered", "status", "registered_at"),
        Index("ix_container_generator_status", "generator_uscc", "status"),
        Index("ix_container_division_status", "division", "status"),
    )

    code: str = Field(sa_column=Column(String(37), primary_key=True))
    """一物一码: the 37-character digital ID printed on the label."""
    generator_uscc: str = Field(sa_column=Column(String(18), nullable=False))
    division: str = Field(sa_column=Column(String(6), nullable=False))
    """The generator's division, copied here so jurisdiction filters need no join."""
    waste_code: str = Field(sa_column=Column(String(10), nullable=False))
    category: str = Field(sa_column=Column(String(4), nullable=False))
    medical: bool = Field(default=False)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    custodian_uscc: str = Field(sa_column=Column(String(18), nullable=False))
    """Who holds it now: generator, then transporter, then plant."""
    weight_g: int = Field(nullable=False)
    """Weight declared by the generator, in grams (exact sums; the API speaks Decimal kg)."""
    received_weight_g: int | None = Field(default=None)
    packaging: str = Field(sa_column=Column(String(16), nullable=False))
    volume_ml: int = Field(nullable=False)
    """Nominal container volume in millilitres (decides the label size)."""
    form: str = Field(default="solid", sa_column=Column(String(16), nullable=False))
    packed_on: date = Field(nullable=False)
    registered_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    collected_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    disposed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    voided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    shipment_number: str | None = Field(default=None, sa_column=Column(String(14), index=True))
    plant_uscc: str | None = Field(default=None, sa_column=Column(String(18), index=True))
    method: str | None = Field(default=None, sa_column=Column(String(4)))
    labelled: bool = Field(default=False)
    """A label has been printed for it."""
    version: int = Field(nullable=False)
    """Version of the last event folded in (the stream's length)."""


class User(SQLModel, table=True):
    """A person (or a device account, e.g. a plant's scanner) acting for one organisation in one role."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    display_name: str = Field(default="", sa_column=Column(String(100), nullable=False))
    org_uscc: str | None = Field(default=None, sa_column=Column(String(18), index=True))
    """The organisation the user acts for (null only for admins)."""
    role: str = Field(sa_column=Column(String(16), nullable=False))
    jurisdiction: str | None = Field(default=None, sa_column=Column(String(6)))
    """For regulators: the division they oversee (the city's code sees the whole city)."""
    email: str = Field(default="", sa_column=Column(String(200), nullable=False))
    phone: str = Field(default="", sa_column=Column(String(50), nullable=False))
    password_hash: str | None = Field(default=None, sa_column=Column(String(200)))
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored (tokens are long random secrets, so no slow hash is needed)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, nullable=False, index=True))
    token_sha256: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    label: str = Field(default="", sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class Shipment(SQLModel, table=True):
    """One transfer manifest (转移联单): one vehicle trip, one generator, one receiver. Projection of the
    ``shipment:<number>`` stream."""

    __tablename__ = "shipment"
    __table_args__ = (
        Index("ix_shipment_status_dispatched", "status", "dispatched_at"),
        Index("ix_shipment_receiver_status", "receiver_uscc", "status"),
        Index("ix_shipment_transporter_status", "transporter_uscc", "status"),
    )

    number: str = Field(sa_column=Column(String(14), primary_key=True))
    """14-digit manifest number: year, province, city, serial (部令第23号 art.15)."""
    trip_id: str | None = Field(default=None, sa_column=Column(String(40), index=True))
    """A collection round: one vehicle trip with one manifest per generator (art.16)."""
    previous_shipment: str | None = Field(default=None, sa_column=Column(String(14)))
    """For refused containers sent back or onward: the manifest they were refused on."""
    generator_uscc: str = Field(sa_column=Column(String(18), nullable=False, index=True))
    transporter_uscc: str = Field(sa_column=Column(String(18), nullable=False))
    receiver_uscc: str = Field(sa_column=Column(String(18), nullable=False))
    origin_division: str = Field(sa_column=Column(String(6), nullable=False))
    destination_division: str = Field(sa_column=Column(String(6), nullable=False))
    cross_province: bool = Field(default=False)
    vehicle_plate: str = Field(default="", sa_column=Column(String(16), nullable=False))
    transport_licence: str = Field(default="", sa_column=Column(String(40), nullable=False))
    driver: str = Field(default="", sa_column=Column(String(60), nullable=False))
    route_start: str = Field(default="", sa_column=Column(String(200), nullable=False))
    route_end: str = Field(default="", sa_column=Column(String(200), nullable=False))
    emergency_measures: str = Field(default="", sa_column=Column(String(500), nullable=False))
    container_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    waste_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    declared_g: int = Field(default=0)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    signatures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """party → {org, user, at}: generator, transporter, delivery, receiver."""
    transfer_basis: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """For cross-province shipments: the white-list entries or approvals consumed, per waste code."""
    receipt: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """The receiver's decision, per-container outcomes, weights and discrepancies."""
    corrections: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    version: int = Field(nullable=False)


class TransferQuota(SQLModel, table=True):
    """A white-list entry (白名单) or a transfer approval (跨省转移审批): what may cross a province border,
    to which receiver, how much, and how much is used. Projection of the ``quota:<id>`` stream."""

    __tablename__ = "transfer_quota"

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    """White-list entry id or approval number."""
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    """``white_list`` or ``approval``."""
    origin_province: str = Field(sa_column=Column(String(2), nullable=False))
    destination_province: str = Field(sa_column=Column(String(2), nullable=False))
    receiver_uscc: str = Field(sa_column=Column(String(18), nullable=False, index=True))
    generator_uscc: str | None = Field(default=None, sa_column=Column(String(18)))
    """Approvals name the generator; white-list entries cover any generator of the origin province."""
    waste_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(4)))
    """A white-list entry may list a whole HW category instead of codes."""
    method: str | None = Field(default=None, sa_column=Column(String(4)))
    quantity_g: int = Field(nullable=False)
    used_g: int = Field(default=0)
    valid_from: date = Field(nullable=False)
    valid_to: date = Field(nullable=False)
    """Inclusive, local dates."""
    revoked: bool = Field(default=False)
    version: int = Field(nullable=False)


class Scan(SQLModel, table=True):
    """A scanner's scan, by the scanner's own id: a scan sent twice is recorded once and answered alike."""

    __tablename__ = "scan"

    scan_id: str = Field(sa_column=Column(String(36), primary_key=True))
    actor_org: str | None = Field(default=None, sa_column=Column(String(18)))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    code: str = Field(sa_column=Column(String(37), nullable=False, index=True))
    request_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    """Hash of the scan as sent: the same id with other content is a client bug, refused."""
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

