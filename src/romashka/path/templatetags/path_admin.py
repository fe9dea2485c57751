"""Admin date drill-down for purchases that reads the first and last day instead of every row.

Django's date hierarchy lists years, months and days with a SELECT DISTINCT over the whole filtered
table (seconds on a million purchases); the first and last day come from an index in milliseconds.
A year, month or day without purchases may show up as a link to an empty page, which is harmless.
"""

import calendar
import datetime

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.db.models import Max, Min
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def bounded_date_hierarchy(cl) -> dict:
    field_name = cl.date_hierarchy
    year_field, month_field, day_field = f"{field_name}__year", f"{field_name}__month", f"{field_name}__day"
    year, month, day = (cl.params.get(f) for f in (year_field, month_field, day_field))
    year, month, day = (int(v) if v not in (None, "") else None for v in (year, month, day))

    def link(filters: dict) -> str:
        return cl.get_query_string(filters, [f"{field_name}__"])

    if year and month and day:
        chosen = datetime.date(year, month, day)
        return {
            "show": True,
            "back": {"link": link({year_field: year, month_field: month}),
                     "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT"))},
            "choices": [{"title": capfirst(formats.date_format(chosen, "MONTH_DAY_FORMAT"))}],
        }
    bounds = cl.queryset.aggregate(first=Min(field_name), last=Max(field_name))
    first, last = bounds["first"], bounds["last"]
    if first is None:
        if not year:
            return {"show": False}
        # Nothing in the chosen period: only the way back.
        back = link({year_field: year}) if month else link({})
        return {"show": True, "back": {"link": back, "title": str(year) if month else _("All dates")}, "choices": []}
    if not year and first.year == last.year:
        year = first.year
        if first.month == last.month:
            month = first.month
    if year and month:
        days = range(first.day if (first.year, first.month) == (year, month) else 1,
                     (last.day if (last.year, last.month) == (year, month) else calendar.monthrange(year, month)[1]) + 1)
        return {
            "show": True,
            "back": {"link": link({year_field: year}), "title": str(year)},
            "choices": [
                {"link": link({year_field: year, month_field: month, day_field: d}),
                 "title": capfirst(formats.date_format(datetime.date(year, month, d), "MONTH_DAY_FORMAT"))}
                for d in days
            ],
        }
    if year:
        months = range(first.month if first.year == year else 1, (last.month if last.year == year else 12) + 1)
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {"link": link({year_field: year, month_field: m}),
                 "title": capfirst(formats.date_format(datetime.date(year, m, 1), "YEAR_MONTH_FORMAT"))}
                for m in months
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({year_field: str(y)}), "title": str(y)} for y in range(first.year, last.year + 1)],
    }


@register.tag(name="bounded_date_hierarchy")
def bounded_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=bounded_date_hierarchy, template_name="date_hierarchy.html", takes_context=False
    )
