"""Copy the browser tests' screenshots into docs/img/ (reduced to 256 colours: a tenth of the size, same look).

    .venv/bin/pytest -m browser tests/web/test_browser.py && .venv/bin/python scripts/dashboard_screenshots.py

The browser tests drive the real server on the demo data and save every page they check in
test-artefacts/browser/; this script picks the ones docs/dashboard.md shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "test-artefacts" / "browser"
IMAGES = ROOT / "docs" / "img"

#: test screenshot → docs/img name
PICKED = {
    "login-locked": "dashboard-login-locked",
    "capacity": "dashboard-capacity",
    "capacity-111": "dashboard-capacity-111",
    "clearing": "dashboard-clearing",
    "clearing-drill-down": "dashboard-clearing-drill-down",
    "transfers": "dashboard-transfers",
    "alerts": "dashboard-alerts",
    "manifest": "dashboard-manifest",
    "container": "dashboard-container",
    "district-capacity": "dashboard-district-capacity",
    "capacity-print": "dashboard-capacity-print",
    "public-container": "public-container",
    "public-manifest": "public-manifest",
    "public-error": "public-error",
}


def main() -> int:
    missing = [name for name in PICKED if not (SOURCE / f"{name}.png").is_file()]
    if missing:
        print(f"run the browser tests first; missing in {SOURCE}: {', '.join(missing)}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, target in PICKED.items():
        with Image.open(SOURCE / f"{name}.png") as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(IMAGES / f"{target}.png", optimize=True)
        print(f"docs/img/{target}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
