"""Shipments, scans, white list and printing over HTTP, end to end with the labels' raw QR text."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.labels.pdfimage import pages, qr_codes
from tests.routes.conftest import Api, assert_problem
from tests.routes.world import CENTRAL_TRANSPORTER, TONGXING, YUZHONG_HOSPITAL

NEIJIANG_LEAD = "91511000MA6YPG0Y7M"
AUTO_REPAIR = "91500107MA5U6MB49U"
HAZMAT = "91500107MA5U52G75X"
VEHICLE = {"vehicle_plate": "渝A12345", "transport_licence": "渝交运管许可字500112001号", "driver": "李师傅"}


def scan(text: str, action: str, clock: FakeClock, **fields: Any) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "text": text, "action": action, "scanned_at": clock.now.isoformat(), **fields}


async def register(
    api: Api, kg: str, waste: str = "841-001-01", user: str = "yuzhong.hospital", generator: str = YUZHONG_HOSPITAL
) -> str:
    response = await api.post(
        "/api/v1/containers",
        user=user,
        json={"generator": generator, "waste_code": waste, "weight_kg": kg, "packaging": "bag", "volume_l": "30"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


async def test_the_hospital_story_over_http_with_label_qr_text(api: Api, db: Database, clock: FakeClock) -> None:
    codes = [await register(api, f"{4 + i / 10:.3f}") for i in range(12)]
    # The hospital prints a sheet: each label's QR text is what the scanners will read.
    sheet = await api.post("/api/v1/labels", user="yuzhong.hospital", json={"codes": codes, "sheet": "a4"})
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    qr_text = {urlsplit(p).path.rsplit("/", 1)[-1]: p for page in pages(sheet.content, 150) for p, _ in qr_codes(page)}
    assert sorted(qr_text) == sorted(codes)

    created = await api.post(
        "/api/v1/shipments",
        user="central.transporter",
        json={"generator": YUZHONG_HOSPITAL, "transporter": CENTRAL_TRANSPORTER, "receiver": TONGXING},
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    # The driver scans each label at pickup; a scanner that lost its answer resends the same scan.
    pickup = [scan(qr_text[code], "collect", clock, shipment=number) for code in codes]
    batch = await api.post("/api/v1/scans/batch", user="central.transporter", json={"scans": pickup})
    assert batch.status_code == 200 and batch.json()["recorded"] == 12, batch.text
    again = await api.post("/api/v1/scans", user="central.transporter", json=pickup[0])
    assert again.status_code == 200 and again.json()["duplicate"] is True

    assert (await api.post(f"/api/v1/shipments/{number}/sign", user="yuzhong.hospital")).status_code == 200
    dispatched = await api.post(f"/api/v1/shipments/{number}/dispatch", user="central.transporter", json=VEHICLE)
    assert dispatched.json()["status"] == "dispatched", dispatched.text
    clock.advance(hours=1)
    assert (await api.post(f"/api/v1/shipments/{number}/deliver", user="central.transporter")).status_code == 200

    # The plant's gate scanner: 11 received, the 12th (8% heavy, torn) received and then refused.
    arrivals = [
        scan(qr_text[c], "receive", clock, shipment=number, weight_kg=f"{4 + i / 10:.3f}")
        for i, c in enumerate(codes[:11])
    ]
    arrivals.append(scan(qr_text[codes[11]], "receive", clock, shipment=number, weight_kg="5.508"))
    arrivals.append(scan(qr_text[codes[11]], "refuse", clock, shipment=number, reason="包装破损 torn bag"))
    answered = (await api.post("/api/v1/scans/batch", user="tongxing.operator", json={"scans": arrivals})).json()
    assert answered["recorded"] == 13 and answered["answers"][11]["result"]["detail"]["discrepancy"] is True
    receipt = await api.post(f"/api/v1/shipments/{number}/receipt", user="tongxing.operator", json={})
    assert receipt.json()["receipt"]["decision"] == "partially_refused", receipt.text

    disposal = [scan(qr_text[c], "dispose", clock, method="Y10", line="焚烧线1") for c in codes[:11]]
    assert (await api.post("/api/v1/scans/batch", user="tongxing.operator", json={"scans": disposal})).json()[
        "recorded"
    ] == 11
    detail = (await api.get(f"/api/v1/shipments/{number}", user="cq.regulator")).json()
    assert detail["shipment"]["status"] == "closed"
    assert [c["status"] for c in detail["containers"]].count("disposed") == 11

    # The printed manifest's QR checks against the ledger; a stranger cannot print it.
    manifest = await api.get(f"/api/v1/shipments/{number}/manifest.pdf", user="tongxing.operator")
    [(payload, _)] = qr_codes(pages(manifest.content, 150)[0])
    assert parse_qs(urlsplit(payload).query)["h"] == [detail["content_hash"]]
    stranger = await api.get(f"/api/v1/shipments/{number}/manifest.pdf", user="wanzhou.hospital")
    unknown = await api.get(f"/api/v1/shipments/{number[:-6]}999999/manifest.pdf", user="wanzhou.hospital")
    assert_problem(stranger, 404, "not-found", "shipment")
    assert stranger.json()["detail"].replace(number, "N") == unknown.json()["detail"].replace(
        f"{number[:-6]}999999", "N"
    )


async def test_each_refusal_is_a_problem_with_its_field(api: Api, clock: FakeClock) -> None:
    code = await register(api, "5.000")
    created = await api.post(
        "/api/v1/shipments",
        user="yuzhong.hospital",
        json={
            "generator": YUZHONG_HOSPITAL,
            "transporter": CENTRAL_TRANSPORTER,
            "receiver": TONGXING,
            "containers": [code],
        },
    )
    number = created.json()["number"]
    assert_problem(
        await api.post(f"/api/v1/shipments/{number}/dispatch", user="central.transporter", json=VEHICLE),
        409,
        "illegal-transition",
        "shipment",
    )
    assert_problem(
        await api.post(f"/api/v1/shipments/{number}/sign", user="central.transporter"), 403, "forbidden", "shipment"
    )
    await api.post(f"/api/v1/shipments/{number}/sign", user="yuzhong.hospital")
    assert_problem(
        await api.post(f"/api/v1/shipments/{number}/amend", user="yuzhong.hospital", json={"emergency_measures": "x"}),
        409,
        "field-locked",
        "emergency_measures",
    )
    assert_problem(
        await api.post(
            f"/api/v1/shipments/{number}/dispatch",
            user="central.transporter",
            json={**VEHICLE, "vehicle_plate": "not a plate!"},
        ),
        422,
        "invalid-input",
        "vehicle_plate",
    )
    assert_problem(
        await api.post(
            "/api/v1/scans",
            user="tongxing.operator",
            json=scan("https://x/v/not-a-code", "receive", clock, shipment=number, weight_kg="1"),
        ),
        422,
        "invalid-identifier",
        "text",
    )
    bad = await api.post(
        "/api/v1/scans", user="tongxing.operator", json={**scan(code, "receive", clock), "weight_kg": "-3"}
    )
    assert_problem(bad, 400, "invalid-request", "weight_kg")
    assert_problem(
        await api.post(
            "/api/v1/shipments",
            user="yuzhong.hospital",
            json={"generator": YUZHONG_HOSPITAL, "transporter": CENTRAL_TRANSPORTER, "receiver": "91350100M000100Y42"},
        ),
        422,
        "invalid-identifier",
        "receiver",
    )


async def test_white_list_over_http_until_the_quota_runs_out(api: Api) -> None:
    entry = await api.post(
        "/api/v1/white-list",
        user="cq.regulator",
        json={
            "id": "WL-HTTP-1",
            "year": 2026,
            "origin_province": "50",
            "destination_province": "51",
            "receiver": NEIJIANG_LEAD,
            "waste_code": "900-052-31",
            "quantity_t": "0.3",
        },
    )
    assert entry.status_code == 201, entry.text
    assert_problem(
        await api.post(
            "/api/v1/white-list",
            user="beibei.regulator",
            json={
                "id": "WL-HTTP-2",
                "year": 2026,
                "origin_province": "50",
                "destination_province": "51",
                "receiver": NEIJIANG_LEAD,
                "waste_code": "900-052-31",
                "quantity_t": "1",
            },
        ),
        403,
        "forbidden",
        "origin_province",
    )

    async def ship(kg: str) -> Any:
        code = await register(api, kg, "900-052-31", "jiulongpo.autorepair", AUTO_REPAIR)
        number = (
            await api.post(
                "/api/v1/shipments",
                user="jiulongpo.autorepair",
                json={"generator": AUTO_REPAIR, "transporter": HAZMAT, "receiver": NEIJIANG_LEAD, "containers": [code]},
            )
        ).json()["number"]
        await api.post(f"/api/v1/shipments/{number}/sign", user="jiulongpo.autorepair")
        return await api.post(
            f"/api/v1/shipments/{number}/dispatch",
            user="hazmat.transporter",
            json={**VEHICLE, "vehicle_plate": "渝B54321"},
        )

    assert (await ship("200.000")).status_code == 200
    over = await ship("150.000")
    body = assert_problem(over, 422, "quota-exceeded", "containers")
    assert (body["entry"], body["remaining_t"], body["requested_t"]) == ("WL-HTTP-1", "0.100", "0.150")
    quotas = {q["id"]: q for q in (await api.get("/api/v1/quotas", user="jiulongpo.autorepair")).json()}
    assert Decimal(quotas["WL-HTTP-1"]["remaining_t"]) == Decimal("0.1")
    revoked = await api.post("/api/v1/quotas/WL-HTTP-1/revoke", user="cq.regulator", json={"reason": "audit"})
    assert revoked.json()["revoked"] is True


async def test_shipment_lists_are_scoped_and_paged(api: Api) -> None:
    for _ in range(3):
        code = await register(api, "1.000")
        await api.post(
            "/api/v1/shipments",
            user="yuzhong.hospital",
            json={
                "generator": YUZHONG_HOSPITAL,
                "transporter": CENTRAL_TRANSPORTER,
                "receiver": TONGXING,
                "containers": [code],
            },
        )
    first = (await api.get("/api/v1/shipments?limit=2", user="yuzhong.hospital")).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (await api.get(f"/api/v1/shipments?limit=2&cursor={first['next_cursor']}", user="yuzhong.hospital")).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert (await api.get("/api/v1/shipments", user="wanzhou.hospital")).json()["items"] == []
    assert (await api.get("/api/v1/shipments", user="wanzhou.regulator")).json()["items"] == []
    assert len((await api.get("/api/v1/shipments", user="cq.regulator")).json()["items"]) == 3
    assert_problem(
        await api.get("/api/v1/shipments?cursor=garbage", user="cq.regulator"), 422, "invalid-input", "cursor"
    )
