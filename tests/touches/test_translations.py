"""The touch system speaks Russian: its catalogue is complete, and its pages come out in Russian."""

import shutil
import subprocess
from pathlib import Path

import pytest

import romashka

PO_FILE = Path(romashka.__file__).parent / "touches" / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def test_the_touch_catalogue_is_complete():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (make test installs it)"
    result = subprocess.run(  # noqa: S603
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.django_db
def test_the_pages_are_in_russian_and_in_english(client, login):
    login(client, "crm")
    russian = client.get("/touches/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Стандарты касаний" in russian and "Причины ухода" in russian
    assert "новичком" in russian  # the status entry of the novice standard
    client.cookies["romashka_language"] = "en"
    english = client.get("/touches/").content.decode()
    assert "Reasons for leaving" in english and "became a novice" in english
