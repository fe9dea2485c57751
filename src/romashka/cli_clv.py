"""`romashka clv fit` and `romashka clv predict`: buy-till-you-die models on a purchases file (no database)."""

from __future__ import annotations

import csv
import math
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(help="Buy-till-you-die models (BG/NBD, Pareto/NBD, Gamma-Gamma) on a purchases file.",
                  no_args_is_help=True)
console = Console()
err = Console(stderr=True)

PREDICTION_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                      "expected_purchases", "expected_spend", "clv")


class ModelName(StrEnum):
    bgnbd = "bgnbd"
    paretonbd = "paretonbd"
    gammagamma = "gammagamma"
    all = "all"


class TimeUnit(StrEnum):
    day = "day"
    week = "week"


class PurchaseModel(StrEnum):
    bgnbd = "bgnbd"
    paretonbd = "paretonbd"


def _date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]{option} {value!r} is not a date.[/red] Expected YYYY-MM-DD, e.g. 1997-09-30.")
        raise typer.Exit(2) from None


def _summary(purchases: str, columns: dict[str, str | None], *, calibration_end: date, time_unit: str):
    """The customer summary of the file as NumPy columns; exits with the reader's message on bad input."""
    from romashka.cli import purchases_connection

    connection = purchases_connection(purchases, **columns)
    import ibis

    from romashka.engine.clv import customer_summary

    backend = ibis.duckdb.from_connection(connection)
    expr = customer_summary(backend.table("purchases"), calibration_end=calibration_end, time_unit=time_unit)
    table = backend.to_pyarrow(expr.order_by("customer_id"))
    connection.close()
    if table.num_rows == 0:
        err.print(f"[red]No customer bought on or before {calibration_end.isoformat()} in {escape(purchases)}.[/red]")
        raise typer.Exit(1)
    return {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}


def _fit(model: str, summary):
    from romashka.engine import clv

    if model == "bgnbd":
        return clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    if model == "paretonbd":
        return clv.fit_paretonbd(summary["frequency"], summary["recency"], summary["T"])
    return clv.fit_gammagamma(summary["frequency"], summary["monetary_value"])


ColumnOption = Annotated[str | None, typer.Option(help="Header of the column, if not recognised")]


@app.command()
def fit(
    purchases: Annotated[str, typer.Argument(help="Purchases file: CSV, XLSX or Parquet (customer, date, amount)")],
    calibration_end: Annotated[str, typer.Option("--calibration-end", help="Last day of the calibration period, YYYY-MM-DD")],
    params_out: Annotated[Path, typer.Option("--params-out", help="CSV of model,param,value (one row per parameter)")],
    time_unit: Annotated[TimeUnit, typer.Option(help="Unit of recency and T: day, or week (days / 7)")] = TimeUnit.week,
    model: Annotated[ModelName, typer.Option(help="Which model to fit")] = ModelName.all,
    customer_column: ColumnOption = None,
    date_column: ColumnOption = None,
    amount_column: ColumnOption = None,
) -> None:
    """Fit BG/NBD, Pareto/NBD and/or Gamma-Gamma by maximum likelihood; prints estimates with standard errors."""
    end = _date("--calibration-end", calibration_end)
    summary = _summary(purchases, dict(customer_column=customer_column, date_column=date_column,
                                       amount_column=amount_column), calibration_end=end, time_unit=time_unit.value)
    models = ["bgnbd", "paretonbd", "gammagamma"] if model == ModelName.all else [model.value]
    table = Table(title=f"{len(summary['frequency']):,} customers, calibration to {end.isoformat()}, "
                        f"time unit: {time_unit.value}")
    for name in ("model", "param", "value", "std. error", "log-likelihood"):
        table.add_column(name, justify="left" if name in ("model", "param") else "right")
    rows = []
    for name in models:
        try:
            result = _fit(name, summary)
        except ValueError as error:
            err.print(f"[red]{name}: {escape(str(error))}[/red]")
            raise typer.Exit(1) from None
        if not result.converged:
            err.print(f"[yellow]{name}: the optimiser did not converge; the estimates may be off.[/yellow]")
        for index, (param, value) in enumerate(result.params.items()):
            error_value = result.standard_errors[param]
            table.add_row(name if index == 0 else "", param, f"{value:.4f}",
                          "—" if math.isnan(error_value) else f"{error_value:.4f}",
                          f"{result.log_likelihood:.2f}" if index == 0 else "")
            rows.append((name, param, repr(value)))
    try:
        with params_out.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["model", "param", "value"])
            writer.writerows(rows)
    except OSError as error:
        err.print(f"[red]Cannot write {escape(str(params_out))}: {escape(error.strerror or str(error))}[/red]")
        raise typer.Exit(1) from None
    console.print(table)


def _read_params(path: Path) -> dict[str, dict[str, float]]:
    from romashka.engine.clv import MODEL_PARAMETERS

    params: dict[str, dict[str, float]] = {}
    try:
        with path.open(newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    params.setdefault(row["model"], {})[row["param"]] = float(row["value"])
                except (KeyError, TypeError, ValueError):
                    err.print(f"[red]{escape(str(path))}, line {line}: expected model,param,value with a number.[/red]")
                    raise typer.Exit(1) from None
    except OSError as error:
        err.print(f"[red]Cannot read {escape(str(path))}: {escape(error.strerror or str(error))}[/red]")
        raise typer.Exit(1) from None
    for model, values in params.items():
        wanted = MODEL_PARAMETERS.get(model)
        if wanted is None or set(values) != set(wanted):
            err.print(f"[red]{escape(str(path))}: model {escape(model)!r} needs exactly the parameters "
                      f"{', '.join(wanted or ())}.[/red]")
            raise typer.Exit(1)
    return params


@app.command()
def predict(
    purchases: Annotated[str, typer.Argument(help="Purchases file: CSV, XLSX or Parquet (customer, date, amount)")],
    as_of: Annotated[str, typer.Option("--as-of", help="The date of the predictions, YYYY-MM-DD; later rows are ignored")],
    horizon_days: Annotated[int, typer.Option("--horizon-days", min=1, help="Days ahead for expected purchases and CLV")],
    out: Annotated[Path, typer.Option(help="Output CSV, one row per customer")],
    params: Annotated[Path | None, typer.Option(help="Parameters from `romashka clv fit`; fitted on the file up to --as-of when not given")] = None,
    purchase_model: Annotated[PurchaseModel, typer.Option(help="Model of the purchase count")] = PurchaseModel.bgnbd,
    time_unit: Annotated[TimeUnit, typer.Option(help="Time unit of the parameters")] = TimeUnit.week,
    discount_rate: Annotated[float, typer.Option(min=0.0, help="Annual discount rate of the CLV, e.g. 0.1")] = 0.1,
    customer_column: ColumnOption = None,
    date_column: ColumnOption = None,
    amount_column: ColumnOption = None,
) -> None:
    """Per customer: P(alive), expected purchases and spend over the horizon, and discounted CLV."""
    import numpy as np

    from romashka.engine import clv

    end = _date("--as-of", as_of)
    summary = _summary(purchases, dict(customer_column=customer_column, date_column=date_column,
                                       amount_column=amount_column), calibration_end=end, time_unit=time_unit.value)
    given = _read_params(params) if params else {}
    fitted: dict[str, tuple[float, ...]] = {}
    for name in (purchase_model.value, "gammagamma"):
        if name in given:
            fitted[name] = tuple(given[name][p] for p in clv.MODEL_PARAMETERS[name])
            continue
        try:
            fitted[name] = _fit(name, summary).values()
        except ValueError as error:
            err.print(f"[red]{name}: {escape(str(error))}[/red]")
            raise typer.Exit(1) from None
    result = clv.predict(summary, purchase_model=purchase_model.value, purchase_params=fitted[purchase_model.value],
                         spend_params=fitted["gammagamma"], horizon_days=horizon_days, clv_days=horizon_days,
                         time_unit=time_unit.value, annual_discount_rate=discount_rate)
    x = summary["frequency"]
    alive, purchases_ahead, spend, value = result.p_alive, result.expected_purchases, result.expected_spend, result.clv
    try:
        with out.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PREDICTION_COLUMNS)
            for row in zip(summary["customer_id"], x, summary["recency"], summary["T"], summary["monetary_value"], alive,
                           purchases_ahead,
                           spend, value, strict=True):
                customer_id, frequency, *figures = row
                writer.writerow([customer_id, int(frequency), *(f"{v:.10g}" for v in figures)])
    except OSError as error:
        err.print(f"[red]Cannot write {escape(str(out))}: {escape(error.strerror or str(error))}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"{len(x):,} customers at {end.isoformat()}, {horizon_days} days ahead")
    for name in ("figure", "total", "mean"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for label, values in (("P(alive)", alive), ("expected purchases", purchases_ahead), ("CLV", value)):
        table.add_row(label, "" if label == "P(alive)" else f"{np.sum(values):,.2f}", f"{np.mean(values):,.4f}")
    console.print(table)
