"""Every interface text has its Russian translation: no empty or fuzzy entry in the .po file."""

import shutil
import subprocess
from pathlib import Path

import romashka

PO_FILE = Path(romashka.__file__).parent / "web" / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def test_the_russian_catalogue_is_complete():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (make test installs it)"
    result = subprocess.run(  # noqa: S603
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
