"""Idempotency: an offline scanner's 10,000 scans, sent as 10 batches of 1,000 (the limit), then all sent again.

CI runs 2 batches of 1,000 (the same code path, in a fifth of the time); ``WASTELEDGER_LONG_TESTS=1`` runs the
full 10,000 (about 3 minutes on the 2-core machine).

Each scan is recorded once; the second sending answers every scan with its first answer (``duplicate: true``)
and writes nothing, even when the scans come back grouped differently (a scanner that lost track of which
batches went through resends whatever it still holds).
"""

from __future__ import annotations

import os
import random
import uuid
from typing import Any

import pytest

from bench.scan_data import PLANT_USER, receivables
from ledger.integrity import verify_ledger
from ledger.scans import MAX_BATCH
from tests.conftest import FakeClock
from tests.reliability.conftest import ledger_counts, received_counts
from tests.routes.conftest import Api

SCANS = (10 if os.environ.get("WASTELEDGER_LONG_TESTS") else 2) * MAX_BATCH


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_thousands_of_scans_sent_twice_are_recorded_once(api: Api, clock: FakeClock) -> None:
    items = await receivables(api.db, SCANS, concurrency=8, per_shipment=500)
    scans: list[dict[str, Any]] = [
        {
            "scan_id": str(uuid.uuid4()),
            "text": f"{api.db.settings.public_base_url}/v/{item.code}" if i % 2 else item.code,
            "action": "receive",
            "shipment": item.shipment,
            "weight_kg": item.weight_kg,
            "scanned_at": clock.now.isoformat(),
        }
        for i, item in enumerate(items)
    ]
    url = api.db.settings.database_url

    first: dict[str, dict[str, Any]] = {}
    for start in range(0, SCANS, MAX_BATCH):
        response = await api.post(
            "/api/v1/scans/batch", user=PLANT_USER, json={"scans": scans[start : start + MAX_BATCH]}
        )
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert (body["recorded"], body["failed"]) == (MAX_BATCH, 0), body["answers"][:3]
        first.update({a["scan_id"]: a["result"] for a in body["answers"]})
    assert len(first) == SCANS and not any(result["duplicate"] for result in first.values())
    after_first = await ledger_counts(url)

    again = scans[:]
    random.Random(8).shuffle(again)
    for start in range(0, SCANS, MAX_BATCH):
        response = await api.post(
            "/api/v1/scans/batch", user=PLANT_USER, json={"scans": again[start : start + MAX_BATCH]}
        )
        assert response.status_code == 200
        for answer in response.json()["answers"]:
            replay = answer["result"]
            assert replay["duplicate"] is True
            assert {**replay, "duplicate": False} == first[answer["scan_id"]]
    assert await ledger_counts(url) == after_first

    received = await received_counts(url)
    assert len(received) == SCANS and set(received.values()) == {1}
    assert after_first["scans"] == SCANS
    assert (await verify_ledger(api.db.uow())).ok
