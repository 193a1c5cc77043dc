"""Tables. The event log is the truth; every other table is reference data or a projection of the log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, String, Text, UniqueConstraint, text
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
        # Lists page newest first on (registered_at, code): without this order in an index, the first page of a
        # city-wide list sorts the whole history (measured: 14 ms at 25k containers, 376 ms at 2.5M).
        Index("ix_container_registered_code", "registered_at", "code"),
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
    """Argon2id hash of the browser login's password (null: no browser login, API tokens only)."""
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    failed_logins: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """Wrong passwords in a row since the last good login or lockout (ledger.logins locks at the limit)."""
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    """Browser logins are refused until then (too many wrong passwords)."""


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
        Index("ix_shipment_created_number", "created_at", "number"),
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


# --- monitoring: alerts, their delivery, job runs (issue 6) ---------------------------------------------------

#: The one spelling of "not finished yet" for containers, shared by the partial index below and every query
#: that should use it: PostgreSQL only picks a partial index when the query repeats its predicate, and literal
#: SQL (not bound parameters) keeps that true for prepared, generically planned statements too.
CONTAINER_OPEN_PREDICATE = "status NOT IN ('disposed', 'voided')"

_CONTAINER = Container.__table__  # type: ignore[attr-defined]

# The monitoring checks must cost what the *open* containers cost, not what the whole history costs: this
# index holds open containers only (disposed ones leave it), so its size follows the backlog.
Index(
    "ix_container_open",
    _CONTAINER.c.medical,
    _CONTAINER.c.status,
    _CONTAINER.c.registered_at,
    postgresql_where=text(CONTAINER_OPEN_PREDICATE),
    sqlite_where=text(CONTAINER_OPEN_PREDICATE),
)
# A day's receipts and disposals per plant (plant load) read one day of rows through these.
Index("ix_container_received_at", _CONTAINER.c.received_at)
Index("ix_container_disposed_at", _CONTAINER.c.disposed_at)
# "Which plant serves this generator": the receiver of its latest manifest, one index probe per generator.
Index(
    "ix_shipment_generator_created",
    Shipment.__table__.c.generator_uscc,  # type: ignore[attr-defined]
    Shipment.__table__.c.created_at,  # type: ignore[attr-defined]
)


class Alert(SQLModel, table=True):
    """A finding of a monitoring check, addressed to regulators and closed by them (销号). Projection of the
    ``alert:<id>`` stream."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_status_division", "status", "division"),
        Index("ix_alert_kind_status", "kind", "status"),
    )

    id: int = Field(sa_column=Column(BigId, primary_key=True, autoincrement=False))
    """Issued from the ``alert`` sequence (so the id is known before the first event is appended)."""
    dedupe_key: str = Field(sa_column=Column(String(120), nullable=False, index=True))
    """What the problem is about, e.g. ``plant_load:plant:<USCC>``: one standing problem, one alert."""
    open_key: str | None = Field(default=None, sa_column=Column(String(120), unique=True))
    """The dedupe key while the alert is not closed, null after: the database allows one open alert per problem."""
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    """open → acknowledged → assigned → closed."""
    active: bool = Field(default=True)
    """The latest check run still found the problem (false: cleared, waiting to be closed)."""
    subject_kind: str = Field(sa_column=Column(String(16), nullable=False))
    subject_id: str = Field(sa_column=Column(String(40), nullable=False))
    subject_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    division: str = Field(sa_column=Column(String(6), nullable=False))
    """Whose regulators it goes to: a district's officials get their district's alerts, the city's get all."""
    title: str = Field(sa_column=Column(String(300), nullable=False))
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    cleared_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    acknowledged_by: str | None = Field(default=None, sa_column=Column(String(64)))
    assigned_to: str | None = Field(default=None, sa_column=Column(String(64)))
    assigned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_by: str | None = Field(default=None, sa_column=Column(String(64)))
    close_note: str = Field(default="", sa_column=Column(String(500), nullable=False))
    version: int = Field(nullable=False)


class AlertSubscription(SQLModel, table=True):
    """Where alerts go besides the defaults: a user's own channels, or an endpoint (webhook) for a jurisdiction."""

    __tablename__ = "alert_subscription"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, index=True))
    """The user whose channel this is; null for an endpoint that is nobody's (a city platform's webhook)."""
    division: str | None = Field(default=None, sa_column=Column(String(6)))
    """For endpoints: the jurisdiction whose alerts it receives (null: every alert)."""
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    """``email``, ``sms`` or ``webhook``."""
    target: str = Field(sa_column=Column(String(500), nullable=False))
    """E-mail address, phone number or URL."""
    secret: str | None = Field(default=None, sa_column=Column(String(128)))
    """HMAC-SHA256 key of a webhook (the receiver checks the signature header with it)."""
    min_severity: str = Field(default="warning", sa_column=Column(String(16), nullable=False))
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """One notification to deliver, written in the same transaction as the alert change it announces, so a
    failed delivery never loses an alert; the delivery job sends it, retrying with exponential backoff."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    alert_id: int = Field(sa_column=Column(BigId, nullable=False, index=True))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    """The alert event announced, e.g. ``alert.opened``."""
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    target: str = Field(sa_column=Column(String(500), nullable=False))
    recipient: str | None = Field(default=None, sa_column=Column(String(64)))
    """Username of the person addressed (null for endpoints)."""
    subscription_id: int | None = Field(default=None, sa_column=Column(BigId))
    subject: str = Field(default="", sa_column=Column(String(300), nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    """The text of an e-mail or text message."""
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """The webhook's JSON body, byte for byte (what its signature covers)."""
    status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    """``pending``, ``sent`` or ``dead`` (gave up after the maximum attempts)."""
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    """A delivery worker holds the row until then; another worker leaves it alone meanwhile."""
    last_error: str = Field(default="", sa_column=Column(String(500), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class JobRun(SQLModel, table=True):
    """One run of a scheduled job. The unique (job, slot) key makes each scheduled run happen once even when
    several processes run the scheduler: the first to insert the row runs, the others skip."""

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "slot", name="uq_job_run_job_slot"),
        Index("ix_job_run_job_started", "job", "started_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    job: str = Field(sa_column=Column(String(40), nullable=False))
    slot: str = Field(sa_column=Column(String(64), nullable=False))
    """The scheduled time the run belongs to (ISO, UTC), or ``manual:<time>`` for a run asked for by hand."""
    trigger: str = Field(default="schedule", sa_column=Column(String(16), nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    outcome: str = Field(default="running", sa_column=Column(String(16), nullable=False))
    """``running``, ``ok`` or ``failed``."""
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    worker: str = Field(default="", sa_column=Column(String(100), nullable=False))
    """host:pid of the process that ran it."""


# --- browser logins (issue 7) ------------------------------------------------------------------------------


class LoginAttempt(SQLModel, table=True):
    """Every browser login attempt, good or bad: who tried which account from where, and what came of it."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    username: str = Field(sa_column=Column(String(64), nullable=False))
    """As typed (normalised to lower case, cut to 64 characters): unknown names are recorded too."""
    user_id: int | None = Field(default=None, sa_column=Column(BigId))
    client: str = Field(default="", sa_column=Column(String(64), nullable=False))
    """The client's address as the server saw it."""
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    """``ok``, ``wrong_password``, ``unknown_user``, ``no_password``, ``inactive``, ``locked`` (refused while
    locked) or ``lockout`` (the failure that locked the account)."""
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class WebSession(SQLModel, table=True):
    """A browser session: the cookie holds a random secret, the ledger only its SHA-256 (like API tokens)."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, nullable=False, index=True))
    token_sha256: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    client: str = Field(default="", sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    """Set at logout (or when the user is locked out): the cookie stops working at once."""
