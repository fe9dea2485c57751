"""Chamomile figures are cached until the data changes; a test's rolled-back rows can reuse ids, so every test starts cold."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _cold_figure_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def delivery_quality_without_data():
    """The delivery quality rating without a provider for the test (whatever app may provide it): a figure the
    product does not collect, to see the honest gaps."""
    from romashka.chamomile.figures import FIGURES, figure_provider_set

    own = FIGURES["delivery_quality"].compute
    figure_provider_set("delivery_quality", None)
    yield FIGURES["delivery_quality"]
    figure_provider_set("delivery_quality", own)
