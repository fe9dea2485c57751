"""Exports of lists as files, streamed: CSV that Excel opens (UTF-8 with BOM, `;` or `,`) and XLSX.

Rows come from an iterator (a queryset's ``values_list().iterator()``), so a million rows never sit in
memory: CSV goes out line by line; XLSX is written by openpyxl's write-only mode to a temporary file
on disk and sent from there in blocks. Every list page hands its rows (with the page's own filters)
to :func:`export_response`.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone, translation

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DELIMITERS = {";": ";", "semicolon": ";", ",": ",", "comma": ",", "tab": "\t"}


def _text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence], *,
                 delimiter: str | None = None) -> StreamingHttpResponse:
    """A streamed CSV: UTF-8 with BOM so Excel reads Cyrillic; `;` in Russian and `,` in English unless given."""
    delimiter = delimiter or (";" if translation.get_language() == "ru" else ",")

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo(), delimiter=delimiter)

    def stream():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([_text(value) for value in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence], *, sheet_title: str = "") -> FileResponse:
    """An Excel workbook: a bold header row, then real date cells and numbers; built on disk, not in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    # Excel refuses sheet names over 31 characters or with []:*?/\.
    title = "".join(char for char in (sheet_title or "export") if char not in "[]:*?/\\")[:31] or "export"
    sheet = workbook.create_sheet(title=title)
    bold = Font(bold=True)
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    # Plain values are several times faster than styled cells: openpyxl gives dates a date format itself.
    for row in rows:
        sheet.append([_cell(value) for value in row])
    handle = tempfile.TemporaryFile(prefix="romashka-export-", suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _cell(value: object) -> object:
    # Excel has no time zones: an aware datetime goes in as the local wall-clock time.
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def export_response(request: HttpRequest, *, basename: str, header: Sequence[str], rows: Iterable[Sequence],
                    sheet_title: str = "") -> StreamingHttpResponse | FileResponse:
    """CSV or XLSX as the request asks: ``?format=xlsx``; ``?sep=;`` (or ``,``, ``tab``) for the CSV's delimiter."""
    if request.GET.get("format") == "xlsx":
        return xlsx_response(f"{basename}.xlsx", header, rows, sheet_title=sheet_title or basename)
    return csv_response(f"{basename}.csv", header, rows, delimiter=DELIMITERS.get(request.GET.get("sep", "")))
