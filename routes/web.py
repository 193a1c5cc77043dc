"""The browser side of the app: templates, static files, login, the dashboard and the public pages.

None of it is in the OpenAPI schema (``include_in_schema=False``): the schema describes the JSON API, and
tools that walk it (fuzzers, client generators) should not find HTML forms there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Router, get
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from ledger.catalogue import Catalogue
from routes.dashboard import DashboardController
from routes.public_pages import public_router
from routes.sessions import BROWSER, html_exception_handlers, login_page, login_rate_limit, login_submit, logout
from routes.web_settings import WebSettings

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _tonnes(value: Decimal | float | None, places: int = 2) -> str:
    return "—" if value is None else f"{Decimal(value):,.{places}f}"


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{Decimal(value) * 100:.0f}%"


def template_config(tz: ZoneInfo, catalogue: Catalogue) -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja with autoescaping, and filters that speak local time, the ledger's units and division names."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), trim_blocks=True
    )

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if moment is None else moment.astimezone(tz).strftime(fmt)

    def division_name(code: str) -> str:
        known = catalogue.divisions.get(code)
        return f"{known.name_zh} ({code})" if known else code

    environment.filters.update(local=local, tonnes=_tonnes, pct=_pct)
    environment.globals.update(division_name=division_name)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


@get("/", opt=BROWSER, include_in_schema=False, name="home")
async def home() -> Redirect:
    """People who open the server's address land on the dashboard (or its login)."""
    return Redirect("/dashboard", status_code=303)


def web_handlers(settings: WebSettings) -> list[ControllerRouterHandler]:
    dashboard_errors: Any = html_exception_handlers("error.html")
    login = Router(
        path="/",
        route_handlers=[login_page, login_submit, logout, home],
        middleware=[login_rate_limit(settings).middleware],
        exception_handlers=dashboard_errors,
        opt=BROWSER,
        include_in_schema=False,
    )
    dashboard = Router(
        path="/",
        route_handlers=[DashboardController],
        exception_handlers=dashboard_errors,
        opt=BROWSER,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt=BROWSER,
        cache_control=CacheControlHeader(max_age=3600),
        include_in_schema=False,
    )
    return [login, dashboard, public_router(settings), static]
