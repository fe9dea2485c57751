"""The touch pages speak Russian and English (the catalogue's completeness: tests/web/test_translations.py)."""

import pytest


@pytest.mark.django_db
def test_the_pages_are_in_russian_and_in_english(client, login):
    login(client, "crm")
    russian = client.get("/touches/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Стандарты касаний" in russian and "Причины ухода" in russian
    assert "новичком" in russian  # the status entry of the novice standard
    client.cookies["romashka_language"] = "en"
    english = client.get("/touches/").content.decode()
    assert "Reasons for leaving" in english and "became a novice" in english
