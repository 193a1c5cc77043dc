"""Who sees what: the visibility policy, as pure functions of an :class:`~ledger.actors.Actor`.

The same rule is written twice on purpose, once as a SQL filter (lists) and once as a predicate over a loaded row
(single reads and writes), and a test holds the two together. A row outside the actor's scope must look exactly
like a row that does not exist: callers raise the same :class:`~ledger.errors.NotFound` for both.

| role           | containers                                                   | organisations' contact details  |
|----------------|--------------------------------------------------------------|---------------------------------|
| generator      | its own (generator = its organisation)                       | its own                         |
| transporter    | those in its custody or carried on its shipments             | its own                         |
| plant_operator | those consigned to it or in its custody                      | its own                         |
| regulator      | those generated in its jurisdiction (500000: the whole city) | those in its jurisdiction       |
| admin, system  | all                                                          | all                             |
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlmodel import col

from ledger.actors import Actor, Role
from ledger.catalogue import Catalogue
from ledger.tables import Container, Organisation, Shipment


@lru_cache(maxsize=256)
def covered_divisions(catalogue: Catalogue, jurisdiction: str) -> frozenset[str]:
    """Every division of the catalogue that a regulator of ``jurisdiction`` oversees (itself included).

    Organisations are only ever registered with a catalogue division, so this finite set is exact; it lets the
    SQL filter and the row predicate share one definition (``Catalogue.jurisdiction_covers``).
    """
    return frozenset(
        {jurisdiction} | {code for code in catalogue.divisions if catalogue.jurisdiction_covers(jurisdiction, code)}
    )


def regulator_covers(actor: Actor, division: str, catalogue: Catalogue) -> bool:
    """Is ``actor`` a regulator whose jurisdiction includes ``division``?"""
    return (
        actor.role == Role.REGULATOR
        and actor.jurisdiction is not None
        and division in covered_divisions(catalogue, actor.jurisdiction)
    )


# --- containers ---------------------------------------------------------------------------------------------


def container_filter(actor: Actor, catalogue: Catalogue) -> ColumnElement[bool]:
    """A WHERE clause on the container projection selecting exactly what ``actor`` may see."""
    if actor.is_privileged:
        return true()
    if actor.role == Role.REGULATOR:
        if actor.jurisdiction is None:
            return false()
        return col(Container.division).in_(sorted(covered_divisions(catalogue, actor.jurisdiction)))
    if actor.org is None:
        return false()
    if actor.role == Role.GENERATOR:
        return col(Container.generator_uscc) == actor.org
    if actor.role == Role.PLANT_OPERATOR:
        return or_(col(Container.plant_uscc) == actor.org, col(Container.custodian_uscc) == actor.org)
    if actor.role == Role.TRANSPORTER:
        # Custody alone would hide what a carrier delivered yesterday; its own manifests keep it in view.
        carried = select(col(Shipment.number)).where(col(Shipment.transporter_uscc) == actor.org)
        return or_(col(Container.custodian_uscc) == actor.org, col(Container.shipment_number).in_(carried))
    return false()


def can_see_container(
    actor: Actor, row: Container, catalogue: Catalogue, *, shipment_transporter: str | None = None
) -> bool:
    """The row predicate equal to :func:`container_filter`; ``shipment_transporter`` is the carrier named on
    the container's current shipment (only transporters need it)."""
    if actor.is_privileged:
        return True
    if actor.role == Role.REGULATOR:
        return regulator_covers(actor, row.division, catalogue)
    if actor.org is None:
        return False
    if actor.role == Role.GENERATOR:
        return row.generator_uscc == actor.org
    if actor.role == Role.PLANT_OPERATOR:
        return actor.org in (row.plant_uscc, row.custodian_uscc)
    if actor.role == Role.TRANSPORTER:
        return actor.org in (row.custodian_uscc, shipment_transporter)
    return False


# --- organisations and plants -------------------------------------------------------------------------------


def can_see_organisation_details(actor: Actor, org: Organisation, catalogue: Catalogue) -> bool:
    """Name, kind, division and USCC are public; address, contact and phone are for the organisation itself,
    the regulators overseeing it and administrators."""
    return actor.is_privileged or actor.org == org.uscc or regulator_covers(actor, org.division, catalogue)


def can_switch_plant(actor: Actor, plant_division: str, catalogue: Catalogue) -> bool:
    """Emergency lines are switched on and off by the regulator overseeing the plant (or an administrator)."""
    return actor.is_privileged or regulator_covers(actor, plant_division, catalogue)


# --- shipments ----------------------------------------------------------------------------------------------


def can_see_shipment(actor: Actor, row: Shipment, catalogue: Catalogue) -> bool:
    """A manifest is seen by its three parties, by the regulators overseeing its origin or destination, and
    by administrators."""
    if actor.is_privileged:
        return True
    if actor.role == Role.REGULATOR:
        return regulator_covers(actor, row.origin_division, catalogue) or regulator_covers(
            actor, row.destination_division, catalogue
        )
    return actor.org is not None and actor.org in (row.generator_uscc, row.transporter_uscc, row.receiver_uscc)


def shipment_filter(actor: Actor, catalogue: Catalogue) -> ColumnElement[bool]:
    """The SQL form of :func:`can_see_shipment`."""
    if actor.is_privileged:
        return true()
    if actor.role == Role.REGULATOR:
        divisions = sorted(covered_divisions(catalogue, actor.jurisdiction or ""))
        return or_(col(Shipment.origin_division).in_(divisions), col(Shipment.destination_division).in_(divisions))
    if actor.org is None:
        return false()
    return or_(
        col(Shipment.generator_uscc) == actor.org,
        col(Shipment.transporter_uscc) == actor.org,
        col(Shipment.receiver_uscc) == actor.org,
    )
