"""The supplier's turnover report as a PDF (fpdf2, the bundled DejaVu Sans for Cyrillic): the same figures as
the print page, for mailing to the supplier without a browser's "save as PDF"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from romashka.chamomile.selectors import SupplierMonthly
from romashka.chamomile.templatetags.chamomile_tags import format_figure
from romashka.web.templatetags.romashka import money_whole

FONTS = Path(__file__).parent / "static" / "chamomile" / "fonts"
ORANGE = (230, 81, 0)
GREY = (84, 110, 122)


def supplier_report_pdf(*, organisation: str, supplier: str, report: SupplierMonthly, as_of: date,
                        prepared_by: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(_("Turnover report: %(name)s") % {"name": supplier})
    pdf.set_creator("Romashka")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*ORANGE)
    pdf.cell(0, 6, organisation, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(0, 8, _("Our orders with %(name)s") % {"name": supplier}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 5, _("Orders the network placed, by calendar month and year, up to %(day)s.")
                   % {"day": date_format(as_of, "DATE_FORMAT")}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    if not report.years:
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 8, _("No orders from this supplier yet."), new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
    years = report.years[-3:]
    _table(pdf, _("Orders by month"), [_("Month")] + [str(y) for y in years],
           [[date_format(date(2000, m, 1), "F")] + [money_whole(report.volume[y].get(m)) for y in years]
            for m in report.months],
           footer=[[_("Year")] + [money_whole(report.yearly[y]) for y in years],
                   [_("Growth")] + [format_figure(report.yearly_growth[y], "percent") for y in years]])
    _table(pdf, _("By location"), [_("Location"), _("Last 12 months"), _("12 months before"), _("Growth")],
           [[name, money_whole(current), money_whole(before), format_figure(growth, "percent")]
            for name, current, before, growth in report.by_location],
           footer=[[_("Last 12 months"), money_whole(report.last_twelve_months), "", ""]])
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4, _("The current year is counted up to the report's date; its growth compares a part of the "
                           "year with the whole year before. Amounts in roubles, as ordered, VAT included."),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 4, _("Prepared by %(who)s on %(day)s in Romashka.")
             % {"who": prepared_by, "day": date_format(as_of, "SHORT_DATE_FORMAT")}, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(pdf, title: str, header: list[str], rows: list[list[str]], footer: list[list[str]]) -> None:
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    first = 62 if len(header) > 3 else 50
    widths = (first, *([(pdf.epw - first) / (len(header) - 1)] * (len(header) - 1)))
    with pdf.table(col_widths=widths, text_align=("LEFT", *(["RIGHT"] * (len(header) - 1))),
                   line_height=5.5, borders_layout="HORIZONTAL_LINES", first_row_as_headings=True) as table:
        for row in [header, *rows, *footer]:
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.ln(4)
