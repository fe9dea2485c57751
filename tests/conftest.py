"""Shared fixtures: the small demo network loaded once per session, and logging in as a demo user.

How the data lives:
- `demo_network` builds `demo_network_create(size="small", seed=7, until=DEMO_UNTIL)` once per session,
  right after the test database is created. Ordinary `db` tests run inside a transaction that is
  rolled back, so every one of them sees the same untouched network and may change it freely.
- Transactional tests (`transactional_db`, `live_server`, so the browser tests) flush every table
  when they end, on SQLite and on PostgreSQL alike. pytest-django runs them after all `db` tests,
  but from the first of them on the session's network is gone. They must not rely on
  `demo_network`; they request `demo_network_live` instead, which reuses the network while it is
  still there and builds the same one again after a flush.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

DEMO_SIZE = "small"
DEMO_SEED = 7
DEMO_UNTIL = date(2026, 11, 23)
DEMO_PASSWORD = "romashka"  # the published demo password (romashka.core.demo.DEMO_PASSWORD)


def pytest_configure(config: pytest.Config) -> None:
    """Keeps files the code under test writes (mail, media, static) out of the developer's var/.

    `make test` points ROMASHKA_DATA_DIR at test-output/; a bare `pytest` gets a temporary folder.
    """
    from django.conf import settings

    if not os.environ.get("ROMASHKA_DATA_DIR"):
        scratch = Path(tempfile.mkdtemp(prefix="romashka-tests-"))
        settings.MEDIA_ROOT = scratch / "media"
        settings.STATIC_ROOT = scratch / "static"
        settings.EMAIL_FILE_PATH = scratch / "mail"
    # The demo creates a user per role and tests log in often: a fast hasher instead of 1M PBKDF2 rounds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # WhiteNoise warns on every request when the folder of collected static files is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """ROMASHKA_TEST_DB_SUFFIX lets two runs share one PostgreSQL server without dropping each other's database."""
    from django.conf import settings

    suffix = os.environ.get("ROMASHKA_TEST_DB_SUFFIX")
    if not suffix:
        return
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        test_settings["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{suffix}"


@pytest.fixture(scope="session")
def test_output() -> Path:
    """Where tests put screenshots and other artefacts: ROMASHKA_TEST_OUTPUT, else test-output/local."""
    folder = Path(os.environ.get("ROMASHKA_TEST_OUTPUT") or Path.cwd() / "test-output" / "local")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _demo_network_build() -> dict[str, int]:
    from romashka.core.demo import demo_network_create

    return demo_network_create(size=DEMO_SIZE, seed=DEMO_SEED, until=DEMO_UNTIL)


@pytest.fixture(scope="session")
def demo_network(django_db_setup, django_db_blocker) -> dict[str, int]:
    """The small demo network (counts by kind), loaded once into the test database for `db` tests."""
    from romashka.core.demo import database_is_empty

    with django_db_blocker.unblock():
        if not database_is_empty():
            raise RuntimeError(
                "the test database already holds data (a --reuse-db run?); run without --reuse-db"
            )
        return _demo_network_build()


@pytest.fixture
def demo_network_live(transactional_db) -> None:
    """The same small demo network for transactional and live-server tests (see the module docstring)."""
    from romashka.core.demo import database_is_empty

    if database_is_empty():
        _demo_network_build()


@pytest.fixture
def english_client():
    """A test client whose pages come in English (the language cookie; the product starts in Russian)."""
    from django.conf import settings
    from django.test import Client

    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return english


@pytest.fixture
def login(demo_network, db):
    """`login(client, "owner")` signs the client in as a demo user and returns that user."""
    from django.contrib.auth import get_user_model

    def sign_in(client, username: str):
        assert client.login(username=username, password=DEMO_PASSWORD), f"demo user {username!r} could not log in"
        return get_user_model().objects.get(username=username)

    return sign_in
