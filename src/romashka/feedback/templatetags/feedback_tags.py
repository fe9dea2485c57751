"""Cells of the NPS and eNPS tables: the score, its 95% interval and the answers, or "fewer than 5 answers"."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _points(value: float | None) -> str:
    return "—" if value is None else number_format(round(value), 0, use_l10n=True)


@register.simple_tag
def score_cell(cell):
    """A <td>: NPS (big), its interval and n (small); hidden anonymous groups say so, empty ones show a dash."""
    if cell.hidden:
        return format_html('<td class="num hidden-group" title="{}">{}</td>',
                           _("Results of groups with fewer than 5 answers are not shown, so no one can be recognised."),
                           _("fewer than 5 answers"))
    estimate = cell.estimate
    if estimate.nps is None:
        return mark_safe('<td class="num muted">—</td>')  # noqa: S308 - a constant
    answers = ngettext("%(count)s answer", "%(count)s answers", estimate.answers) % {"count": estimate.answers}
    return format_html('<td class="num"><strong>{}</strong><br><span class="small muted">{}…{} · {}</span></td>',
                       _points(estimate.nps), _points(estimate.low), _points(estimate.high), answers)


@register.filter
def decimal1(value) -> str:
    return "—" if value is None else number_format(value, 1, use_l10n=True)


@register.filter
def percent0(value) -> str:
    return "—" if value is None else number_format(value * 100, 0, use_l10n=True) + "\u00a0%"


@register.simple_tag
def service_cell(matrix, rater, provider):
    cell = matrix.cells.get((rater.pk, provider.pk))
    if cell is None:
        return mark_safe('<td class="num muted">—</td>')  # noqa: S308 - a constant
    if cell.hidden:
        return format_html('<td class="num hidden-group">{}</td>', _("fewer than 5 answers"))
    return format_html('<td class="num"><strong>{}</strong><br><span class="small muted">{}</span></td>',
                       number_format(cell.mean, 2, use_l10n=True),
                       ngettext("%(count)s answer", "%(count)s answers", cell.answers) % {"count": cell.answers})


def _field_name(prefix: str, pk, aspect: str = "") -> str:
    return f"{prefix}{pk}_{aspect}" if aspect else f"{prefix}{pk}"


@register.simple_tag
def posted_checked(posted, prefix: str, pk, value, aspect: str = "") -> str:
    """" checked" when the re-shown form had this radio chosen."""
    return " checked" if posted.get(_field_name(prefix, pk, aspect)) == str(value) else ""


@register.simple_tag
def field_error(errors, prefix: str, pk, aspect: str = ""):
    message = errors.get(_field_name(prefix, pk, aspect))
    return format_html('<p class="field-error">{}</p>', message) if message else ""
