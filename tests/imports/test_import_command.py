"""`romashka import`: the JSON contract, the rejected rows file, exit codes on bad input, nothing written then."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from romashka.cli import app
from romashka.core.models import Location, Organisation
from romashka.path.models import Purchase

pytestmark = pytest.mark.django_db
runner = CliRunner()

POS = (
    "Дисконтная карта;Дата/время;Сумма со скидкой;Магазин\r\n"
    "000123;01.11.2026 10:30;1 234,50;{code}\r\n"
    "000123;02.11.2026 11:00;-34,50;{code}\r\n"
    "000124;02.11.2026;вчера;{code}\r\n"
    "000125;31.11.2026;10;{code}\r\n"
    "000126;03.11.2026;12,345;{code}\r\n"
    ";03.11.2026;5;{code}\r\n"
    "Итого:;;1 200,00;\r\n"
)


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def pos_file(tmp_path, demo_network):
    code = Location.objects.filter(organisation=Organisation.objects.get()).first().code
    path = tmp_path / "export.csv"
    path.write_bytes(POS.format(code=code).encode("cp1251"))
    return path


def test_dry_run_json_is_exactly_the_contract_and_writes_nothing(pos_file):
    before = Purchase.objects.count()
    result = invoke("import", str(pos_file), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "rows": 7, "accepted": 2, "rejected": 5, "customers": 1, "amount_total": "1200.00",
        "rejected_by_reason": {"bad_amount": 2, "bad_date": 1, "missing_id": 1, "totals_line": 1},
    }
    assert Purchase.objects.count() == before


def test_import_json_adds_then_adds_nothing_and_writes_the_rejected_rows(pos_file, tmp_path):
    before = Purchase.objects.count()
    rejected = tmp_path / "rejected.csv"
    result = invoke("import", str(pos_file), "--kind", "purchases", "--json", "--rejected-out", str(rejected),
                    "--no-refresh")
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)
    assert (first["accepted"], first["added"], first["already_there"], first["clients_added"]) == (2, 2, 0, 1)
    assert Purchase.objects.count() == before + 2
    with rejected.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["строка", "столбец", "значение", "причина", "код причины"]
    assert rows[1:] == [
        ["4", "Сумма со скидкой", "вчера", "не сумма", "bad_amount"],
        ["5", "Дата/время", "31.11.2026", "не дата", "bad_date"],
        ["6", "Сумма со скидкой", "12,345", "не сумма", "bad_amount"],
        ["7", "Дисконтная карта", "", "нет идентификатора", "missing_id"],
        ["8", "Дисконтная карта", "Итого:", "строка итогов («Итого»), не данные", "totals_line"],
    ]
    again = json.loads(invoke("import", str(pos_file), "--json", "--no-refresh").stdout)
    assert (again["added"], again["already_there"]) == (0, 2)
    assert Purchase.objects.count() == before + 2


def test_map_option_and_table_output(tmp_path, demo_network):
    path = tmp_path / "p.csv"
    path.write_text("Гость,Когда,Оплачено\n0042,2026-11-20,100\n", encoding="utf-8")
    result = invoke("import", str(path), "--map", "customer_id=Гость", "--map", "occurred_at=Когда",
                    "--map", 'amount="Оплачено"', "--dry-run")
    assert result.exit_code == 0, result.output
    assert "purchases, checked (dry run, nothing written)" in result.stdout
    assert "accepted" in result.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"", (), "the file is empty"),
        ("Номер карты;Дата;Сумма\n".encode(), (), "header but no rows"),
        (bytes(range(256)) * 10, (), "binary file"),
        ("Номер карты;ФИО;Телефон\n1;Анна;89161234567\n".encode(), ("--kind", "purchases"), "--kind clients"),
        ("Клиент;Дата;Сумма\n1;01.01.2024;5\n".encode(), ("--encoding", "klingon"), "unknown encoding"),
        ("Клиент;Дата;Сумма\n1;01.01.2024;5\n".encode(), ("--map", "colour=Клиент"), "unknown column role colour"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message_and_writes_nothing(tmp_path, demo_network, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = Purchase.objects.count()
    result = invoke("import", str(path), *args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Nothing was imported" in result.output
    assert Purchase.objects.count() == before


def test_a_missing_file(tmp_path, demo_network):
    result = invoke("import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "no such file" in result.output
