"""Template filters of the chamomile: a figure's value in its unit, the health's label."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from romashka.chamomile.figures import Unit
from romashka.web.templatetags.romashka import money_whole, num

register = template.Library()


def _one_decimal(value) -> str:
    return number_format(Decimal(value).quantize(Decimal("0.1")), 1, use_l10n=True, force_grouping=True)


def format_figure(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == Unit.ROUBLES:
        return money_whole(value)
    if unit == Unit.PERCENT:
        return f"{_one_decimal(value)}\u00a0%"
    if unit in (Unit.MONTHS, Unit.SCORE):
        return _one_decimal(value)
    return num(value)


@register.filter
def figure_value(value, unit: str) -> str:
    return format_figure(value, unit)


def rounds_to_zero(value, unit: str) -> bool:
    """True when the value shows as zero in its unit (−0.004 % is "0,0 %"): no sign, arrow or colour then."""
    return not any(digit in "123456789" for digit in format_figure(abs(value), unit))


@register.filter
def signed_figure(value, unit: str) -> str:
    if value is None:
        return "—"
    text = format_figure(abs(value), unit)
    if rounds_to_zero(value, unit):
        return "±" + text
    return ("+" if value > 0 else "−") + text


@register.filter
def trend_class(figure) -> str:
    """good or bad for a figure's change since the previous month that shows, else nothing."""
    if figure.trend is None or rounds_to_zero(figure.trend, figure.figure.unit):
        return ""
    return "good" if figure.trend_is_good else "bad"


@register.filter
def health_label(health: str) -> str:
    return {
        "ahead": _("on target"), "behind": _("behind target"), "no_target": _("no target"), "no_data": _("no data yet"),
    }.get(health, health)


# The roles whose start page opens on the chamomile (SCREENS.md, "Start page per role").
START_PAGE_ROLES = ("owner", "franchise_partner")


@register.inclusion_tag("chamomile/_start.html", takes_context=True)
def chamomile_start(context) -> dict:
    """The chamomile at the top of the owner's and each franchise partner's start page: the flower of this month
    and the petals behind, each petal a link to its page; nothing for the other roles."""
    from django.utils import timezone

    from romashka.chamomile.views import flower_context
    from romashka.core.access import scope_for

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"show": False}
    scope = scope_for(request.user)
    if scope.role not in START_PAGE_ROLES:
        return {"show": False}
    today = timezone.localdate()
    return {"show": True, **flower_context(request, scope, today.replace(day=1), today)}
