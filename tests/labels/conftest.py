"""Shared inputs for the label tests: fictional records and the font actually registered."""

from __future__ import annotations

import pytest

from labels.examples import BASE_URL
from labels.fonts import FontChoice, cjk_font


@pytest.fixture(scope="session")
def base_url() -> str:
    return BASE_URL


@pytest.fixture(scope="session")
def font() -> FontChoice:
    return cjk_font()
