"""The feedback pages on the demo network: what each role sees in the navigation, and bounded query counts."""

import pytest

from romashka.core.models import Location

AS_OF = {"as_of": "2026-11-23"}


@pytest.mark.parametrize(("username", "sees"), [("owner", True), ("crm", True), ("manager", True), ("hr", True),
                                                ("partner", True), ("analyst", True), ("staff", False)])
def test_the_feedback_section_in_the_navigation(client, login, username, sees):
    login(client, username)
    page = client.get("/")
    labels = [str(item["label"]) for item in page.context["nav"]]
    assert ("Обратная связь" in labels) is sees


@pytest.mark.parametrize(("path", "bound"), [("/feedback/", 15), ("/feedback/staff/", 16), ("/feedback/link/", 15),
                                             ("/feedback/surveys/", 12)])
def test_pages_read_in_a_bounded_number_of_queries(client, login, django_assert_max_num_queries, path, bound):
    login(client, "owner")
    locations = Location.objects.count()  # turnover is the chamomile's figure, one query per location
    with django_assert_max_num_queries(bound + (locations if path == "/feedback/staff/" else 0)):
        response = client.get(path, AS_OF)
    assert response.status_code == 200


def test_the_demo_has_a_year_of_answers_on_every_page(client, login):
    login(client, "owner")
    overview = client.get("/feedback/", AS_OF)
    table = overview.context["table"]
    assert len(table.rows) == Location.objects.count()
    assert all(cell.answers > 0 for cell in table.network.cells)  # twelve months of client answers
    assert overview.context["worst"] == "Логистика и доставка"  # the demo's lagging stage
    staff = client.get("/feedback/staff/", AS_OF)
    assert staff.context["matrix"].raters and all(c.answers for c in staff.context["by_department"].network.cells)
    link = client.get("/feedback/link/", AS_OF)
    # The small demo has four staff per location: no location-month reaches five answers, and the page says so.
    assert link.context["result"].n == 0 and "Слишком мало данных" in link.content.decode()


def test_the_api_documents_the_feedback_paths(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    ours = {path: set(methods) for path, methods in paths.items() if path.startswith("/api/feedback/")}
    assert ours == {"/api/feedback/surveys": {"get"}, "/api/feedback/waves": {"get", "post"},
                    "/api/feedback/answers/client": {"get"}, "/api/feedback/answers/anonymous": {"get"},
                    "/api/feedback/scores": {"get"}, "/api/feedback/internal-service": {"get"},
                    "/api/feedback/link": {"get"}}


def test_the_survey_setup_is_in_the_admin(client, login):
    login(client, "owner")
    for name in ("journeystage", "internalservice", "survey", "wave"):
        assert client.get(f"/admin/feedback/{name}/").status_code == 200, name
