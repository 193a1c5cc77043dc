"""Races over HTTP, against a real server process: many clients at once on the same sequence or container.

The service-level races (one container received by two plants, 100 rounds; manifest numbers; quotas) live in
tests/reliability/test_races.py and tests/ledger/; these go through the whole stack, connection pool included.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.scan_data import PLANT_USER, prepare_receivables
from ledger.identifiers import parse_container_code, parse_manifest_number
from tests.reliability.conftest import LiveLedger, received_counts
from tests.routes.world import CENTRAL_TRANSPORTER, TONGXING, YUZHONG_HOSPITAL

CLIENTS = 24


def client(live: LiveLedger, base: str, user: str) -> httpx.AsyncClient:
    # One connection per concurrent request, as separate scanners or browsers would have.
    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    return httpx.AsyncClient(base_url=base, headers=live.headers(user), timeout=30, limits=limits)


async def test_codes_and_manifest_numbers_issued_concurrently_never_collide(live: LiveLedger) -> None:
    server = live.start()
    async with client(live, server.base_url, "yuzhong.hospital") as http:
        body = {
            "generator": YUZHONG_HOSPITAL,
            "waste_code": "841-002-01",
            "weight_kg": "1.5",
            "packaging": "bag",
            "volume_l": "10",
        }
        registered = await asyncio.gather(*(http.post("/api/v1/containers", json=body) for _ in range(CLIENTS)))
        assert [r.status_code for r in registered] == [201] * CLIENTS, [r.text for r in registered if r.is_error]
        codes = [r.json()["code"] for r in registered]
        # Same unit, waste code and day: one sequence, handed out 1..n without a gap or a repeat.
        assert sorted(parse_container_code(c).sequence for c in codes) == list(range(1, CLIENTS + 1))

        manifest = {"generator": YUZHONG_HOSPITAL, "transporter": CENTRAL_TRANSPORTER, "receiver": TONGXING}
        created = await asyncio.gather(*(http.post("/api/v1/shipments", json=manifest) for _ in range(CLIENTS)))
        assert [r.status_code for r in created] == [201] * CLIENTS, [r.text for r in created if r.is_error]
        serials = sorted(parse_manifest_number(r.json()["number"]).serial for r in created)
        assert serials == list(range(serials[0], serials[0] + CLIENTS))
    verify = live.cli("verify")
    assert verify.returncode == 0, verify.stderr


def receive(code: str, shipment: str, kg: str, scan_id: str | None = None) -> dict[str, Any]:
    return {
        "scan_id": scan_id or str(uuid.uuid4()),
        "text": code,
        "action": "receive",
        "shipment": shipment,
        "weight_kg": kg,
        "scanned_at": datetime.now(UTC).isoformat(),
    }


async def test_one_scan_resent_by_many_connections_at_once_is_recorded_once(live: LiveLedger) -> None:
    [item] = await prepare_receivables(live.url, 1)
    server = live.start()
    body = receive(item.code, item.shipment, item.weight_kg)
    async with client(live, server.base_url, PLANT_USER) as http:
        answers = await asyncio.gather(*(http.post("/api/v1/scans", json=body) for _ in range(CLIENTS)))
    assert [a.status_code for a in answers] == [200] * CLIENTS, [a.text for a in answers if a.is_error]
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    assert len({a.json()["recorded_at"] for a in answers}) == 1  # every answer is the first one
    assert await received_counts(live.url) == {item.code: 1}


async def test_a_batch_and_single_scans_racing_on_the_same_containers(live: LiveLedger) -> None:
    """Two gates scan the same bags, one syncing a batch, the other online: each bag is received once, and
    every scan gets a definite answer (a result, or a problem saying it lost)."""
    items = await prepare_receivables(live.url, CLIENTS)
    server = live.start()
    batch = [receive(i.code, i.shipment, i.weight_kg) for i in items]
    singles = [receive(i.code, i.shipment, i.weight_kg) for i in reversed(items)]
    async with client(live, server.base_url, PLANT_USER) as http:
        batch_answer, *single_answers = await asyncio.gather(
            http.post("/api/v1/scans/batch", json={"scans": batch}),
            *(http.post("/api/v1/scans", json=s) for s in singles),
        )
    assert batch_answer.status_code == 200, batch_answer.text
    outcomes: Counter[str] = Counter()
    winners: Counter[str] = Counter()
    for answer in batch_answer.json()["answers"]:
        if "result" in answer:
            winners[answer["result"]["code"]] += 1
        else:
            outcomes[answer["problem"]["type"].rsplit("/", 1)[-1]] += 1
    for scan, single in zip(singles, single_answers, strict=True):
        if single.status_code == 200:
            winners[scan["text"]] += 1
        else:
            outcomes[single.json()["type"].rsplit("/", 1)[-1]] += 1
    assert set(winners.values()) == {1} and len(winners) == CLIENTS, winners
    assert set(outcomes) <= {"illegal-transition", "version-conflict", "conflict"}, outcomes
    assert sum(outcomes.values()) == CLIENTS
    assert set((await received_counts(live.url)).values()) == {1}
    verify = live.cli("verify")
    assert verify.returncode == 0, verify.stderr
