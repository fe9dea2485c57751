"""The chamomile speaks Russian: its catalogue is complete, and its pages come out in Russian and English."""

import shutil
import subprocess
from pathlib import Path

import pytest

import romashka

PO_FILE = Path(romashka.__file__).parent / "chamomile" / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def test_the_chamomile_catalogue_is_complete():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (make test installs it)"
    result = subprocess.run(  # noqa: S603
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.django_db
def test_the_pages_are_in_russian_and_in_english(client, login, delivery_quality_without_data):
    login(client, "owner")
    russian = client.get("/chamomile/?month=2026-11", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Текучесть персонала" in russian and "Поставщики и бизнес-партнёры" in russian
    assert "Нет данных: оценки поставок в Ромашке не ведутся." in russian
    client.cookies["romashka_language"] = "en"
    english = client.get("/chamomile/?month=2026-11").content.decode()
    assert "Staff turnover" in english and "Suppliers and business partners" in english
