"""Canonical encoding and hashing: the same facts always give the same bytes, on every backend."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds: the form hashed (both backends keep microseconds exactly)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be hashed")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Normalised so that 12.50 and 12.5 hash alike; no exponent form.
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text kept as is, Decimal and datetimes as fixed strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(
    *,
    stream: str,
    version: int,
    type: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor_org: str | None,
    actor_user: str | None,
    payload: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the event's header and its stored payload text, byte for byte."""
    header = canonical_json(
        {
            "stream": stream,
            "version": version,
            "type": type,
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
            "actor_org": actor_org,
            "actor_user": actor_user,
            "prev_hash": prev_hash,
        }
    )
    return sha256_text(header + "\n" + payload)


def checkpoint_hash(
    *,
    first_seq: int,
    last_seq: int,
    event_count: int,
    events_digest: str,
    created_at: datetime,
    prev_hash: str,
) -> str:
    return sha256_text(
        canonical_json(
            {
                "first_seq": first_seq,
                "last_seq": last_seq,
                "event_count": event_count,
                "events_digest": events_digest,
                "created_at": created_at,
                "prev_hash": prev_hash,
            }
        )
    )


def mapping_digest(value: Mapping[str, Any]) -> str:
    """Hash of any mapping's canonical form (e.g. a manifest's printed content)."""
    return sha256_text(canonical_json(value))
