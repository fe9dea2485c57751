"""`romashka clv fit` and `romashka clv predict` on the CDNOW sample and on broken input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_clv import PUBLISHED
from typer.testing import CliRunner

from romashka.cli import app

CDNOW = str(Path(__file__).parent / "data" / "cdnow_sample.csv")


def run(*args):
    return CliRunner().invoke(app, ["clv", *args])


def test_fit_prints_and_writes_the_published_parameters(tmp_path):
    out = tmp_path / "params.csv"
    result = run("fit", CDNOW, "--calibration-end", "1997-09-30", "--params-out", str(out))
    assert result.exit_code == 0, result.output
    assert "2,357 customers" in result.output and "-9582.43" in result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["model"], r["param"]) for r in rows] == [
        (model, param) for model, (params, _) in PUBLISHED.items() for param in params
    ]
    for row in rows:
        assert float(row["value"]) == pytest.approx(PUBLISHED[row["model"]][0][row["param"]], rel=0.01)


def test_fit_one_model_in_days(tmp_path):
    out = tmp_path / "params.csv"
    result = run("fit", CDNOW, "--calibration-end", "1997-09-30", "--params-out", str(out), "--model", "bgnbd",
                 "--time-unit", "day")
    assert result.exit_code == 0, result.output
    values = {r["param"]: float(r["value"]) for r in csv.DictReader(out.open())}
    # Days instead of weeks rescale only the time parameter: alpha in days = 7 × alpha in weeks.
    assert values["alpha"] == pytest.approx(7 * PUBLISHED["bgnbd"][0]["alpha"], rel=0.01)
    assert values["r"] == pytest.approx(PUBLISHED["bgnbd"][0]["r"], rel=0.01)


def test_predict_with_fitted_parameters_gives_one_row_per_customer(tmp_path):
    params = tmp_path / "params.csv"
    assert run("fit", CDNOW, "--calibration-end", "1997-09-30", "--params-out", str(params)).exit_code == 0
    out = tmp_path / "predictions.csv"
    result = run("predict", CDNOW, "--as-of", "1997-09-30", "--horizon-days", "273", "--out", str(out),
                 "--params", str(params))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2357 and list(rows[0]) == [
        "customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
        "expected_spend", "clv"]
    assert rows[0]["customer_id"] == "00004"  # ids kept as given
    # The 39 weeks after the calibration: lifetimes' conditional expectation for the same fit.
    assert sum(float(r["expected_purchases"]) for r in rows) == pytest.approx(1653.41, abs=0.1)
    assert all(0 < float(r["p_alive"]) <= 1 and float(r["clv"]) >= 0 for r in rows)
    # Without --params it fits on the file up to --as-of: the same numbers.
    again = tmp_path / "again.csv"
    assert run("predict", CDNOW, "--as-of", "1997-09-30", "--horizon-days", "273", "--out", str(again)).exit_code == 0
    first = [float(r["clv"]) for r in csv.DictReader(again.open())]
    assert first == pytest.approx([float(r["clv"]) for r in rows], rel=1e-4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", CDNOW, "--calibration-end", "30.09.1997", "--params-out", "x.csv"], "is not a date"),
        (["fit", "/nonexistent.csv", "--calibration-end", "1997-09-30", "--params-out", "x.csv"], "nonexistent"),
        (["fit", CDNOW, "--calibration-end", "1990-01-01", "--params-out", "x.csv"], "No customer bought"),
        (["predict", CDNOW, "--as-of", "1997-09-30", "--horizon-days", "0", "--out", "x.csv"], "horizon-days"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.csv").exists()


def test_a_parameters_file_with_a_missing_parameter_is_refused(tmp_path):
    params = tmp_path / "params.csv"
    params.write_text("model,param,value\nbgnbd,r,0.24\nbgnbd,alpha,4.4\n")
    result = run("predict", CDNOW, "--as-of", "1997-09-30", "--horizon-days", "30", "--out", str(tmp_path / "o.csv"),
                 "--params", str(params))
    assert result.exit_code == 1 and "needs exactly the parameters" in result.output
