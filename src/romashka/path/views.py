"""Pages of the client's path: status counts, their course, transitions and rates; lists per status with exports."""

from __future__ import annotations

import calendar
import io
from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from romashka.core import access
from romashka.core.access import Capability
from romashka.core.masking import mask_external_id
from romashka.path.choices import STATUS_COLOURS, WON_BACK_COLOUR, Status
from romashka.path.selectors import (
    PATH_RATES,
    segment_choices,
    status_counts_by_month,
    status_list,
    transition_matrix,
    transition_rates_by_month,
)

PAGE_SIZE = 50
MONTHS_SHOWN = 36
RATE_LABELS = {
    "novice_fan": gettext_lazy("novice → fan"),
    "fan_dormant": gettext_lazy("fan → dormant"),
    "dormant_lost": gettext_lazy("dormant → lost"),
    "lost_won_back": gettext_lazy("lost → won back"),
}
RATE_COLOURS = {
    "novice_fan": STATUS_COLOURS[Status.FAN],
    "fan_dormant": STATUS_COLOURS[Status.DORMANT],
    "dormant_lost": STATUS_COLOURS[Status.LOST],
    "lost_won_back": WON_BACK_COLOUR,
}


def _months_back(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class TransitionPeriodForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return cleaned


def _locale() -> str:
    return "RU" if translation.get_language() == "ru" else "EN"


def _status_label(status: str | None) -> str:
    return str(Status(status).label) if status else _("no status yet")


def _sankey(matrix) -> dict:
    """Nodes named by status and date, so the same status on both sides stays two nodes (ECharts needs it)."""
    day_from, day_to = (date_format(d, "d.m.Y") for d in (matrix.date_from, matrix.date_to))
    nodes: dict[str, dict] = {}
    links = []
    grey = STATUS_COLOURS[Status.PROSPECT]
    for cell in matrix.transitions:
        source = f"{_status_label(cell.from_status)} ({day_from})"
        target = f"{_status_label(cell.to_status)} ({day_to})"
        nodes.setdefault(source, {"name": source, "itemStyle": {"color": STATUS_COLOURS.get(cell.from_status, grey)}})
        nodes.setdefault(target, {"name": target, "itemStyle": {"color": STATUS_COLOURS[cell.to_status]}})
        links.append({"source": source, "target": target, "value": cell.clients})
    return {"nodes": list(nodes.values()), "links": links}


def _form_errors(form: forms.Form) -> list[str]:
    """Each error with the label of its field, e.g. "From: Enter a valid date."."""
    if not form.is_bound or form.is_valid():
        return []
    return [f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
            for name, errors in form.errors.items() for error in errors]


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Counts by status now, their course by month, a Sankey between two dates and the monthly rates."""
    access.require(request.user, Capability.VIEW_CLIENTS)
    today = timezone.localdate()
    default_from = _months_back(today, 3)
    form = TransitionPeriodForm(request.GET if ("date_from" in request.GET or "date_to" in request.GET) else None,
                                initial={"date_from": default_from, "date_to": today})
    if form.is_bound and form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    else:
        date_from, date_to = default_from, today

    # One point more than shown: the eve of the first month shown is the base of its rates.
    first_month = _months_back(today.replace(day=1), MONTHS_SHOWN - 1)
    counts = status_counts_by_month(user=request.user, date_from=first_month - timedelta(days=1), date_to=today)
    now = counts[-1]
    if now.total == 0:
        return render(request, "path/overview.html", {"empty": True})
    shown = counts[1:]
    while len(shown) > 1 and shown[0].total == 0:
        shown = shown[1:]
    rates = transition_rates_by_month(user=request.user, date_from=shown[0].on.replace(day=1), date_to=today,
                                      counts=counts)
    matrix = transition_matrix(user=request.user, date_from=date_from, date_to=date_to)

    statuses = [s for s in Status if any(point.counts[s.value] for point in shown)]
    month_labels = [date_format(point.on, "m.Y") for point in shown]
    rate_months = sorted({r.month for r in rates})
    rate_rows = [(date_format(month, "m.Y"), [r for r in rates if r.month == month]) for month in rate_months]
    chart = {
        "locale": _locale(),
        "months": month_labels,
        "statuses": [{"key": s.value, "label": str(s.label), "colour": STATUS_COLOURS[s]} for s in statuses],
        "counts": {s.value: [point.counts[s.value] for point in shown] for s in statuses},
        "won_back": [point.won_back for point in shown],
        "won_back_colour": WON_BACK_COLOUR,
        "sankey": _sankey(matrix),
        "rates": [
            {"key": rate.key, "label": str(RATE_LABELS[rate.key]), "colour": RATE_COLOURS[rate.key],
             "values": [None if r.rate is None else round(r.rate * 100, 2) for r in rates if r.key == rate.key]}
            for rate in PATH_RATES
        ],
        "rate_months": [label for label, _row in rate_rows],
        "titles": {
            "month": _("Month"), "clients": _("Clients"), "rate": _("Share of the from-status, %"),
            "won_back": _("of them won back"),
        },
    }
    now_rows = [(s, now.counts[s.value], now.counts[s.value] / now.total) for s in Status if now.counts[s.value]]
    from_statuses = [None, *Status]
    matrix_rows = []
    to_statuses = [s for s in Status if any(t.to_status == s for t in matrix.transitions)]
    cells = {(t.from_status, t.to_status): t for t in matrix.transitions}
    for before in from_statuses:
        key = before.value if before else None
        if key not in matrix.from_totals:
            continue
        matrix_rows.append((_status_label(key), key, matrix.from_totals[key],
                            [cells.get((key, after.value)) for after in to_statuses]))
    return render(request, "path/overview.html", {
        "empty": False, "now": now, "now_rows": now_rows, "won_back_share": now.won_back / now.total,
        "shown": shown, "statuses": statuses, "month_labels": month_labels,
        "count_rows": [(point, [point.counts[s.value] for s in statuses]) for point in shown],
        "period_errors": _form_errors(form),
        "rate_rows": rate_rows, "rate_labels": [RATE_LABELS[r.key] for r in PATH_RATES],
        "form": form, "matrix": matrix, "matrix_rows": matrix_rows, "to_statuses": to_statuses,
        "chart": chart,
    })


def _status_or_404(status: str) -> Status:
    try:
        return Status(status)
    except ValueError:
        raise Http404("no such status") from None


def _list_filters(request: HttpRequest) -> dict:
    location = request.GET.get("location", "")
    segment = request.GET.get("segment", "")
    yes_no = {"yes": True, "no": False}
    return {
        "location_id": int(location) if location.isdigit() else None,
        "won_back": yes_no.get(request.GET.get("won_back", "")),
        "overdue": yes_no.get(request.GET.get("overdue", "")),
        "segment_id": int(segment) if segment.isdigit() else None,
    }


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def status_clients(request: HttpRequest, status: str) -> HttpResponse:
    """The user's clients with one status, filtered by location and won back, a page at a time."""
    scope = access.require(request.user, Capability.VIEW_CLIENTS)
    chosen = _status_or_404(status)
    rows = status_list(user=request.user, status=chosen.value, **_list_filters(request))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "path/status_list.html", {
        "status": chosen, "statuses": list(Status), "page": page,
        "locations": access.locations_visible(request.user).order_by("name"),
        "location": request.GET.get("location", ""), "won_back": request.GET.get("won_back", ""),
        "overdue": request.GET.get("overdue", ""),
        "segments": segment_choices(request.user), "segment": request.GET.get("segment", ""),
        "querystring": _querystring(request), "can_export": scope.can(Capability.EXPORT),
    })


def _export_rows(request: HttpRequest, status: str):
    """Header and rows of a status list export: dates and numbers as values, the id masked without contacts."""
    scope = access.require(request.user, Capability.EXPORT)
    show_contacts = scope.can(Capability.VIEW_CONTACTS)
    chosen = _status_or_404(status)
    snapshots = status_list(user=request.user, status=chosen.value, **_list_filters(request))
    header = ["id", _("client id"), _("name"), _("location"), _("status"), _("won back"), _("status since"),
              _("first purchase"), _("last purchase"), _("recency, days"), _("purchase days"), _("monetary, ₽")]

    values = snapshots.values_list(
        "party_id", "party__external_id", "party__name", "party__home_location__name", "won_back", "status_since",
        "first_purchase", "last_purchase", "recency_days", "purchase_days", "monetary",
    )
    label, yes, no = str(chosen.label), _("yes"), _("no")

    def rows():
        # Plain tuples, not model instances: five times faster on a list of tens of thousands.
        for party_id, external_id, name, location, won_back, *figures in values.iterator(chunk_size=2000):
            shown_id = (external_id or "") if show_contacts else mask_external_id(external_id or "")
            yield [party_id, shown_id, name, location or "", label, yes if won_back else no, *figures]

    return chosen, header, rows()


@login_required
def status_clients_csv(request: HttpRequest, status: str) -> StreamingHttpResponse:
    from romashka.web.views import _csv_response

    chosen, header, rows = _export_rows(request, status)

    def as_text(row):
        return ["" if value is None else value.isoformat() if isinstance(value, date) else value for value in row]

    return _csv_response(f"clients-{chosen.value}-{timezone.localdate()}.csv", header, (as_text(r) for r in rows))


@login_required
def status_clients_xlsx(request: HttpRequest, status: str) -> HttpResponse:
    """An Excel workbook: a bold header row, then real date cells and numbers (roubles as decimals)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    chosen, header, rows = _export_rows(request, status)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(chosen.label)[:31])
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    # Plain values are several times faster than styled cells: openpyxl gives dates a date format itself.
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="clients-{chosen.value}-{timezone.localdate()}.xlsx"'
    return response
