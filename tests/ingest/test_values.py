"""Property tests of the value parsers: whatever way a business writes a value, it reads back the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from romashka.ingest.values import (
    normalize_phone,
    normalize_phones,
    parse_amounts,
    parse_dates,
    parse_datetimes,
)

kopecks = st.integers(min_value=-(10**13) + 1, max_value=10**13 - 1)
separators = st.sampled_from([" ", "\u00a0", "\u202f", ""])
currencies = st.sampled_from(["", " ₽", "₽", " руб.", " р.", "$", " RUB"])


def written(amount: Decimal, decimal_mark: str, thousands: str, currency: str, currency_first: bool) -> str:
    sign = "-" if amount < 0 else ""
    whole, fraction = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    if thousands == "" and decimal_mark == ",":
        thousands = "."  # 1.234,50
    text = thousands.join(groups) + decimal_mark + fraction
    return (currency.strip() + sign + text) if currency_first and currency else (sign + text + currency)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(kopecks, st.sampled_from([",", "."]), separators, currencies, st.booleans()),
                min_size=1, max_size=30))
def test_amounts_read_back_exactly(examples):
    amounts = [Decimal(k) / 100 for k, *_ in examples]
    texts = [written(amount, mark, sep, cur, first) for amount, (_, mark, sep, cur, first) in zip(amounts, examples, strict=True)]
    assert parse_amounts(texts) == [amount.quantize(Decimal("0.01")) for amount in amounts]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(kopecks.filter(lambda k: abs(k) >= 100_000), st.sampled_from([",", "."])), min_size=1,
                max_size=20))
def test_english_thousands_commas(examples):
    amounts = [Decimal(k) / 100 for k, _mark in examples]
    texts = []
    for amount, (_k, mark) in zip(amounts, examples, strict=True):
        thousands = "," if mark == "." else " "
        texts.append(written(amount, mark, thousands, "", False))
    assert parse_amounts(texts) == amounts


def test_amounts_that_are_not_amounts():
    assert parse_amounts(["abc", "", None, "12,34,5x", "1 000 000 000 000", "--5", "1.2.3,4,5"]) == [None] * 7


moments = st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(moments, st.sampled_from([
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d",
])), min_size=1, max_size=30))
def test_dates_in_every_written_form_read_back(examples):
    texts = [moment.strftime(fmt) for moment, fmt in examples]
    expected = []
    for moment, fmt in examples:
        if "%S" not in fmt:
            moment = moment.replace(second=0)
        if "%H" not in fmt:
            moment = moment.replace(hour=0, minute=0, second=0)
        expected.append(moment)
    assert parse_datetimes(texts) == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(moments, st.integers(min_value=-11, max_value=12)), min_size=1, max_size=20))
def test_iso_with_a_zone_is_moved_to_the_business_clock(examples):
    texts, expected = [], []
    for moment, hours in examples:
        sign = "+" if hours >= 0 else "-"
        texts.append(moment.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{abs(hours):02d}:00")
        # Moscow keeps UTC+3 since 2014; before that the rules differ, so compare within recent years only.
        expected.append(moment - timedelta(hours=hours) + timedelta(hours=3))
    parsed = parse_datetimes(texts)
    for text, got, want in zip(texts, parsed, expected, strict=True):
        if want.year >= 2015 and got is not None:
            assert got == want, text
        elif want.year >= 2015:
            raise AssertionError(f"{text} not read")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dates(min_value=date(1928, 1, 1), max_value=date(2099, 12, 31)), min_size=1, max_size=30))
def test_excel_serial_days_read_as_dates(days):
    serials = [str((day - date(1899, 12, 30)).days) for day in days]
    assert parse_dates(serials) == days


def test_dates_that_are_not_dates():
    assert parse_dates(["31.02.2024", "2024-13-01", "вчера", "", "123", "01.01.1800"]) == [None] * 6


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=900_000_0000, max_value=999_999_9999), st.integers(0, 4)),
                min_size=1, max_size=30))
def test_russian_phones_normalise_to_plus_seven_in_sql_and_python(examples):
    texts = []
    for number, style in examples:
        d = str(number)
        texts.append([
            f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"8{d}", f"8 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}", d, f"+7{d}",
        ][style])
    expected = [f"+7{number}" for number, _ in examples]
    assert normalize_phones(texts) == expected
    assert [normalize_phone(text) for text in texts] == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 +()-abc", max_size=20), min_size=1, max_size=30))
def test_sql_and_python_phone_rules_agree_on_anything(texts):
    assert normalize_phones(texts) == [normalize_phone(text) for text in texts]
