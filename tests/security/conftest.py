"""Security tests use the in-process app of tests/routes (a token per demo user) and the real server of
tests/reliability (for what the process logs and prints)."""

from __future__ import annotations

from tests.reliability.conftest import live
from tests.routes.conftest import api

__all__ = ["api", "live"]
