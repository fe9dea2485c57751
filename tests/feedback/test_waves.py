"""Waves from the surveys page: scheduled ones go out with the daily run, sent ones by e-mail or SMS to
consented channels, downloaded ones as a list of links; roles that may not send get 403."""

from datetime import date, timedelta
from unittest import mock

from django.core import mail

from romashka.core.models import Location, Organisation
from romashka.feedback.models import Survey, SurveyLink, Wave

DEMO_UNTIL = date(2026, 11, 23)
TODAY = "romashka.feedback.views._today"


def _client_survey():
    return Survey.objects.get(kind="client", organisation=Organisation.objects.get())


def test_a_scheduled_wave_goes_out_with_the_daily_run(client, login):
    from romashka.touches.services import daily_run

    login(client, "crm")
    location = Location.objects.get(code="MSK-01")
    day = DEMO_UNTIL + timedelta(days=2)
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        response = client.post("/feedback/surveys/", {"survey": _client_survey().pk, "location": location.pk,
                                                      "scheduled_on": day.isoformat(), "delivery": "send"},
                               follow=True)
    assert response.status_code == 200
    wave = Wave.objects.filter(survey=_client_survey(), scheduled_on=day).get()
    assert wave.sent_at is None and wave.links == 0 and not SurveyLink.objects.filter(wave=wave).exists()
    mail.outbox.clear()
    summary = daily_run(organisation=location.organisation, today=day, refresh=False)
    wave.refresh_from_db()
    assert summary["survey_links_sent"] == wave.links > 0 and wave.sent_at is not None
    assert SurveyLink.objects.filter(wave=wave).count() == wave.links
    survey_mail = [m for m in mail.outbox if "/s/" in m.body]
    assert survey_mail, "guests with a consented e-mail get their link by e-mail"
    assert survey_mail[0].subject == _client_survey().name
    assert survey_mail[0].body.count("http://127.0.0.1:8000/s/") == 1
    again = daily_run(organisation=location.organisation, today=day, refresh=False, force=True)
    assert again["survey_links_sent"] == 0  # sent once


def test_the_download_is_the_list_of_links_and_roles_are_checked(client, login):
    login(client, "crm")
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        response = client.post("/feedback/surveys/", {"survey": _client_survey().pk, "delivery": "download",
                                                      "scheduled_on": DEMO_UNTIL.isoformat()})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].split(";")[4] == "Ссылка" and len(lines) > 10
    assert all("/s/" in line for line in lines[1:])
    staff_survey = Survey.objects.get(kind="employee", organisation=Organisation.objects.get())
    forbidden = client.post("/feedback/surveys/", {"survey": staff_survey.pk, "delivery": "download"})
    assert forbidden.status_code == 403  # a CRM manager sends client surveys, not staff ones
    client.logout()
    login(client, "manager")
    other = Location.objects.exclude(code="MSK-01").first()
    assert client.post("/feedback/surveys/", {"survey": _client_survey().pk, "location": other.pk}).status_code == 403
    client.logout()
    login(client, "staff")
    assert client.get("/feedback/surveys/").status_code == 403


def test_the_api_creates_a_wave_and_returns_its_links_once(client, login):
    login(client, "owner")
    created = client.post("/api/feedback/waves", {"survey_id": _client_survey().pk,
                                                  "scheduled_on": DEMO_UNTIL.isoformat(),
                                                  "location_id": Location.objects.get(code="MSK-01").pk},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["wave"]["links"] == len(body["links"]) > 0
    token = body["links"][0]["url"].rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 32
    listed = client.get("/api/feedback/waves").json()
    assert listed["items"][0]["id"] == body["wave"]["id"], listed["items"][:2]
    assert "url" not in str(listed)
