"""The container state machine in one table (DOMAIN.md §4), and the fold that builds state from events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from ledger.errors import IllegalTransition, LedgerIntegrityError
from ledger.store import RecordedEvent
from ledger.tables import Container
from ledger.units import kg_to_g


class ContainerStatus(StrEnum):
    REGISTERED = "registered"
    """Packed, weighed and labelled at the generator."""
    COLLECTED = "collected"
    """Loaded on a shipment; the transporter has custody."""
    RECEIVED = "received"
    """Scanned and weighed at the plant; the plant has custody."""
    REFUSED = "refused"
    """Refused at receipt; goes back, or on to another plant, on a new shipment."""
    RETURNED = "returned"
    """Brought back to its generator after a refusal."""
    DISPOSED = "disposed"
    """Destroyed or recovered with a method code. Never moves again."""
    VOIDED = "voided"
    """Label misprinted or container never used, before collection."""


S = ContainerStatus
_LIVE = frozenset(set(S) - {S.VOIDED})

#: event type → (step named in errors, states it may follow, state it leads to; None keeps the state).
TRANSITIONS: dict[str, tuple[str, frozenset[S | None], S | None]] = {
    "container.registered": ("register", frozenset({None}), S.REGISTERED),
    "container.voided": ("void", frozenset({S.REGISTERED, S.RETURNED}), S.VOIDED),
    "container.collected": ("collect", frozenset({S.REGISTERED, S.REFUSED, S.RETURNED}), S.COLLECTED),
    "container.received": ("receive", frozenset({S.COLLECTED}), S.RECEIVED),
    "container.refused": ("refuse", frozenset({S.COLLECTED, S.RECEIVED}), S.REFUSED),
    "container.returned": ("return", frozenset({S.COLLECTED}), S.RETURNED),
    "container.disposed": ("dispose", frozenset({S.RECEIVED}), S.DISPOSED),
    "container.labelled": ("label", frozenset(_LIVE - {S.DISPOSED}), None),
    # A correction fixes a recorded fact (a mistyped weight); it is not a move, so even a disposed container
    # can be corrected, but a voided one is gone.
    "container.corrected": ("correct", frozenset(_LIVE), None),
}


def check_step(code: str, status: S | None, event_type: str) -> S | None:
    """The state after ``event_type``, or :class:`IllegalTransition` naming the state and the step."""
    step, allowed, after = TRANSITIONS[event_type]
    if status not in allowed:
        state = "not registered" if status is None else str(status)
        raise IllegalTransition(f"container {code}", state, step, field="code")
    return status if after is None else after


def evolve(state: Container | None, event: RecordedEvent) -> Container:
    """Apply one event to a container's state (``None`` before its first event)."""
    status = None if state is None else S(state.status)
    try:
        after = check_step(event.stream, status, event.type)
    except IllegalTransition as exc:
        # The log only ever holds legal sequences; finding otherwise means it was written around the ledger.
        raise LedgerIntegrityError(f"event {event.seq}: {exc.message}") from exc
    p = event.payload
    if state is None:
        state = Container(
            code=event.stream,
            generator_uscc=p["generator"],
            division=p["division"],
            waste_code=p["waste_code"],
            category=p["category"],
            medical=p["medical"],
            status=S.REGISTERED,
            custodian_uscc=p["generator"],
            weight_g=kg_to_g(p["weight_kg"]),
            packaging=p["packaging"],
            volume_ml=int(p["volume_ml"]),
            form=p["form"],
            packed_on=date.fromisoformat(p["packed_on"]),
            registered_at=event.occurred_at,
            version=0,
        )
    match event.type:
        case "container.voided":
            state.voided_at = event.occurred_at
        case "container.collected":
            state.custodian_uscc = p["transporter"]
            state.shipment_number = p["shipment"]
            state.plant_uscc = p.get("plant")
            state.collected_at = event.occurred_at
            state.received_at = None
            state.received_weight_g = None
        case "container.received":
            state.custodian_uscc = p["plant"]
            state.plant_uscc = p["plant"]
            state.received_at = event.occurred_at
            state.received_weight_g = kg_to_g(p["weight_kg"])
        case "container.refused":
            state.custodian_uscc = p.get("transporter") or state.custodian_uscc
        case "container.returned":
            state.custodian_uscc = state.generator_uscc
            state.plant_uscc = None
        case "container.disposed":
            state.disposed_at = event.occurred_at
            state.method = p["method"]
        case "container.labelled":
            state.labelled = True
        case "container.corrected":
            fields = p["fields"]
            if "weight_kg" in fields:
                state.weight_g = kg_to_g(fields["weight_kg"])
            if "received_weight_kg" in fields:
                state.received_weight_g = kg_to_g(fields["received_weight_kg"])
            if "packaging" in fields:
                state.packaging = fields["packaging"]
            if "volume_ml" in fields:
                state.volume_ml = int(fields["volume_ml"])
    state.status = str(after)
    state.version = event.version
    return state


def fold(events: Iterable[RecordedEvent]) -> Container | None:
    """A container's state from its whole stream."""
    state: Container | None = None
    for event in events:
        if state is not None and event.version != state.version + 1:
            raise LedgerIntegrityError(f"{event.stream}: version {event.version} follows {state.version}")
        state = evolve(state, event)
    return state
