"""The survey statistics on hand-built numbers: NPS and its interval, the dragging stage, Pearson r with Fisher z."""

import math
import random

import pytest

from romashka.engine.satisfaction import correlation, dragging_stage, nps_counts, nps_interval, stage_drag


def test_nps_interval_by_hand():
    # 5 promoters, 3 passives, 2 detractors: NPS 30; variance (0.5 + 0.2 − 0.3²) / 10 = 0.061.
    estimate = nps_interval(5, 3, 2)
    assert estimate.answers == 10
    assert estimate.nps == pytest.approx(30.0)
    half = 100 * 1.959963984540054 * math.sqrt(0.061)
    assert half == pytest.approx(48.41, abs=0.01)
    assert estimate.low == pytest.approx(30 - half)
    assert estimate.high == pytest.approx(30 + half)


def test_nps_interval_edges():
    assert nps_interval(0, 0, 0).nps is None
    unanimous = nps_interval(7, 0, 0)
    assert (unanimous.nps, unanimous.low, unanimous.high) == (100.0, 100.0, 100.0)
    # Two answers far apart: the interval is clipped to the scale.
    split = nps_interval(1, 0, 1)
    assert split.nps == 0 and split.low == -100 and split.high == 100


def test_nps_counts_bands():
    assert nps_counts([10, 9, 8, 7, 6, 0]) == (2, 2, 2)


def test_stage_drag_by_hand():
    # Ratings 1 and 2 (low) go with scores 2 and 5: NPS −100; the rest (9, 10, 8): NPS 66.7.
    drag = stage_drag("logistics", [(1, 2), (2, 5), (4, 9), (5, 10), (3, 8)])
    assert drag.ratings == 5 and drag.mean_rating == pytest.approx(3.0)
    assert drag.low_share == pytest.approx(0.4)
    assert drag.nps_low == pytest.approx(-100.0)
    assert drag.nps_rest == pytest.approx(200 / 3)
    assert drag.drag == pytest.approx(0.4 * (200 / 3 + 100))
    harmless = stage_drag("product", [(5, 10), (4, 9), (5, 8)])
    assert harmless.drag == 0
    assert dragging_stage([harmless, drag]) is drag
    assert dragging_stage([harmless]) is None


def test_correlation_by_hand():
    # x 1..5, y 2,4,5,4,5: sxy 6, sxx 10, syy 6, so r = 6/√60, slope 0.6, intercept 2.2.
    result = correlation([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])
    assert result.r == pytest.approx(6 / math.sqrt(60))
    assert result.slope == pytest.approx(0.6) and result.intercept == pytest.approx(2.2)
    half = 1.959963984540054 / math.sqrt(2)
    assert result.low == pytest.approx(math.tanh(math.atanh(6 / math.sqrt(60)) - half))
    assert result.high == pytest.approx(math.tanh(math.atanh(6 / math.sqrt(60)) + half))
    assert result.low == pytest.approx(-0.340, abs=1e-3) and result.high == pytest.approx(0.984, abs=1e-3)
    assert not result.enough  # five pairs are too few to tell


def test_symmetric_data_has_zero_correlation_and_an_interval_around_it():
    result = correlation(list(range(1, 10)), [5, 3, 1, 2, 4, 2, 1, 3, 5])
    assert result.r == pytest.approx(0.0, abs=1e-12)
    assert result.low == pytest.approx(-math.tanh(1.959963984540054 / math.sqrt(6)))
    assert result.high == pytest.approx(math.tanh(1.959963984540054 / math.sqrt(6)))
    assert result.enough and not result.positive and not result.negative


def test_a_planted_effect_is_found_and_a_null_effect_covers_zero():
    rng = random.Random(11)
    staff = [rng.uniform(-40, 60) for _ in range(60)]
    planted = [20 + 0.5 * x + rng.gauss(0, 15) for x in staff]
    found = correlation(staff, planted)
    assert found.enough and found.positive and found.low > 0.3
    assert found.slope == pytest.approx(0.5, abs=0.15)
    null = correlation(staff, [20 + rng.gauss(0, 15) for _ in staff])
    assert null.low < 0 < null.high and not null.positive


def test_constant_measure_has_no_correlation():
    result = correlation([1, 2, 3, 4], [5, 5, 5, 5])
    assert result.r is None and not result.enough
    with pytest.raises(ValueError):
        correlation([1, 2], [1])
