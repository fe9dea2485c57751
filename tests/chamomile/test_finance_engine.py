"""ROI and XIRR against known values: Excel's documented XIRR example and a hand-computed two-flow case."""

from datetime import date

import pytest

from romashka.engine.finance import roi, xirr, xnpv


def test_xirr_reproduces_excels_documented_example():
    # Microsoft's XIRR help page: these irregular flows return 0.373362535 (37.34 %).
    flows = [
        (date(2008, 1, 1), -10000.0),
        (date(2008, 3, 1), 2750.0),
        (date(2008, 10, 30), 4250.0),
        (date(2009, 2, 15), 3250.0),
        (date(2009, 4, 1), 2750.0),
    ]
    assert xirr(flows) == pytest.approx(0.373362535, abs=1e-7)
    assert xnpv(0.373362535, flows) == pytest.approx(0.0, abs=1e-3)


def test_xirr_of_one_investment_doubled_after_two_years_is_the_square_root_of_two_less_one():
    flows = [(date(2020, 1, 1), -100.0), (date(2022, 1, 1), 200.0)]  # 731 days
    expected = 2.0 ** (365 / 731) - 1
    assert xirr(flows) == pytest.approx(expected, rel=1e-8)


def test_xirr_is_negative_when_the_payouts_return_less_than_the_money_in():
    flows = [(date(2024, 1, 1), -1000.0), (date(2024, 7, 1), 300.0), (date(2025, 1, 1), 300.0)]
    rate = xirr(flows)
    assert rate is not None and rate < 0
    assert xnpv(rate, flows) == pytest.approx(0.0, abs=1e-6)


def test_no_rate_without_a_change_of_sign():
    assert xirr([(date(2024, 1, 1), -1000.0)]) is None
    assert xirr([(date(2024, 1, 1), 1000.0), (date(2024, 2, 1), 5.0)]) is None
    assert xirr([]) is None


def test_roi_is_cash_on_cash_and_undefined_without_money_in():
    assert roi(invested=1000.0, paid_out=1250.0) == pytest.approx(0.25)
    assert roi(invested=1000.0, paid_out=400.0) == pytest.approx(-0.6)
    assert roi(invested=0.0, paid_out=10.0) is None
