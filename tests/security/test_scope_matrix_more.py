"""Role × endpoint × scope, continued from tests/routes/test_scope_matrix.py (containers, plants, organisations):
shipments and their manifest PDFs, scans, labels and transfer quotas.

The same eleven demo users against the same small world (tests/routes/world.py). Who may see the world's manifest
is written out by hand below, from docs/api.md and ledger/scope.py: its three parties, the regulators overseeing
its origin (Yuzhong, 500103) or destination (Tongxing in Beibei, 500109), administrators. Everything out of scope
must answer exactly like something that does not exist, and a refused step writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from ledger.tables import Scan
from ledger.unit_of_work import Database
from tests.routes.conftest import Api, assert_problem
from tests.routes.test_shipments_api import NEIJIANG_LEAD
from tests.routes.world import USERS, VISIBLE, World, build_world

#: Who sees the world's manifest (and may print it).
SEES_SHIPMENT = {
    "yuzhong.hospital",  # generator
    "central.transporter",  # carrier
    "tongxing.operator",  # receiver
    "beibei.regulator",  # oversees the destination (Beibei)
    "cq.regulator",  # the city
    "admin",
}
#: Who may receive, refuse and dispose of the world's containers at Tongxing (not tried: it would write).
PLANT_SIDE = {"tongxing.operator", "admin"}
#: Who manages a Chongqing → Sichuan white-list entry: the two provinces' bureaus and administrators.
QUOTA_MANAGERS = {"cq.regulator", "sichuan.regulator", "admin"}


async def write_counts(db: Database) -> tuple[int, int]:
    async with db.uow() as uow:
        events = await uow.events.count()
        scans = (await uow.session.execute(select(func.count()).select_from(Scan))).scalar_one()
        return events, int(scans)


def unknown_number(number: str) -> str:
    return number[:-6] + "999999"


def unknown_code(code: str) -> str:
    return code[:-3] + "999"


def looks_unknown(response: httpx.Response, twin: httpx.Response, real: str, fake: str, field: str) -> None:
    """Out of scope and unknown must be byte-identical but for the identifier."""
    assert_problem(response, 404, "not-found", field)
    assert response.text.replace(real, "<id>") == twin.text.replace(fake, "<id>")
    assert response.headers["content-type"] == twin.headers["content-type"]


async def test_manifests_and_their_pdfs_role_by_role(api: Api) -> None:
    world: World = await build_world(api.db)
    number, fake = world.shipment, unknown_number(world.shipment)
    failures: list[str] = []
    for user in USERS:
        listed = {s["number"] for s in (await api.get("/api/v1/shipments", user=user)).json()["items"]}
        if (number in listed) != (user in SEES_SHIPMENT):
            failures.append(f"{user} lists the manifest: {number in listed}")
        for suffix, kind in (("", "application/json"), ("/manifest.pdf", "application/pdf")):
            real = await api.get(f"/api/v1/shipments/{number}{suffix}", user=user)
            if user in SEES_SHIPMENT:
                if real.status_code != 200 or not real.headers["content-type"].startswith(kind):
                    failures.append(f"{user} cannot read {suffix or 'the manifest'}: {real.status_code}")
            else:
                twin = await api.get(f"/api/v1/shipments/{fake}{suffix}", user=user)
                try:
                    looks_unknown(real, twin, number, fake, "shipment")
                except AssertionError as exc:
                    failures.append(f"{user} {suffix or 'reading'}: out of scope must look unknown: {exc}")
    assert not failures, "\n".join(failures)


async def test_manifest_steps_by_everyone_but_the_right_party_are_refused(api: Api) -> None:
    world = await build_world(api.db)
    number, fake = world.shipment, unknown_number(world.shipment)
    steps: list[tuple[str, dict[str, Any] | None]] = [
        ("sign", None),
        ("deliver", None),
        ("cancel", {"reason": "matrix"}),
        ("amend", {"driver": "王"}),
        ("receipt", {}),  # the receiver's signature: refused while a container is still unscanned
        ("dispatch", {"vehicle_plate": "渝A12345", "transport_licence": "x", "driver": "y"}),
    ]
    # Not here: proposing a correction, which every party may do (and a regulator who sees the manifest but is
    # no party is told 404 rather than 403: ledger/shipments.py propose_correction, reported).
    before = await write_counts(api.db)
    failures: list[str] = []
    for user in USERS:
        for step, body in steps:
            real = await api.post(f"/api/v1/shipments/{number}/{step}", user=user, json=body)
            if user in SEES_SHIPMENT:
                if real.status_code not in (403, 409, 422):
                    failures.append(f"{user} {step}: {real.status_code} {real.text[:200]}")
            else:
                twin = await api.post(f"/api/v1/shipments/{fake}/{step}", user=user, json=body)
                try:
                    looks_unknown(real, twin, number, fake, "shipment")
                except AssertionError as exc:
                    failures.append(f"{user} {step}: out of scope must look unknown: {exc}")
    assert not failures, "\n".join(failures)
    assert await write_counts(api.db) == before


def scan(code: str, action: str, **fields: Any) -> dict[str, Any]:
    return {
        "scan_id": str(uuid.uuid4()),
        "text": code,
        "action": action,
        "scanned_at": "2026-12-04T02:00:00Z",
        **fields,
    }


async def test_scans_by_anyone_but_the_receiving_plant_are_refused(api: Api) -> None:
    world = await build_world(api.db)
    number, fake = world.shipment, unknown_number(world.shipment)
    before = await write_counts(api.db)
    failures: list[str] = []
    for user in set(USERS) - PLANT_SIDE:
        receive = scan(world.a_collected, "receive", shipment=number, weight_kg="4.100")
        refuse = scan(world.a_collected, "refuse", shipment=number, reason="matrix")
        dispose = scan(world.a_received, "dispose", method="Y10")
        for name, body in (("receive", receive), ("refuse", refuse)):
            real = await api.post("/api/v1/scans", user=user, json=body)
            if user in SEES_SHIPMENT:
                if real.status_code != 403:
                    failures.append(f"{user} {name}: {real.status_code}, expected 403")
            else:
                twin = await api.post("/api/v1/scans", user=user, json={**body, "shipment": fake})
                try:
                    looks_unknown(real, twin, number, fake, "shipment")
                except AssertionError as exc:
                    failures.append(f"{user} {name}: out of scope must look unknown: {exc}")
        # Disposal needs custody: for anyone else the container is simply not theirs to dispose of.
        real = await api.post("/api/v1/scans", user=user, json=dispose)
        if real.status_code not in (403, 404):
            failures.append(f"{user} dispose: {real.status_code} {real.text[:200]}")
        batch = await api.post("/api/v1/scans/batch", user=user, json={"scans": [receive, dispose]})
        answers = batch.json()["answers"]
        if batch.json()["recorded"] != 0 or any("result" in a for a in answers):
            failures.append(f"{user} recorded scans in a batch: {answers}")
    assert not failures, "\n".join(failures)
    assert await write_counts(api.db) == before


async def test_labels_role_by_role(api: Api) -> None:
    world = await build_world(api.db)
    failures: list[str] = []
    for user, visible in VISIBLE.items():
        for name, code in world.codes.items():
            fake = unknown_code(code)
            single = await api.get(f"/api/v1/containers/{code}/label.pdf", user=user)
            sheet = await api.post("/api/v1/labels", user=user, json={"codes": [code]})
            if name in visible:
                if single.status_code != 200 or sheet.status_code != 200:
                    failures.append(f"{user} cannot print {name}: {single.status_code}/{sheet.status_code}")
                continue
            before = await write_counts(api.db)
            single_twin = await api.get(f"/api/v1/containers/{fake}/label.pdf", user=user)
            sheet_twin = await api.post("/api/v1/labels", user=user, json={"codes": [fake]})
            try:
                looks_unknown(single, single_twin, code, fake, "code")
                looks_unknown(sheet, sheet_twin, code, fake, "codes[0]")
            except AssertionError as exc:
                failures.append(f"{user} printing {name}: out of scope must look unknown: {exc}")
            assert await write_counts(api.db) == before
    assert not failures, "\n".join(failures)


async def test_quotas_are_public_but_managed_by_the_two_provinces_only(api: Api) -> None:
    created = await api.post(
        "/api/v1/white-list",
        user="cq.regulator",
        json={
            "id": "WL-MATRIX-1",
            "year": 2026,
            "origin_province": "50",
            "destination_province": "51",
            "receiver": NEIJIANG_LEAD,
            "waste_code": "900-052-31",
            "quantity_t": "1",
        },
    )
    assert created.status_code == 201, created.text
    before = await write_counts(api.db)
    for user in USERS:
        listed = await api.get("/api/v1/quotas", user=user)
        assert listed.status_code == 200 and "WL-MATRIX-1" in {q["id"] for q in listed.json()}
        if user in QUOTA_MANAGERS:
            continue
        amend = await api.post(
            "/api/v1/quotas/WL-MATRIX-1/amend", user=user, json={"quantity_t": "100", "reason": "matrix"}
        )
        revoke = await api.post("/api/v1/quotas/WL-MATRIX-1/revoke", user=user, json={"reason": "matrix"})
        for response in (amend, revoke):
            assert_problem(response, 403, "forbidden", "origin_province")
    assert await write_counts(api.db) == before
    for user in sorted(QUOTA_MANAGERS):
        amended = await api.post(
            "/api/v1/quotas/WL-MATRIX-1/amend", user=user, json={"quantity_t": "2", "reason": f"by {user}"}
        )
        assert amended.status_code == 200, (user, amended.text)
