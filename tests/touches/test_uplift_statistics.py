"""The uplift's statistics on simulated standards with a known true effect: the 95% interval covers
the truth in about 95% of replications, and with no effect the verdict "works" comes in at most ~5%."""

import numpy as np
import pytest

from romashka.engine.uplift import (
    MIN_GROUP,
    Verdict,
    mean_difference,
    proportion_difference,
    verdict,
    window_outcomes,
)

REPLICATIONS = 4000


@pytest.mark.parametrize(("n_treated", "n_control", "p_control", "uplift"), [
    (900, 100, 0.20, 0.06),   # a 10% control share of a thousand entries
    (4500, 500, 0.08, 0.03),  # rare conversions, a larger network
    (270, 30, 0.35, 0.0),     # the smallest control that gets a verdict
])
def test_the_conversion_interval_covers_the_true_uplift_95_times_in_100(n_treated, n_control, p_control, uplift):
    rng = np.random.default_rng(7)
    converted_t = rng.binomial(n_treated, p_control + uplift, REPLICATIONS)
    converted_c = rng.binomial(n_control, p_control, REPLICATIONS)
    _difference, low, high = proportion_difference(converted_t, n_treated, converted_c, n_control)
    coverage = np.mean((low <= uplift) & (uplift <= high))
    assert 0.93 <= coverage <= 0.97, coverage


def test_with_no_effect_the_verdict_works_is_rare():
    rng = np.random.default_rng(11)
    n_t, n_c = 900, 100
    converted_t = rng.binomial(n_t, 0.2, REPLICATIONS)
    converted_c = rng.binomial(n_c, 0.2, REPLICATIONS)
    _d, low, high = proportion_difference(converted_t, n_t, converted_c, n_c)
    verdicts = verdict(low, high, n_t, n_c, converted_t + converted_c)
    assert np.mean(verdicts == Verdict.WORKS.value) <= 0.05
    assert np.mean(verdicts == Verdict.NO_EVIDENCE.value) >= 0.9


def test_a_real_effect_with_enough_clients_is_found():
    rng = np.random.default_rng(12)
    n_t, n_c = 9000, 1000
    converted_t = rng.binomial(n_t, 0.25, 500)
    converted_c = rng.binomial(n_c, 0.15, 500)
    _d, low, high = proportion_difference(converted_t, n_t, converted_c, n_c)
    assert np.mean(verdict(low, high, n_t, n_c) == Verdict.WORKS.value) > 0.99


def test_the_revenue_interval_covers_the_true_difference_of_skewed_spending():
    """Most clients spend nothing in the window, the rest a gamma-distributed amount: like a café."""
    rng = np.random.default_rng(5)
    n_t, n_c, replications = 1800, 200, 2000
    p_t, p_c, mean_spend = 0.3, 0.2, 900.0
    truth = (p_t - p_c) * mean_spend
    spend_t = (rng.random((replications, n_t)) < p_t) * rng.gamma(2.0, mean_spend / 2, (replications, n_t))
    spend_c = (rng.random((replications, n_c)) < p_c) * rng.gamma(2.0, mean_spend / 2, (replications, n_c))
    _d, low, high = mean_difference(spend_t.sum(1), (spend_t**2).sum(1), n_t, spend_c.sum(1), (spend_c**2).sum(1), n_c)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.93 <= coverage <= 0.97, coverage


def test_too_few_clients_to_tell_whatever_the_interval():
    assert verdict(0.1, 0.3, 500, MIN_GROUP - 1) == Verdict.TOO_FEW.value
    assert verdict(0.1, 0.3, 500, MIN_GROUP) == Verdict.WORKS.value
    assert verdict(-0.3, -0.1, 500, 100) == Verdict.HARMS.value
    assert verdict(-0.1, 0.2, 500, 100) == Verdict.NO_EVIDENCE.value
    assert verdict(0.1, 0.3, 500, 100, conversions=2) == Verdict.TOO_FEW.value


def test_window_outcomes_count_purchases_after_the_entry_within_the_window():
    # party 1 enters on day 100: buys on 100 (the entry itself, not counted), 105 and 131 (outside 30 days)
    # party 2 enters on day 100 and on day 200: a refund-only day 110 is no purchase; buys on 215
    converted, revenue = window_outcomes(
        entry_party=[1, 2, 2], entry_day=[100, 100, 200],
        day_party=[1, 1, 1, 2, 2], day_ordinal=[100, 105, 131, 110, 215], day_amount=[500, 300, 700, -200, 400],
        window_days=30,
    )
    assert converted.tolist() == [True, False, True]
    assert revenue.tolist() == [300.0, -200.0, 400.0]
