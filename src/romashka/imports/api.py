"""API of imports: a whole file (CSV, XLSX, Parquet) for integrations, with the import's JSON answer."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
import json
import tempfile
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from romashka.api_common import WRITE_ERRORS, ErrorOut
from romashka.core.access import Capability, require
from romashka.core.models import Organisation
from romashka.imports.services import ImportOptions, file_import, may_import, reason_labels
from romashka.ingest.readers import IngestError
from romashka.ingest.tables import KINDS, preview

router = Router(tags=["imports"])
SHOWN_REJECTED = 1000


class RejectedRowOut(Schema):
    row: int = Field(description="The file's line (CSV: where the record starts) or the sheet's row.")
    column: str | None
    value: str | None
    reason: str = Field(description="missing_id, bad_date, bad_amount, totals_line, wrong_column_count, …")
    reason_label: str


class ImportOut(Schema):
    kind: str
    rows: int
    accepted: int
    rejected: int
    customers: int | None = None
    suppliers: int | None = None
    employees: int | None = None
    amount_total: str | None = Field(None, description="The exact sum of the accepted amounts.")
    rejected_by_reason: dict[str, int]
    added: int | None = Field(None, description="Rows added (absent on a dry run).")
    already_there: int | None = Field(None, description="Rows stored before: a repeated file adds nothing.")
    clients_added: int | None = None
    rejected_rows: list[RejectedRowOut] = Field(description=f"The first {SHOWN_REJECTED} rejected rows.")


@router.post("/imports", response={200: ImportOut, 413: ErrorOut, **WRITE_ERRORS}, tags=["imports"])
def import_file(request, file: File[UploadedFile], kind: Form[str] = "", source: Form[str] = "api",
                mapping: Form[str] = "", encoding: Form[str] = "", delimiter: Form[str] = "",
                date_format: Form[str] = "", dry_run: Form[bool] = False):
    """Imports a file as `romashka import` does: all accepted rows or none, a repeated file adds nothing.

    `kind`: purchases, clients, employees or supplier-orders (empty: recognised from the headers);
    `mapping`: a JSON object role → header, e.g. `{"customer_id": "Номер карты"}`. A file that cannot
    be read at all gives 422 naming what is wrong; rejected rows are in the answer, not an error.
    """
    scope = require(request.auth, Capability.USE_API)
    if kind and kind not in KINDS:
        raise DjangoValidationError({"kind": [f"Unknown kind «{kind}»; expected one of {', '.join(KINDS)}."]})
    if not may_import(request.auth, kind or None):
        raise PermissionDenied("the role may not import this kind of data")
    try:
        chosen = json.loads(mapping) if mapping else None
    except ValueError:
        chosen = "not json"
    if chosen is not None and not (isinstance(chosen, dict) and all(isinstance(v, str) for v in chosen.values())):
        raise DjangoValidationError({"mapping": ['Expected a JSON object of role → header, e.g. {"amount": "Сумма"}.']})
    limit = settings.IMPORT_MAX_BYTES
    if file.size > limit:
        return Status(413, {"error": {"code": "too_large", "message": (
            f"The file is {file.size / 1024 / 1024:.1f} MB; the limit is {limit / 1024 / 1024:.0f} MB.")}})
    with tempfile.TemporaryDirectory(prefix="romashka-api-import-") as folder:
        stored = Path(folder) / (Path(file.name or "upload.csv").name or "upload.csv")
        with stored.open("wb") as handle:
            for chunk in file.chunks():
                handle.write(chunk)
        rejected_path = Path(folder) / "rejected.csv"
        options = ImportOptions(kind=kind or None, mapping=chosen, encoding=encoding or None,
                                delimiter=delimiter or None, date_format=date_format or None, source=source or "api")
        try:
            if not kind:  # recognised from the head of the file: it must be a kind the role may import
                found = preview(stored, mapping=chosen, encoding=encoding or None, delimiter=delimiter or None,
                                rows=1, max_bytes=limit)["kind"]
                if not may_import(request.auth, found):
                    raise PermissionDenied("the role may not import this kind of data")
                options = replace(options, kind=found)
            result = file_import(organisation=Organisation.objects.get(pk=scope.organisation_id), path=stored,
                                 options=options, dry_run=dry_run, rejected_out=rejected_path, max_bytes=limit)
        except IngestError as error:
            raise DjangoValidationError({"file": [str(error)]}) from None
        result.pop("batch", None)
        result["rejected_rows"] = _rejected_rows(rejected_path)
    return result


def _rejected_rows(path: Path) -> list[dict]:
    import csv

    if not path.is_file():
        return []
    labels = reason_labels()
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader, None)
        for index, (row, column, value, _label, reason) in enumerate(reader):
            if index >= SHOWN_REJECTED:
                break
            rows.append({"row": int(row), "column": column or None, "value": value or None, "reason": reason,
                         "reason_label": labels.get(reason, reason)})
    return rows
