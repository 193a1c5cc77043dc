"""Settings of the browser-facing pages (dashboard, login, public verification), read from ``WASTELEDGER_*``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Cookie, refresh and rate-limit settings (safe defaults for the embedded demo on http://127.0.0.1)."""

    #: Mark the session cookie ``Secure`` (sent over HTTPS only). Off by default because the demo serves plain
    #: HTTP on 127.0.0.1; turn it on behind TLS.
    cookie_secure: bool = False
    #: How long a browser session lasts (a working day).
    session_hours: int = 12
    #: Dashboard pages refresh their figures this often (seconds), without a full reload.
    refresh_seconds: int = 60
    #: Public verification pages (/v/…, /m/…): requests per minute and client address.
    public_per_minute: int = 60
    #: Login form submissions per minute and client address (on top of the per-account lockout).
    login_per_minute: int = 30

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WebSettings:
        env = dict(os.environ if environ is None else environ)
        p = "WASTELEDGER_"
        default = cls()
        return cls(
            cookie_secure=_flag(env.get(p + "COOKIE_SECURE"), default.cookie_secure),
            session_hours=int(env.get(p + "SESSION_HOURS", default.session_hours)),
            refresh_seconds=int(env.get(p + "DASHBOARD_REFRESH_SECONDS", default.refresh_seconds)),
            public_per_minute=int(env.get(p + "PUBLIC_RATE_LIMIT", default.public_per_minute)),
            login_per_minute=int(env.get(p + "LOGIN_RATE_LIMIT", default.login_per_minute)),
        )
