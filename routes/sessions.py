"""Browser sessions: login and logout, the session cookie, CSRF tokens, and the HTML error pages.

The JSON API keeps its bearer tokens (routes/auth.py) and is untouched by anything here: these routes opt out
of the bearer middleware and authenticate by the session cookie instead.

CSRF: a form's token is an HMAC of the session's own secret (``csrf_token_for``). A page from another site can
make the browser send the cookie (SameSite=Lax already stops that for POSTs) but cannot read the page, so it
cannot know the token; and since the token is derived from the session, it needs no server-wide secret that
workers would have to share or that a restart would change. The login form, before there is a session, uses a
double-submit nonce: a random value in a cookie and in the form, which must match. Litestar's app-wide
``CSRFConfig`` would do the same with a signing secret, and would sit in front of every route including the API.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from ledger import errors
from ledger.accounts import Unauthenticated
from ledger.actors import Actor, Role
from ledger.logins import LockedOut, LoginFailed, log_in, log_out, session_actor
from ledger.unit_of_work import Database
from routes.problems import status_of
from routes.web_settings import WebSettings

log = logging.getLogger("wasteledger.web")

SESSION_COOKIE = "wl_session"
LOGIN_COOKIE = "wl_login"
#: Route option: skip the bearer-token middleware (these routes authenticate by cookie, or not at all).
BROWSER = {"exclude_from_auth": True}


class LoginRequired(Exception):
    """No valid session: send the browser to the login page, then back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CSRFFailed(PermissionDeniedException):
    """A form posted without the token of the session it claims to come from."""


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: an HMAC keyed by the session's secret (see the module docstring)."""
    return hmac.new(session_token.encode(), b"wasteledger-csrf-v1", hashlib.sha256).hexdigest()


def check_csrf(request: Request[Any, Any, Any], submitted: str | None) -> None:
    """Refuse a form whose token is not the one of the session cookie sent with it."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not submitted or not hmac.compare_digest(csrf_token_for(token), submitted):
        raise CSRFFailed("this form is out of date or did not come from this site: reload the page and try again")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person at the browser: the actor the ledger sees, and the token their forms must carry."""

    actor: Actor
    csrf_token: str

    @property
    def username(self) -> str:
        return self.actor.user or ""


def web_settings(request: Request[Any, Any, Any]) -> WebSettings:
    settings: WebSettings = request.app.state.web
    return settings


async def provide_viewer(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Viewer:
    """The logged-in regulator or administrator; anybody else is sent to log in, or refused."""
    token = request.cookies.get(SESSION_COOKIE)
    try:
        actor = await session_actor(db.uow(), token)
    except Unauthenticated:
        # After logging in, come back to the page; a form posted with a dead session cannot be replayed.
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path if request.method == "GET" else "/dashboard") from None
    if not (actor.is_privileged or (actor.role == Role.REGULATOR and actor.jurisdiction is not None)):
        raise PermissionDeniedException(
            f"the dashboard is for regulators and administrators; {actor.user} acts as {actor.role}"
        )
    assert token is not None
    return Viewer(actor=actor, csrf_token=csrf_token_for(token))


# --- login and logout ---------------------------------------------------------------------------------------


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""
    csrf_token: str = ""
    next: str = ""


@dataclass
class CsrfForm:
    csrf_token: str = ""


def safe_next(path: str | None) -> str:
    """Where to go after login: a path of this site only (never ``//host`` or a full URL: no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/dashboard"
    return "/dashboard" if any(ord(character) < 32 for character in path) else path


def _login_page(
    request: Request[Any, Any, Any],
    *,
    next_path: str,
    error: str = "",
    notice: str = "",
    status: int = 200,
    username: str = "",
) -> Template:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or len(nonce) != 43:
        nonce = secrets.token_urlsafe(32)
    settings = web_settings(request)
    return Template(
        "login.html",
        context={"login_nonce": nonce, "next": next_path, "error": error, "notice": notice, "username": username},
        status_code=status,
        cookies=[
            Cookie(
                key=LOGIN_COOKIE,
                value=nonce,
                path="/login",
                httponly=True,
                samesite="lax",
                secure=settings.cookie_secure,
                max_age=3600,
            )
        ],
    )


@get("/login", opt=BROWSER, include_in_schema=False, name="login")
async def login_page(
    request: Request[Any, Any, Any], db: NamedDependency[Database], next: FromQuery[str | None] = None
) -> Response[Any]:
    """The login form (already logged in: straight to the dashboard)."""
    try:
        await session_actor(db.uow(), request.cookies.get(SESSION_COOKIE))
    except Unauthenticated:
        bye = "已退出 · logged out" if request.query_params.get("bye") else ""
        return _login_page(request, next_path=safe_next(next), notice=bye)
    return Redirect(safe_next(next), status_code=303)


@post("/login", opt=BROWSER, include_in_schema=False, status_code=303)
async def login_submit(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    """Check the password; on success set the session cookie and go where the user was heading."""
    nonce = request.cookies.get(LOGIN_COOKIE)
    next_path = safe_next(data.next)
    if not nonce or not data.csrf_token or not hmac.compare_digest(nonce, data.csrf_token):
        return _login_page(
            request,
            next_path=next_path,
            status=403,
            error="登录表单已过期，请重试 · the login form expired or came from elsewhere: please try again",
        )
    settings = web_settings(request)
    client = request.client.host if request.client else ""
    try:
        issued = await log_in(db.uow(), data.username, data.password, client=client, ttl=settings.session_ttl)
    except LockedOut as exc:
        until = exc.until.astimezone(db.settings.timezone).strftime("%Y-%m-%d %H:%M")
        return _login_page(
            request,
            next_path=next_path,
            status=423,
            username=data.username,
            error=f"密码错误次数过多，账户锁定至 {until} · too many wrong passwords: locked until {until}",
        )
    except LoginFailed:
        return _login_page(
            request,
            next_path=next_path,
            status=401,
            username=data.username,
            error="用户名或密码错误 · wrong username or password",
        )
    response = Redirect(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(settings.session_ttl.total_seconds()),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@post("/logout", opt=BROWSER, include_in_schema=False, status_code=303)
async def logout(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    data: Annotated[CsrfForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    """End the session (the cookie stops working at once, server-side) and clear the cookie."""
    check_csrf(request, data.csrf_token)
    await log_out(db.uow(), request.cookies.get(SESSION_COOKIE))
    response = Redirect("/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def login_rate_limit(settings: WebSettings) -> RateLimitConfig:
    """Login submissions per client address (GETs of the form are not counted)."""

    def posts_only(request: Request[Any, Any, Any]) -> bool:
        return request.method == "POST"

    return RateLimitConfig(
        rate_limit=("minute", settings.login_per_minute), check_throttle_handler=posts_only, store="login_rate_limit"
    )


# --- HTML error pages ---------------------------------------------------------------------------------------

_TITLES = {
    400: ("请求有误", "Bad request"),
    401: ("需要登录", "Login required"),
    403: ("无权访问", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("不支持的操作", "Method not allowed"),
    409: ("状态冲突", "Conflict"),
    422: ("无法处理", "Cannot be done"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("服务器错误", "Server error"),
}


def _status_and_detail(request: Request[Any, Any, Any], exc: Exception) -> tuple[int, str]:
    if isinstance(exc, errors.LedgerError):
        status = status_of(exc)
        if status < 500:
            return status, exc.message
    elif isinstance(exc, HTTPException):
        if exc.status_code == 400:
            # Validation messages name internals (field paths); a plain sentence serves a person better.
            return 400, "这个地址或表单的内容无法识别 · the address or form could not be read"
        if exc.status_code == 429:
            return 429, "请稍后再试 · too many requests from your address: wait a minute and try again"
        if exc.status_code < 500:
            return exc.status_code, str(exc.detail)
    request_id = uuid.uuid4().hex
    log.exception("page %s %s %s failed", request_id, request.method, request.url.path, exc_info=exc)
    return 500, f"服务器出错，已记录 · the server failed; the fault is logged under {request_id}"


def html_error_handler(template: str) -> Callable[[Request[Any, Any, Any], Exception], Response[Any]]:
    """An exception handler rendering ``template`` with a status, a bilingual title and a sentence."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if isinstance(exc, LoginRequired):
            target = f"/login?next={quote(exc.next_path, safe='/')}"
            if request.headers.get("hx-request"):
                # htmx would swap the login page into the dashboard; tell it to navigate instead.
                return Response(b"", status_code=200, headers={"HX-Redirect": target})
            return Redirect(target, status_code=303)
        if isinstance(exc, NotAuthorizedException):
            return Redirect("/login", status_code=303)
        status, detail = _status_and_detail(request, exc)
        zh, en = _TITLES.get(status, ("出错了", "Error"))
        headers: Mapping[str, str] | None = None
        if isinstance(exc, HTTPException) and exc.headers:
            headers = {k: v for k, v in exc.headers.items() if k.lower().startswith(("ratelimit", "retry-after"))}
        return Template(
            template,
            context={"status": status, "title_zh": zh, "title_en": en, "detail": detail},
            status_code=status,
            headers=dict(headers or {}),
        )

    return handle


def html_exception_handlers(template: str) -> dict[type[Exception] | int, Any]:
    handler = html_error_handler(template)
    return {LoginRequired: handler, errors.LedgerError: handler, HTTPException: handler, Exception: handler}
