"""The CJK font labels and manifests are set in: an embedded TrueType font when one is found, else STSong-Light."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)

ENV_VAR: Final = "WASTELEDGER_CJK_FONT"
FALLBACK_FONT: Final = "STSong-Light"

# Known TrueType-outline CJK fonts, best first. Noto Sans/Serif CJK and Source Han are CFF-outline OpenType,
# which reportlab cannot embed, so they are not listed (and are skipped if configured).
KNOWN_FONT_FILES: Final[tuple[str, ...]] = (
    "wqy-zenhei.ttc",  # WenQuanYi Zen Hei, Debian/Ubuntu fonts-wqy-zenhei
    "wqy-microhei.ttc",
    "uming.ttc",  # AR PL UMing, fonts-arphic-uming
    "ukai.ttc",
    "simsun.ttc",  # Windows
    "msyh.ttc",  # Microsoft YaHei
    "msyh.ttf",
    "DroidSansFallbackFull.ttf",
)
DEFAULT_SEARCH_DIRS: Final[tuple[str, ...]] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)


@dataclass(frozen=True, slots=True)
class FontChoice:
    """The font registered with reportlab: `name` is what `setFont` takes; `embedded` is False for the fallback."""

    name: str
    path: Path | None
    embedded: bool
    subfont_index: int = 0


_lock = threading.Lock()
_chosen: dict[tuple[str | None, tuple[str, ...]], FontChoice] = {}
_registered: dict[tuple[Path, int], str] = {}


def _outline_kind(path: Path, subfont_index: int) -> bytes:
    """Return the sfnt version tag of the (sub)font: b'\\x00\\x01\\x00\\x00' or b'true' is TrueType, b'OTTO' CFF."""
    with path.open("rb") as f:
        head = f.read(12 + 4 * (subfont_index + 1))
        if head[:4] != b"ttcf":
            return head[:4]
        offset_at = 12 + 4 * subfont_index
        offset = int.from_bytes(head[offset_at : offset_at + 4], "big")
        f.seek(offset)
        return f.read(4)


def _register(path: Path, subfont_index: int) -> FontChoice | None:
    key = (path, subfont_index)
    if key in _registered:
        return FontChoice(_registered[key], path, True, subfont_index)
    try:
        kind = _outline_kind(path, subfont_index)
    except OSError as exc:
        logger.warning("CJK font %s is unreadable: %s", path, exc)
        return None
    if kind == b"OTTO":
        logger.warning("CJK font %s has CFF (PostScript) outlines, which reportlab cannot embed; skipped", path)
        return None
    name = f"WLCJK-{path.stem}-{subfont_index}"
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=subfont_index))
    except (TTFError, OSError, ValueError) as exc:
        logger.warning("CJK font %s could not be loaded: %s", path, exc)
        return None
    _registered[key] = name
    logger.info("CJK font: embedding %s (subfont %d) as %s", path, subfont_index, name)
    return FontChoice(name, path, True, subfont_index)


def find_font_file(search_dirs: Iterable[str | Path]) -> Path | None:
    """Return the best known CJK TrueType font file under `search_dirs`, or None."""
    found: dict[str, Path] = {}
    wanted = {name.lower(): name for name in KNOWN_FONT_FILES}
    for directory in search_dirs:
        root = Path(directory).expanduser()
        if not root.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(root):
            for file in files:
                known = wanted.get(file.lower())
                if known is not None and known not in found:
                    found[known] = Path(dirpath) / file
    for name in KNOWN_FONT_FILES:
        if name in found:
            return found[name]
    return None


def _fallback() -> FontChoice:
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FontChoice(FALLBACK_FONT, None, False)


def cjk_font(path: str | Path | None = None, *, search_dirs: Sequence[str | Path] | None = None) -> FontChoice:
    """Register (once per process) and return the CJK font: `path`, else $WASTELEDGER_CJK_FONT, else a search."""
    configured = str(path) if path is not None else os.environ.get(ENV_VAR) or None
    dirs = tuple(str(d) for d in (DEFAULT_SEARCH_DIRS if search_dirs is None else search_dirs))
    key = (configured, dirs)
    with _lock:
        if key in _chosen:
            return _chosen[key]
        choice: FontChoice | None = None
        if configured is not None:
            # "file.ttc:2" picks another face of a collection.
            file, sep, index = configured.rpartition(":")
            if not (sep and index.isdigit()):
                file, index = configured, "0"
            candidate = Path(file).expanduser()
            if candidate.is_file():
                choice = _register(candidate, int(index))
            else:
                logger.error("configured CJK font %s does not exist; searching the system fonts", candidate)
        if choice is None:
            found = find_font_file(dirs)
            if found is not None:
                choice = _register(found, 0)
        if choice is None:
            logger.warning(
                "no CJK TrueType font found (set %s or install fonts-wqy-zenhei); falling back to %s, which is "
                "not embedded: viewers without Chinese fonts will show empty boxes",
                ENV_VAR,
                FALLBACK_FONT,
            )
            choice = _fallback()
        _chosen[key] = choice
        return choice
