"""Who acts: every event records the organisation and the user behind it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    GENERATOR = "generator"
    TRANSPORTER = "transporter"
    PLANT_OPERATOR = "plant_operator"
    REGULATOR = "regulator"
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated party: its organisation (USCC), the user, the role and, for regulators, the
    jurisdiction (a division code; the city's code sees the whole city)."""

    org: str | None
    user: str | None
    role: Role
    jurisdiction: str | None = None

    @property
    def is_privileged(self) -> bool:
        """Admins and the system itself act on behalf of any party (fixtures, migrations, corrections)."""
        return self.role in (Role.ADMIN, Role.SYSTEM)


SYSTEM = Actor(org=None, user="system", role=Role.SYSTEM)
