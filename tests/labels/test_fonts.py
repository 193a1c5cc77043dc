"""The CJK font: an embedded TrueType font when one exists, else STSong-Light with a warning."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from labels.container import render_label
from labels.examples import BASE_URL, example_label
from labels.fonts import (
    DEFAULT_SEARCH_DIRS,
    ENV_VAR,
    FALLBACK_FONT,
    KNOWN_FONT_FILES,
    FontChoice,
    cjk_font,
    find_font_file,
)
from tests.labels.pdfimage import text

SYSTEM_FONT = find_font_file(DEFAULT_SEARCH_DIRS)
needs_system_font = pytest.mark.skipif(SYSTEM_FONT is None, reason="no CJK TrueType font installed (fonts-wqy-zenhei)")


def _font_files(pdf: bytes) -> dict[str, set[str]]:
    """Base font name -> the FontFile keys its descriptor carries (empty set: not embedded)."""
    out: dict[str, set[str]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        fonts: Any = resources["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            keys = set(descriptor.get_object().keys()) if descriptor is not None else set()
            out[str(font["/BaseFont"])] = {k for k in keys if k.startswith("/FontFile")}
    return out


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@needs_system_font
def test_system_font_is_found_registered_once_and_embedded(no_env: None) -> None:
    choice = cjk_font()
    assert choice.embedded
    assert choice.path is not None and choice.path.name in KNOWN_FONT_FILES
    assert cjk_font() is choice
    pdf = render_label(example_label(), BASE_URL, font=choice)
    files = _font_files(pdf)
    cjk = {name: keys for name, keys in files.items() if name != "/Helvetica"}
    assert cjk, files
    assert all(keys == {"/FontFile2"} for keys in cjk.values()), files
    assert "感染性废物" in text(pdf)[0]


@needs_system_font
@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_reports_embedded(no_env: None, tmp_path: Path) -> None:
    path = tmp_path / "label.pdf"
    path.write_bytes(render_label(example_label(), BASE_URL))
    report = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in report.splitlines()[2:] if line.strip()]
    truetype = [row for row in rows if "TrueType" in row]
    assert truetype, report
    # columns: name type [encoding…] emb sub uni object ID; "emb" is the fifth field from the end
    assert all(row[-5] == "yes" for row in truetype), report


def test_fallback_when_no_truetype_font(no_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="labels.fonts"):
        choice = cjk_font(search_dirs=[tmp_path])
    assert choice == FontChoice(FALLBACK_FONT, None, False)
    assert any("falling back to STSong-Light" in r.getMessage() for r in caplog.records)
    pdf = render_label(example_label(), BASE_URL, font=choice)
    page_text = text(pdf)[0]
    assert "感染性废物" in page_text and "医疗废物" in page_text
    assert _font_files(pdf) == {"/Helvetica": set(), "/STSong-Light": set()}


@needs_system_font
def test_configured_path_wins_over_search(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert SYSTEM_FONT is not None
    monkeypatch.setenv(ENV_VAR, f"{SYSTEM_FONT}:0")
    choice = cjk_font(search_dirs=[tmp_path])
    assert choice.embedded and choice.path == SYSTEM_FONT and choice.subfont_index == 0
    monkeypatch.delenv(ENV_VAR)
    assert cjk_font(SYSTEM_FONT, search_dirs=[tmp_path]).path == SYSTEM_FONT


def test_cff_font_is_skipped(no_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    otf = tmp_path / "NotoSansCJK-Regular.otf"
    otf.write_bytes(b"OTTO" + bytes(64))
    with caplog.at_level(logging.WARNING, logger="labels.fonts"):
        choice = cjk_font(otf, search_dirs=[tmp_path])
    assert not choice.embedded
    assert any("CFF" in r.getMessage() for r in caplog.records)


@needs_system_font
def test_missing_configured_path_falls_back_to_search(
    no_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert SYSTEM_FONT is not None
    fonts = tmp_path / "fonts" / "truetype"
    fonts.mkdir(parents=True)
    (fonts / SYSTEM_FONT.name).symlink_to(SYSTEM_FONT)
    with caplog.at_level(logging.ERROR, logger="labels.fonts"):
        choice = cjk_font(tmp_path / "nowhere.ttf", search_dirs=[tmp_path])
    assert choice.embedded and choice.path == fonts / SYSTEM_FONT.name
    assert any("does not exist" in r.getMessage() for r in caplog.records)
