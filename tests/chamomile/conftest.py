"""Chamomile figures are cached until the data changes; a test's rolled-back rows can reuse ids, so every test starts cold."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _cold_figure_cache():
    cache.clear()
    yield
    cache.clear()
