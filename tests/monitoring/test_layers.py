"""The ledger writes outbox rows; only jobs/ talks to the network. No I/O adapter in ledger/."""

from __future__ import annotations

from pathlib import Path

from tests.test_architecture import ROOT, imported_modules

#: Network and mail clients belong to the delivery adapters in jobs/.
IO_ADAPTERS = frozenset({"httpx", "smtplib", "aiosmtplib", "aiosmtpd", "requests", "aiohttp"})


def test_the_ledger_imports_no_network_or_mail_client() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "ledger").rglob("*.py"))
        for name in sorted(imported_modules(path) & IO_ADAPTERS)
    ]
    assert not offences, "\n".join(offences)


def test_the_delivery_adapters_live_in_jobs() -> None:
    adapters = imported_modules(Path(ROOT / "jobs" / "channels.py"))
    assert {"httpx", "smtplib"} <= adapters
