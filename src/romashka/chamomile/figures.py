"""The petals and the registry of their health figures: each figure a definition and a function of the scope and a date.

A figure whose data the product does not collect yet (client NPS, eNPS, partner satisfaction, royalties,
delivery quality) is registered without a function and shows "no data yet"; the app that starts collecting
it calls `figure_provider_set` and the figure appears everywhere (page, API, exports, targets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from romashka.core.access import Capability, Scope


class Petal(models.TextChoices):
    GUESTS = "guests", _("guests")
    EMPLOYEES = "employees", _("employees")
    FRANCHISE = "franchise", _("franchise partners")
    SUPPLIERS = "suppliers", _("suppliers and business partners")
    INVESTORS = "investors", _("investors")
    COMMUNITY = "community", _("community and the state")


# The petals' own hues (STYLE: petals have their own hues; health is shown by the ring and the chip).
PETAL_COLOURS = {
    Petal.GUESTS: "#f4c542",
    Petal.EMPLOYEES: "#7cb9e8",
    Petal.FRANCHISE: "#c39bd3",
    Petal.SUPPLIERS: "#f0a868",
    Petal.INVESTORS: "#76c7a0",
    Petal.COMMUNITY: "#f28fad",
}


class Unit(models.TextChoices):
    CLIENTS = "clients", _("clients")
    PEOPLE = "people", _("people")
    PERCENT = "percent", _("%")
    ROUBLES = "roubles", "₽"
    MONTHS = "months", _("months")
    COUNT = "count", _("pcs.")
    SCORE = "score", _("points")


@dataclass(frozen=True)
class FigureContext:
    """What a figure function gets: whose data (the scope) and on which day (figures over a year end on it)."""

    scope: Scope
    as_of: date
    # Figures of one petal share their query (active clients and the share of fans, the three community
    # figures): the first computes it, the others read it here.
    shared: dict = field(default_factory=dict, compare=False, repr=False)
    # What the contexts of one page share whatever their day (the facts' state, the scope's locations):
    # read once per page, not once per month. A provider may keep its own day-independent reads here.
    common: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def organisation_id(self) -> int:
        return self.scope.organisation_id

    def once(self, key: str, compute: Callable[[], object]):
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]

    def once_per_page(self, key: str, compute: Callable[[], object]):
        if key not in self.common:
            self.common[key] = compute()
        return self.common[key]


FigureFunction = Callable[[FigureContext], Decimal | None]


@dataclass
class Figure:
    key: str
    petal: Petal
    label: object  # a lazy translation
    definition: object
    unit: Unit
    higher_is_better: bool = True
    compute: FigureFunction | None = None
    # Shown when compute is None: where the figure will come from.
    missing: object = field(default=_("No data yet: the product does not collect it yet."))
    # Set by figure_provider_set: another app computes it (counted in the page's query bound).
    provided: bool = False

    @property
    def has_provider(self) -> bool:
        return self.compute is not None


FIGURES: dict[str, Figure] = {}


def figure_register(figure: Figure) -> Figure:
    if figure.key in FIGURES:
        raise ValueError(f"figure {figure.key!r} is registered twice")
    FIGURES[figure.key] = figure
    return figure


# A provider's budget: the chamomile page computes every figure for two months (the month and the one
# before, for the trend) and stays within PAGE_QUERIES + this many queries per provided figure and month
# (tests/chamomile assert it). A provider with more to read shares it through FigureContext.once/once_per_page.
PROVIDER_QUERIES_PER_MONTH = 2


def figure_provider_set(key: str, compute: FigureFunction | None) -> None:
    """Gives a registered figure its function (the feedback app does this for NPS and eNPS); None takes it back."""
    FIGURES[key].compute = compute
    FIGURES[key].provided = compute is not None


def petal_figures(petal: Petal) -> list[Figure]:
    return [figure for figure in FIGURES.values() if figure.petal == petal]


def petals_visible(scope: Scope) -> list[Petal]:
    """Which petals a scope may see: a franchise partner sees its own guests, staff, locations, suppliers'
    orders and community work; the network's investors only roles that see partners."""
    petals = []
    if scope.can(Capability.VIEW_CLIENTS):
        petals.append(Petal.GUESTS)
    if scope.can(Capability.VIEW_STAFF):
        petals.append(Petal.EMPLOYEES)
    if scope.can(Capability.VIEW_PARTNERS) or is_partner_scope(scope):
        petals += [Petal.FRANCHISE, Petal.SUPPLIERS]
    if scope.can(Capability.VIEW_PARTNERS) and scope.sees_all_locations:
        petals.append(Petal.INVESTORS)
    if scope.can(Capability.VIEW_DASHBOARD):
        petals.append(Petal.COMMUNITY)
    return petals


def can_manage_initiatives(scope: Scope) -> bool:
    """Community work is the network's outreach: the roles that see every partner and run the touches (the
    owner and the CRM manager) record, edit and delete initiatives."""
    return scope.sees_all_locations and scope.can(Capability.VIEW_PARTNERS) and scope.can(Capability.MANAGE_TOUCHES)


def is_partner_scope(scope: Scope) -> bool:
    from romashka.core.choices import Role

    return scope.role == Role.FRANCHISE_PARTNER
