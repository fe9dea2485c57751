"""The API describes itself: OpenAPI at /api/openapi.json and the Swagger page at /api/docs."""


def test_openapi_lists_every_path_with_its_methods(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/locations": {"get"},
        "/api/locations/{location_id}": {"get"},
        "/api/parties": {"get", "post"},
        "/api/parties/{party_id}": {"get"},
        "/api/purchases": {"get", "post"},
        "/api/purchases/bulk": {"post"},
        "/api/statuses": {"get"},
        "/api/statuses/counts": {"get"},
        "/api/statuses/transitions": {"get"},
        "/api/parties/{party_id}/status": {"get"},
        "/api/statuses/refresh": {"post"},
        "/api/touch-standards": {"get", "post"},
        "/api/touch-standards/{standard_id}": {"get", "put", "delete"},
        "/api/touch-standards/{standard_id}/uplift": {"get"},
        "/api/tasks": {"get"},
        "/api/tasks/{task_id}": {"patch"},
        "/api/planning/fits": {"get"},
        "/api/parties/{party_id}/prediction": {"get"},
        "/api/planning/at-risk": {"get"},
        "/api/planning/forecast": {"get"},
        "/api/planning/targets": {"post"},
        "/api/chamomile": {"get"},
        "/api/chamomile/summary": {"get"},
        "/api/chamomile/targets": {"get", "put"},
        "/api/chamomile/figures": {"get"},
        "/api/chamomile/{petal}/table": {"get"},
        "/api/suppliers/turnover": {"get"},
        "/api/suppliers/{supplier_id}/turnover": {"get"},
        "/api/investors/returns": {"get"},
        "/api/community/initiatives": {"get"},
        "/api/community/yearly": {"get"},
        "/api/franchise/cabinet": {"get"},
        "/api/franchise/partners": {"get"},
        "/api/feedback/surveys": {"get"},
        "/api/feedback/waves": {"get", "post"},
        "/api/feedback/answers/client": {"get"},
        "/api/feedback/answers/anonymous": {"get"},
        "/api/feedback/scores": {"get"},
        "/api/feedback/internal-service": {"get"},
        "/api/feedback/link": {"get"},
        "/api/segments": {"get", "post"},
        "/api/segments/figures": {"get"},
        "/api/segments/{segment_id}": {"get"},
        "/api/segments/{segment_id}/clients": {"get"},
        "/api/rfm": {"get"},
        "/api/rfm/clients": {"get"},
        "/api/pareto": {"get"},
        "/api/interviews": {"get", "post"},
        "/api/interviews/summaries": {"get"},
        "/api/imports": {"post"},
    }
    assert {path: set(methods) for path, methods in paths.items()} == expected


def test_openapi_documents_the_token_and_the_error_shape(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    bulk = schema["paths"]["/api/purchases/bulk"]["post"]
    assert {"401", "403", "404", "422"} <= set(bulk["responses"])
    assert schema["components"]["schemas"]["PurchaseOut"]["properties"]["amount"]["type"] == "string"


def test_docs_page_loads_swagger_from_our_own_static_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html
