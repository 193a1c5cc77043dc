"""Hand-made hostile inputs: each answered by a clear 4xx problem detail (RFC 9457, ``field`` where one input is at
fault), and nothing written.

Malformed and oversized QR text, bad USCC check characters, unknown waste codes, future and far-past dates,
negative and absurd weights, Unicode tricks (full-width and Arabic-Indic digits, zero-width spaces, bidi marks),
SQL-looking strings, bodies that are huge, nested thousands deep, not JSON, not UTF-8 or not an object.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.scan_data import PLANT_USER, Receivable, receivables
from ledger.tables import ApiToken, Container, LedgerEvent, Organisation, Scan, Shipment, User
from ledger.unit_of_work import Database
from tests.routes.conftest import Api, assert_problem
from tests.routes.world import CENTRAL_TRANSPORTER, TONGXING, YUZHONG_HOSPITAL

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ZWSP, RLO, RLM, RLI, CSI = "\u200b", "\u202e", "\u200f", "\u2067", "\x9b"
SQL = "' OR 1=1; DROP TABLE ledger_event; --"
HOSPITAL = "yuzhong.hospital"

Body = Callable[[Receivable], Any]


def scan(**fields: Any) -> Body:
    def body(item: Receivable) -> dict[str, Any]:
        base = {
            "scan_id": str(uuid.uuid4()),
            "text": item.code,
            "action": "receive",
            "shipment": item.shipment,
            "weight_kg": item.weight_kg,
            "scanned_at": "2026-12-04T02:00:00Z",
        }
        base.update({k: v(item) if callable(v) else v for k, v in fields.items()})
        return base

    return body


def bag(**fields: Any) -> Body:
    def body(_: Receivable) -> dict[str, Any]:
        return {
            "generator": YUZHONG_HOSPITAL,
            "waste_code": "841-001-01",
            "weight_kg": "1.500",
            "packaging": "bag",
            "volume_l": "10",
            **fields,
        }

    return body


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    user: str
    body: Body
    status: int
    type: str
    field: str | None


SCANS = "/api/v1/scans"
CONTAINERS = "/api/v1/containers"
CASES = [
    # What a scanner may read off a damaged, forged or foreign label.
    Case(
        "QR: URL with markup",
        SCANS,
        PLANT_USER,
        scan(text="https://evil/v/<script>alert(1)</script>"),
        422,
        "invalid-identifier",
        "text",
    ),
    Case("QR: NUL bytes", SCANS, PLANT_USER, scan(text="\x00" * 37), 422, "invalid-identifier", "text"),
    Case("QR: 600 characters", SCANS, PLANT_USER, scan(text="A" * 600), 400, "invalid-request", "text"),
    Case("QR: empty", SCANS, PLANT_USER, scan(text=""), 400, "invalid-request", "text"),
    Case(
        "QR: a manifest's code",
        SCANS,
        PLANT_USER,
        scan(text="https://x/m/20265001000001?h=ab"),
        422,
        "invalid-identifier",
        "text",
    ),
    Case(
        "QR: full-width digits",
        SCANS,
        PLANT_USER,
        scan(text=lambda i: i.code.translate(FULL_WIDTH)),
        422,
        "invalid-identifier",
        "text",
    ),
    Case(
        "QR: zero-width space inside",
        SCANS,
        PLANT_USER,
        scan(text=lambda i: i.code[:18] + ZWSP + i.code[18:]),
        422,
        "invalid-identifier",
        "text",
    ),
    Case(
        "QR: right-to-left override",
        SCANS,
        PLANT_USER,
        scan(text=lambda i: RLO + i.code),
        422,
        "invalid-identifier",
        "text",
    ),
    Case(
        "QR: trailing RTL mark", SCANS, PLANT_USER, scan(text=lambda i: i.code + RLM), 422, "invalid-identifier", "text"
    ),
    Case("QR: SQL", SCANS, PLANT_USER, scan(text=SQL), 422, "invalid-identifier", "text"),
    Case(
        "scan: full-width manifest number",
        SCANS,
        PLANT_USER,
        scan(shipment=lambda i: i.shipment.translate(FULL_WIDTH)),
        400,  # the body's schema: fourteen ASCII digits
        "invalid-request",
        "shipment",
    ),
    Case(
        "scan: Arabic-Indic manifest number",
        SCANS,
        PLANT_USER,
        scan(shipment=lambda i: i.shipment.translate(ARABIC_INDIC)),
        400,
        "invalid-request",
        "shipment",
    ),
    Case("scan: negative weight", SCANS, PLANT_USER, scan(weight_kg="-3"), 400, "invalid-request", "weight_kg"),
    Case("scan: zero weight", SCANS, PLANT_USER, scan(weight_kg="0"), 400, "invalid-request", "weight_kg"),
    Case("scan: 1e400 kg", SCANS, PLANT_USER, scan(weight_kg="1e400"), 400, "invalid-request", "weight_kg"),
    Case("scan: NaN kg", SCANS, PLANT_USER, scan(weight_kg="NaN"), 400, "invalid-request", "weight_kg"),
    Case("scan: Infinity kg", SCANS, PLANT_USER, scan(weight_kg="Infinity"), 400, "invalid-request", "weight_kg"),
    Case("scan: 60 t in a bag", SCANS, PLANT_USER, scan(weight_kg="60000"), 400, "invalid-request", "weight_kg"),
    Case("scan: sub-gram weight", SCANS, PLANT_USER, scan(weight_kg="1.0001"), 400, "invalid-request", "weight_kg"),
    Case(
        "scan: year 2100",
        SCANS,
        PLANT_USER,
        scan(scanned_at="2100-01-01T00:00:00Z"),
        422,
        "invalid-input",
        "scanned_at",
    ),
    Case(
        "scan: year 1900",
        SCANS,
        PLANT_USER,
        scan(scanned_at="1900-01-01T00:00:00Z"),
        422,
        "invalid-input",
        "scanned_at",
    ),
    Case(
        "scan: year 1, +14:00",
        SCANS,
        PLANT_USER,
        scan(scanned_at="0001-01-01T00:00:00+14:00"),
        422,
        "invalid-input",
        "scanned_at",
    ),
    Case(
        "scan: year 9999, -12:00",
        SCANS,
        PLANT_USER,
        scan(scanned_at="9999-12-31T23:59:59-12:00"),
        422,
        "invalid-input",
        "scanned_at",
    ),
    Case(
        "scan: time without zone",
        SCANS,
        PLANT_USER,
        scan(scanned_at="2026-12-04T10:00:00"),
        400,
        "invalid-request",
        "scanned_at",
    ),
    Case(
        "scan: SQL as scan id", SCANS, PLANT_USER, scan(scan_id="1; DROP TABLE scan"), 400, "invalid-request", "scan_id"
    ),
    Case("scan: unknown action", SCANS, PLANT_USER, scan(action="teleport"), 400, "invalid-request", "action"),
    Case("scan: receive without weight", SCANS, PLANT_USER, scan(weight_kg=None), 422, "invalid-input", "weight_kg"),
    Case(
        "batch: 1,001 scans",
        "/api/v1/scans/batch",
        PLANT_USER,
        lambda i: {"scans": [scan()(i) for _ in range(1001)]},
        400,
        "invalid-request",
        "scans",
    ),
    Case("batch: empty", "/api/v1/scans/batch", PLANT_USER, lambda i: {"scans": []}, 400, "invalid-request", "scans"),
    Case(
        "batch: one scan id twice",
        "/api/v1/scans/batch",
        PLANT_USER,
        lambda i: {"scans": [scan(scan_id="6f1c1a52-55b3-4d1e-9d7a-000000000001")(i)] * 2},
        422,
        "invalid-input",
        "scans",
    ),
    Case("body: an array", SCANS, PLANT_USER, lambda i: [scan()(i)], 400, "invalid-request", None),
    # Registering: identifiers, catalogue, weights, dates.
    Case(
        "USCC: wrong check character",
        CONTAINERS,
        HOSPITAL,
        bag(generator=YUZHONG_HOSPITAL[:-1] + "Y"),
        422,
        "invalid-identifier",
        "generator",
    ),
    Case(
        "USCC: letter O",
        CONTAINERS,
        HOSPITAL,
        bag(generator="12500103459578O17X"),
        422,
        "invalid-identifier",
        "generator",
    ),
    Case(
        "USCC: full-width digits",
        CONTAINERS,
        HOSPITAL,
        bag(generator=YUZHONG_HOSPITAL.translate(FULL_WIDTH)),
        422,
        "invalid-identifier",
        "generator",
    ),
    Case(
        "USCC: zero-width space",
        CONTAINERS,
        HOSPITAL,
        bag(generator=YUZHONG_HOSPITAL[:17] + ZWSP),
        422,
        "invalid-identifier",
        "generator",
    ),
    Case(
        "USCC: SQL", CONTAINERS, HOSPITAL, bag(generator="'; DROP TABLE x;--"), 422, "invalid-identifier", "generator"
    ),
    Case(
        "waste: unknown code",
        CONTAINERS,
        HOSPITAL,
        bag(waste_code="841-009-01"),
        422,
        "invalid-identifier",
        "waste_code",
    ),
    Case(
        "waste: HW42 (abolished)",
        CONTAINERS,
        HOSPITAL,
        bag(waste_code="900-000-42"),
        422,
        "invalid-identifier",
        "waste_code",
    ),
    Case(
        "waste: full-width",
        CONTAINERS,
        HOSPITAL,
        bag(waste_code="８４１-００１-０１"),
        422,
        "invalid-identifier",
        "waste_code",
    ),
    Case(
        "waste: zero-width space",
        CONTAINERS,
        HOSPITAL,
        bag(waste_code="841-001" + ZWSP + "-01"),
        400,
        "invalid-request",
        "waste_code",
    ),
    Case("weight: zero", CONTAINERS, HOSPITAL, bag(weight_kg="0"), 400, "invalid-request", "weight_kg"),
    Case("weight: negative", CONTAINERS, HOSPITAL, bag(weight_kg="-0.001"), 400, "invalid-request", "weight_kg"),
    Case("weight: 100,000 t", CONTAINERS, HOSPITAL, bag(weight_kg="99999999999"), 400, "invalid-request", "weight_kg"),
    Case("weight: sNaN", CONTAINERS, HOSPITAL, bag(weight_kg="sNaN"), 400, "invalid-request", "weight_kg"),
    Case("volume: negative", CONTAINERS, HOSPITAL, bag(volume_l="-1"), 400, "invalid-request", "volume_l"),
    Case(
        "packed: 2030",
        CONTAINERS,
        HOSPITAL,
        bag(packed_at="2030-01-01T00:00:00+08:00"),
        422,
        "invalid-input",
        "packed_at",
    ),
    Case(
        "packed: 2001",
        CONTAINERS,
        HOSPITAL,
        bag(packed_at="2001-01-01T00:00:00+08:00"),
        422,
        "invalid-input",
        "packed_at",
    ),
    Case(
        "packed: year 1",
        CONTAINERS,
        HOSPITAL,
        bag(packed_at="0001-01-01T00:00:00+14:00"),
        422,
        "invalid-input",
        "packed_at",
    ),
    Case(
        "shipment: full-width receiver",
        "/api/v1/shipments",
        HOSPITAL,
        lambda i: {
            "generator": YUZHONG_HOSPITAL,
            "transporter": CENTRAL_TRANSPORTER,
            "receiver": TONGXING.translate(FULL_WIDTH),
        },
        422,
        "invalid-identifier",
        "receiver",
    ),
    Case(
        "organisation: bad check character",
        "/api/v1/organisations",
        "admin",
        lambda i: {"uscc": "91500000MA5U4GME31", "name_zh": "测试单位", "kind": "generator", "division": "500109"},
        422,
        "invalid-identifier",
        "uscc",
    ),
    Case(
        "organisation: full-width division",
        "/api/v1/organisations",
        "admin",
        lambda i: {
            "uscc": "91500112MA5U4GME30",
            "name_zh": "测试单位",
            "kind": "generator",
            "division": "５００１０９",
        },
        422,
        "invalid-identifier",
        "division",
    ),
    Case(
        "user: full-width letter",
        "/api/v1/users",
        "admin",
        lambda i: {"username": "ａdmin2", "role": "admin"},
        422,
        "invalid-input",
        "username",
    ),
    Case(
        "user: RTL override",
        "/api/v1/users",
        "admin",
        lambda i: {"username": "adm" + RLO + "in2", "role": "admin"},
        422,
        "invalid-input",
        "username",
    ),
]


def shipment(**fields: Any) -> Body:
    def body(_: Receivable) -> dict[str, Any]:
        return {"generator": YUZHONG_HOSPITAL, "transporter": CENTRAL_TRANSPORTER, "receiver": TONGXING, **fields}

    return body


def organisation(**fields: Any) -> Body:
    def body(_: Receivable) -> dict[str, Any]:
        return {
            "uscc": "91500112MA5U4GME30",
            "name_zh": "测试单位",
            "kind": "generator",
            "division": "500109",
            **fields,
        }

    return body


# Free text printed on manifests and dashboards (ledger.text): no character that hides or reorders what is shown.
FREE_TEXT_CASES = [
    Case(
        "refusal reason: right-to-left override",
        SCANS,
        PLANT_USER,
        scan(action="refuse", reason="包装破损 " + RLO + "gk 21"),
        400,
        "invalid-request",
        "reason",
    ),
    Case(
        "refusal reason: C1 control (CSI)",
        SCANS,
        PLANT_USER,
        scan(action="refuse", reason="torn " + CSI + "2J bag"),
        400,
        "invalid-request",
        "reason",
    ),
    Case(
        "batch: a bidi isolate in one scan's line",
        "/api/v1/scans/batch",
        PLANT_USER,
        lambda i: {"scans": [scan(action="dispose", method="D10", line="1号炉" + RLI)(i)]},
        400,
        "invalid-request",
        "scans.0.line",
    ),
    Case(
        "shipment: zero-width space in the driver",
        "/api/v1/shipments",
        HOSPITAL,
        shipment(driver="张" + ZWSP + "三"),
        400,
        "invalid-request",
        "driver",
    ),
    Case(
        "shipment: a newline in the route",
        "/api/v1/shipments",
        HOSPITAL,
        shipment(route_start="渝中区\n终点：綦江"),
        400,
        "invalid-request",
        "route_start",
    ),
    Case(
        "shipment: RTL mark in emergency measures",
        "/api/v1/shipments",
        HOSPITAL,
        shipment(emergency_measures="泄漏时用吸附棉" + RLM),
        400,
        "invalid-request",
        "emergency_measures",
    ),
    Case(
        "container: NUL in the description",
        CONTAINERS,
        HOSPITAL,
        bag(description="针头\x00"),
        400,
        "invalid-request",
        "description",
    ),
    Case(
        "organisation: RTL override in the name",
        "/api/v1/organisations",
        "admin",
        organisation(name_zh="测试" + RLO + "单位"),
        400,
        "invalid-request",
        "name_zh",
    ),
    Case(
        "user: bidi isolate in the display name",
        "/api/v1/users",
        "admin",
        lambda i: {"username": "clerk2", "role": "admin", "display_name": "Clerk " + RLI + "2"},
        400,
        "invalid-request",
        "display_name",
    ),
    Case(
        "token: zero-width joiner in the label",
        "/api/v1/users/admin/tokens",
        "admin",
        lambda i: {"label": "scanner\u200d3"},
        400,
        "invalid-request",
        "label",
    ),
    Case(
        "subscription: RTL override in an e-mail address",
        "/api/v1/alerts/subscriptions",
        "cq.regulator",
        lambda i: {"channel": "email", "target": "duty@" + RLO + "moc.example.cn"},
        400,
        "invalid-request",
        "target",
    ),
]
CASES += FREE_TEXT_CASES

RAW_BODIES = [
    ("not JSON", b"{not json", "application/json", 400, "invalid-request"),
    ("not UTF-8", b'{"text": "\xff\xfe"}', "application/json", 400, "invalid-request"),
    ("a form", b"a=1", "application/x-www-form-urlencoded", 400, "invalid-request"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid-request"),
    ("3 MiB", b'{"scans": [' + b'{"a":1},' * 400_000 + b"{}]}", "application/json", 413, "body-too-large"),
]

GETS: list[tuple[str, Callable[[Receivable], str], int, str, str | None]] = [
    (
        "code with full-width digits",
        lambda i: f"{CONTAINERS}/{i.code.translate(FULL_WIDTH)}",
        422,
        "invalid-identifier",
        "code",
    ),
    ("code with a zero-width space", lambda i: f"{CONTAINERS}/{i.code}%E2%80%8B", 422, "invalid-identifier", "code"),
    ("SQL as a code", lambda i: f"{CONTAINERS}/'%20OR%201=1--", 422, "invalid-identifier", "code"),
    (
        "full-width manifest number",
        lambda i: f"/api/v1/shipments/{i.shipment.translate(FULL_WIDTH)}",
        422,
        "invalid-identifier",
        "shipment",
    ),
    # One container's label names its path parameter, not a sheet's list entry.
    (
        "label of a full-width code",
        lambda i: f"{CONTAINERS}/{i.code.translate(FULL_WIDTH)}/label.pdf",
        422,
        "invalid-identifier",
        "code",
    ),
    ("limit 100,000", lambda i: f"{CONTAINERS}?limit=100000", 422, "invalid-input", "limit"),
    (
        "registered from year 1",
        lambda i: f"{CONTAINERS}?registered_from=0001-01-01",
        422,
        "invalid-input",
        "registered_from",
    ),
    (
        "registered to 9999-12-31",
        lambda i: f"{CONTAINERS}?registered_to=9999-12-31",
        422,
        "invalid-input",
        "registered_to",
    ),
    ("a forged cursor", lambda i: f"{CONTAINERS}?cursor=' OR 1=1--", 422, "invalid-input", "cursor"),
    ("clearing over 100,000 days", lambda i: "/api/v1/monitoring/clearing?days=100000", 422, "invalid-input", "days"),
]


async def table_counts(db: Database) -> dict[str, int]:
    """Rows in every table a request could write to."""
    counts = {}
    async with db.uow() as uow:
        for table in (LedgerEvent, Scan, Container, Shipment, Organisation, User, ApiToken):
            counts[table.__name__] = int(
                (await uow.session.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return counts


@pytest.fixture
async def delivered(api: Api) -> Receivable:
    [item] = await receivables(api.db, 1)
    for user in {c.user for c in CASES} | {"cq.regulator"}:
        await api.token(user)  # minted before counting, so that the counts stay put
    return item


async def test_hostile_bodies_get_a_clear_problem_and_write_nothing(
    api: Api, delivered: Receivable, subtests: pytest.Subtests
) -> None:
    before = await table_counts(api.db)
    for case in CASES:
        with subtests.test(case.name):
            response = await api.post(case.path, user=case.user, json=case.body(delivered))
            assert_problem(response, case.status, case.type, case.field)
    for name, raw, content_type, status, type_ in RAW_BODIES:
        with subtests.test(name):
            response = await api.post(
                "/api/v1/scans/batch", user=PLANT_USER, content=raw, headers={"content-type": content_type}
            )
            assert_problem(response, status, type_, None)
    assert await table_counts(api.db) == before


async def test_hostile_paths_and_queries_get_a_clear_problem(
    api: Api, delivered: Receivable, subtests: pytest.Subtests
) -> None:
    for name, path, status, type_, field in GETS:
        with subtests.test(name):
            assert_problem(await api.get(path(delivered), user="cq.regulator"), status, type_, field)


async def test_plant_load_for_a_day_at_the_calendars_edge_is_refused(api: Api) -> None:
    for day in ("0001-01-01", "9999-12-31"):
        response = await api.get(f"/api/v1/monitoring/plant-load?day={day}", user="cq.regulator")
        assert_problem(response, 422, "invalid-input", "day")


BEYOND_64_BITS = 2**70


async def test_ids_beyond_64_bits_are_unknown_not_a_crash(api: Api) -> None:
    response = await api.post(f"/api/v1/tokens/{BEYOND_64_BITS}/revoke", user="admin")
    assert_problem(response, 404, "not-found", "token_id")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/alerts/{id}"),
        ("GET", "/api/v1/alerts/{id}/deliveries"),
        ("POST", "/api/v1/alerts/{id}/acknowledge"),
        ("POST", "/api/v1/alerts/{id}/close"),
        ("DELETE", "/api/v1/alerts/subscriptions/{id}"),
    ],
)
async def test_alert_ids_beyond_64_bits_are_unknown_not_a_crash(api: Api, method: str, path: str) -> None:
    response = await api.request(method, path.format(id=BEYOND_64_BITS), user="admin", json={"note": "probe"})
    assert response.status_code < 500, response.text


async def test_what_is_accepted_is_stored_normalised(api: Api, delivered: Receivable) -> None:
    """The tolerant side: surrounding spaces and lower case in a label's text, a lower-case USCC, are read as
    the code they spell, and what is recorded is the canonical form (never the raw text)."""
    response = await api.post(SCANS, user=PLANT_USER, json=scan(text=lambda i: f"  {i.code.lower()} ")(delivered))
    assert response.status_code == 200, response.text
    assert response.json()["code"] == delivered.code
    registered = await api.post(CONTAINERS, user=HOSPITAL, json=bag(generator=YUZHONG_HOSPITAL.lower())(delivered))
    assert registered.status_code == 201 and registered.json()["generator"] == YUZHONG_HOSPITAL


async def test_a_refused_character_is_named_in_the_problem(api: Api, delivered: Receivable) -> None:
    response = await api.post(
        SCANS, user=PLANT_USER, json=scan(action="refuse", reason="包装破损 " + RLO + "gk 21")(delivered)
    )
    body = assert_problem(response, 400, "invalid-request", "reason")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE at position 5" in body["detail"], body


async def test_free_text_in_any_script_is_stored_as_given(api: Api, delivered: Receivable) -> None:
    """The tolerant side of free text: Chinese, emoji and a line break in a refusal reason are kept as sent."""
    reason = "包装破损，渗漏 💧\n复秤 12.5 kg"
    response = await api.post(SCANS, user=PLANT_USER, json=scan(action="refuse", reason=reason)(delivered))
    assert response.status_code == 200, response.text
    assert response.json()["detail"]["reason"] == reason
    history = (await api.get(f"{CONTAINERS}/{delivered.code}", user=PLANT_USER)).json()["history"]
    assert history[-1]["payload"]["reason"] == reason, history[-1]
