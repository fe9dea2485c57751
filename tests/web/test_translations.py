"""Every interface text has its Russian translation: no empty or fuzzy entry in any .po file.

The main catalogue lives in web/locale; an app may keep its own (chamomile/locale, feedback/locale …).
Each one found under the package is checked, and the main one must exist.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

import romashka

PACKAGE = Path(romashka.__file__).parent
MAIN_CATALOGUE = PACKAGE / "web" / "locale" / "ru" / "LC_MESSAGES" / "django.po"
CATALOGUES = sorted(PACKAGE.glob("*/locale/ru/LC_MESSAGES/django.po"))


def test_the_main_catalogue_is_among_those_checked():
    assert MAIN_CATALOGUE in CATALOGUES


@pytest.mark.parametrize("po_file", CATALOGUES, ids=lambda path: path.parts[-5])
def test_the_russian_catalogue_is_complete(po_file):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (make test installs it)"
    result = subprocess.run(  # noqa: S603
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po_file)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
