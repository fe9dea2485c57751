"""Answering through a personal link: no login, one answer, expiry, forged tokens, scale errors, rate limit,
anonymity of staff answers, and the detractors' follow-up calls in the touch system."""

from datetime import date, timedelta
from unittest import mock

from django.core.cache import cache

from romashka.core.models import Location
from romashka.feedback.choices import SurveyKind
from romashka.feedback.models import Answer, ServiceRating, StageRating, SurveyLink

TODAY = "romashka.feedback.views._today"
DEMO_UNTIL = date(2026, 11, 23)


def _url(token: str) -> str:
    return f"/s/{token}/"


def test_a_link_is_answered_once_with_its_stages(client, issue):
    location = Location.objects.get(code="MSK-01")
    wave, links = issue(SurveyKind.CLIENT, location=location)
    assert links, "the demo has recent buyers at MSK-01"
    token = links[0].token
    assert len(token) >= 32  # 24 random bytes, 192 bits
    stored = SurveyLink.objects.get(wave=wave, party_id=links[0].party_id)
    assert stored.token_hash != token and not SurveyLink.objects.filter(token_hash=token).exists()
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        page = client.get(_url(token))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Блинная на Тверской" in body and "<script" not in body  # no scripts at all on the public form
        stage_ids = [stage.pk for stage, _name in page.context["stages"]]
        before = Answer.objects.count()
        posted = {"score": "9", "comment": "Вкусно", f"stage_{stage_ids[0]}": "4", f"stage_{stage_ids[1]}": "5"}
        done = client.post(_url(token), posted)
        assert done.status_code == 200 and "data-testid=\"thanks\"" in done.content.decode()
        answer = Answer.objects.latest("pk")
        assert Answer.objects.count() == before + 1
        assert (answer.kind, answer.score, answer.comment, answer.party_id) == ("client", 9, "Вкусно",
                                                                                links[0].party_id)
        assert answer.answered_on == DEMO_UNTIL and answer.location_id == location.pk
        assert dict(StageRating.objects.filter(answer=answer).values_list("stage_id", "rating")) == {
            stage_ids[0]: 4, stage_ids[1]: 5}
        again = client.get(_url(token))
        assert again.status_code == 410 and "Ответ уже получен" in again.content.decode()
        in_english = client.get(_url(token) + "?lang=en")
        assert in_english.status_code == 410 and "Already answered" in in_english.content.decode()
        second = client.post(_url(token), {"score": "3"})
        assert second.status_code == 410 and Answer.objects.count() == before + 1


def test_out_of_scale_answers_get_a_field_error_and_nothing_is_recorded(client, issue):
    _wave, links = issue(SurveyKind.CLIENT, location=Location.objects.get(code="MSK-01"))
    token = links[0].token
    before = Answer.objects.count()
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        for value in ("11", "-1", "seven", ""):
            response = client.post(_url(token), {"score": value})
            assert response.status_code == 422
            assert "score" in response.context["errors"]
            assert "0" in response.context["errors"]["score"] and "10" in response.context["errors"]["score"]
        assert Answer.objects.count() == before
        assert not SurveyLink.objects.get(token_hash__isnull=False, party_id=links[0].party_id,
                                          wave=_wave).used
        stage = response.context["stages"][0][0]
        bad_stage = client.post(_url(token), {"score": "8", f"stage_{stage.pk}": "6"})
        assert bad_stage.status_code == 422 and f"stage_{stage.pk}" in bad_stage.context["errors"]
        assert Answer.objects.count() == before


def test_forged_and_expired_links_get_a_friendly_page_and_record_nothing(client, issue):
    _wave, links = issue(SurveyKind.CLIENT, location=Location.objects.get(code="MSK-01"), day=DEMO_UNTIL)
    before = Answer.objects.count()
    forged = client.post(_url("x" * 32), {"score": "10"})
    assert forged.status_code == 404 and "Ссылка не найдена" in forged.content.decode()
    expired_day = _wave.expires_on + timedelta(days=1)
    with mock.patch(TODAY, return_value=expired_day):
        expired = client.post(_url(links[0].token), {"score": "10"})
    assert expired.status_code == 410 and "Опрос закрыт" in expired.content.decode()
    assert Answer.objects.count() == before


def test_a_flood_from_one_address_is_rate_limited(client, issue):
    cache.clear()
    _wave, links = issue(SurveyKind.CLIENT, location=Location.objects.get(code="MSK-01"))
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        statuses = [client.post(_url(links[0].token), {"score": "99"}).status_code for _ in range(20)]
        assert set(statuses) == {422}
        limited = client.post(_url(links[0].token), {"score": "10"})
        assert limited.status_code == 429 and "Слишком много ответов" in limited.content.decode()
        other = client.post(_url(links[1].token), {"score": "10"}, REMOTE_ADDR="10.1.2.3")
        assert other.status_code == 200  # another address is not held back


def test_staff_answers_are_anonymous(client, issue):
    location = Location.objects.get(code="MSK-01")
    wave, links = issue(SurveyKind.EMPLOYEE, location=location)
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        response = client.post(_url(links[0].token), {"score": "10", "satisfaction": "5", "comment": "Хорошо"})
    assert response.status_code == 200
    answer = Answer.objects.filter(wave=wave).get()
    assert answer.party_id is None and answer.answered_on is None
    assert answer.location_id == location.pk and answer.month == DEMO_UNTIL.replace(day=1)
    assert answer.department_id is not None
    field_names = {f.name for f in Answer._meta.get_fields()}
    assert "link" not in field_names and "survey_link" not in field_names


def test_internal_service_answer_rates_the_serving_departments(client, issue):
    from romashka.core.models import Department

    hall = Department.objects.get(code="hall")
    wave, links = issue(SurveyKind.INTERNAL, department=hall)
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        page = client.get(_url(links[0].token))
        providers = page.context["subjects"]
        assert {p.code for p in providers} >= {"kitchen", "purchasing"}
        first, second = providers[0], providers[1]
        half = client.post(_url(links[0].token), {f"service_{first.pk}_quality": "4"})
        assert half.status_code == 422
        assert f"service_{first.pk}_speed" in half.context["errors"]
        done = client.post(_url(links[0].token), {
            f"service_{first.pk}_quality": "4", f"service_{first.pk}_speed": "2", f"service_{first.pk}_courtesy": "5",
            f"service_{first.pk}_comment": "Медленно", f"service_{second.pk}_quality": ""})
    assert done.status_code == 200
    answer = Answer.objects.get(wave=wave)
    assert answer.party_id is None and answer.department_id == hall.pk
    assert list(ServiceRating.objects.filter(answer=answer).values_list("provider_id", "quality", "speed", "courtesy",
                                                                         "comment")) == [
        (first.pk, 4, 2, 5, "Медленно")]


def test_a_detractor_becomes_a_call_for_the_location_manager(client, issue):
    from romashka.feedback.services import detractor_tasks_create
    from romashka.touches.models import Task

    location = Location.objects.get(code="MSK-01")
    _wave, links = issue(SurveyKind.CLIENT, location=location)
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        client.post(_url(links[0].token), {"score": "3", "comment": "Долго ждали"})
    task = Task.objects.get(party_id=links[0].party_id, entry__entered_on=DEMO_UNTIL, note__startswith="NPS 3")
    assert task.state == "open" and task.channel == "call" and task.location_id == location.pk
    assert task.note == "NPS 3: «Долго ждали»"
    assert task.executor is not None and task.executor.user.username == "manager"
    assert task.due_on == DEMO_UNTIL + timedelta(days=1)
    organisation = location.organisation
    assert detractor_tasks_create(organisation=organisation, since=DEMO_UNTIL, until=DEMO_UNTIL) == 0
    assert Task.objects.filter(party_id=links[0].party_id, note__startswith="NPS 3").count() == 1
    # The daily run's cancellation of tasks whose client left its status leaves the follow-up open.
    from romashka.touches.services import tasks_cancel_obsolete

    tasks_cancel_obsolete(organisation=organisation, as_of=DEMO_UNTIL + timedelta(days=1))
    task.refresh_from_db()
    assert task.state == "open"
    promoter = client.post(_url(links[1].token), {"score": "10"})
    assert promoter.status_code in (200, 410)
    assert not Task.objects.filter(party_id=links[1].party_id, note__startswith="NPS").exists()


def test_a_failed_write_gives_the_link_back(issue):
    import pytest

    from romashka.feedback.services import ParsedAnswer, answer_submit

    wave, links = issue(SurveyKind.EMPLOYEE, location=Location.objects.get(code="MSK-01"))
    before = Answer.objects.count()
    with mock.patch("romashka.feedback.services._answer_write", side_effect=RuntimeError("disk full")), \
            pytest.raises(RuntimeError):
        answer_submit(token=links[0].token, parsed=ParsedAnswer(score=8, satisfaction=3), today=DEMO_UNTIL)
    assert Answer.objects.count() == before
    assert not SurveyLink.objects.get(wave=wave, party_id=links[0].party_id).used
    answer_submit(token=links[0].token, parsed=ParsedAnswer(score=8, satisfaction=3), today=DEMO_UNTIL)
    assert SurveyLink.objects.get(wave=wave, party_id=links[0].party_id).used


def test_a_location_manager_rates_the_suppliers_deliveries(client, issue):
    from romashka.feedback.models import DeliveryRating

    location = Location.objects.get(code="MSK-01")
    wave, links = issue(SurveyKind.DELIVERY, location=location)
    assert len(links) == 1 and links[0].name == "Лебедев Игорь"  # the manager of MSK-01
    with mock.patch(TODAY, return_value=DEMO_UNTIL):
        page = client.get(_url(links[0].token))
        suppliers = page.context["subjects"]
        assert suppliers and "Качество поставок" in page.content.decode()
        first = suppliers[0]
        bad = client.post(_url(links[0].token), {f"delivery_{first.pk}_on_time": "0",
                                                 f"delivery_{first.pk}_complete": "5",
                                                 f"delivery_{first.pk}_quality": "5"})
        assert bad.status_code == 422 and f"delivery_{first.pk}_on_time" in bad.context["errors"]
        done = client.post(_url(links[0].token), {f"delivery_{first.pk}_on_time": "2",
                                                  f"delivery_{first.pk}_complete": "4",
                                                  f"delivery_{first.pk}_quality": "5",
                                                  f"delivery_{first.pk}_comment": "Опаздывают по утрам"})
    assert done.status_code == 200
    answer = Answer.objects.get(wave=wave)
    assert answer.location_id == location.pk and answer.party_id == links[0].party_id
    assert list(DeliveryRating.objects.filter(answer=answer).values_list(
        "supplier_id", "on_time", "complete", "quality", "comment")) == [(first.pk, 2, 4, 5, "Опаздывают по утрам")]
