"""Crash safety: the server is SIGKILLed in the middle of a load of scans, then restarted.

Every scan that was answered 2xx must be in the ledger exactly once; a scan that got no answer is either absent
or present once (never half-written: a scan row without its event, or an event without its scan row); resending
the unanswered ones after the restart records each at most once; and ``wasteledger verify`` passes.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.scan_data import PLANT_USER, Receivable, prepare_receivables
from tests.reliability.conftest import LiveLedger, ledger_counts, received_counts, recorded_scan_ids

SINGLE_CLIENTS = 5
BATCH_SIZE = 20
CONTAINERS = 420
#: Kill once this many scans have been acknowledged: well inside the load, not at its start or end.
KILL_AFTER = 120


@dataclass
class Outcome:
    """What the client knows about one scan it sent."""

    body: dict[str, Any]
    status: int | None = None
    """The HTTP status (for a batch: 200 with a result for this scan), or None when no answer came."""


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def note(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if outcome.status is not None and outcome.status < 300:
                self.acknowledged += 1


def scan_body(item: Receivable) -> dict[str, Any]:
    return {
        "scan_id": str(uuid.uuid4()),
        "text": item.code,
        "action": "receive",
        "shipment": item.shipment,
        "weight_kg": item.weight_kg,
        "scanned_at": datetime.now(UTC).isoformat(),
    }


def single_client(base: str, headers: dict[str, str], items: list[Receivable], load: Load) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        for item in items:
            outcome = Outcome(scan_body(item))
            try:
                outcome.status = client.post("/api/v1/scans", json=outcome.body).status_code
            except httpx.HTTPError:
                outcome.status = None  # the server died with the request in flight (or before it was sent)
            load.note(outcome)
            if outcome.status is None and load.stop.is_set():
                return


def batch_client(base: str, headers: dict[str, str], items: list[Receivable], load: Load) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for start in range(0, len(items), BATCH_SIZE):
            bodies = [scan_body(item) for item in items[start : start + BATCH_SIZE]]
            try:
                answer = client.post("/api/v1/scans/batch", json={"scans": bodies})
            except httpx.HTTPError:
                for body in bodies:
                    load.note(Outcome(body))
                if load.stop.is_set():
                    return
                continue
            if answer.status_code != 200:
                for body in bodies:
                    load.note(Outcome(body, answer.status_code))
                continue
            for body, item in zip(bodies, answer.json()["answers"], strict=True):
                load.note(Outcome(body, 200 if "result" in item else int(item["problem"]["status"])))


def test_sigkill_mid_load_loses_and_doubles_nothing(live: LiveLedger) -> None:
    items = asyncio.run(prepare_receivables(live.url, CONTAINERS, per_shipment=60))
    server = live.start()
    headers = live.headers(PLANT_USER)
    load = Load()
    share = len(items) // (SINGLE_CLIENTS + 1)
    threads = [
        threading.Thread(
            target=single_client, args=(server.base_url, headers, items[i * share : (i + 1) * share], load)
        )
        for i in range(SINGLE_CLIENTS)
    ]
    threads.append(
        threading.Thread(target=batch_client, args=(server.base_url, headers, items[SINGLE_CLIENTS * share :], load))
    )
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while load.acknowledged < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.005)
    load.stop.set()
    server.kill()
    for thread in threads:
        thread.join(timeout=60)
    assert load.acknowledged >= KILL_AFTER, "the load never got going"

    answered = [o for o in load.outcomes if o.status is not None and o.status < 300]
    unanswered = [o for o in load.outcomes if o.status is None]
    refused = [o for o in load.outcomes if o.status is not None and o.status >= 300]
    assert not refused, f"scans refused before the crash: {[o.status for o in refused][:5]}"
    assert unanswered, "the kill came after the load: nothing was in flight"

    recorded = asyncio.run(recorded_scan_ids(live.url))
    received = asyncio.run(received_counts(live.url))
    # Acknowledged: recorded, exactly once.
    for outcome in answered:
        assert outcome.body["scan_id"] in recorded
        assert received.get(outcome.body["text"]) == 1, outcome.body
    # Unanswered: all or nothing — the scan row and the container's event committed together, or neither.
    for outcome in unanswered:
        count = received.get(outcome.body["text"], 0)
        assert count in (0, 1)
        assert (outcome.body["scan_id"] in recorded) == (count == 1), outcome.body
    assert all(n == 1 for n in received.values())
    counts = asyncio.run(ledger_counts(live.url))
    assert counts["scans"] == len(received) == sum(received.values())

    # The scanners resend what they never heard back about: each answered now, none recorded twice.
    server = live.start()
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
        for outcome in unanswered:
            again = client.post("/api/v1/scans", json=outcome.body)
            assert again.status_code == 200, again.text
            assert again.json()["duplicate"] is (outcome.body["scan_id"] in recorded)
    received = asyncio.run(received_counts(live.url))
    assert all(n == 1 for n in received.values())
    assert {o.body["text"] for o in answered + unanswered} <= set(received)
    assert "Traceback" not in live.server_logs()

    verify = live.cli("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "ledger verifies" in verify.stdout
