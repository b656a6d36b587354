"""Saved analyses end to end: create, read, list, change, delete, re-run, compare, export, charts
and the HTML report. Every test runs inside the rolled-back test transaction."""

from __future__ import annotations

import csv
import io
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import JSON, PROBLEM, REQUEST, body


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/analyses", json=body(**overrides))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def total(client: TestClient, **params: Any) -> int:
    return int(client.get("/v1/analyses", params=params).json()["total"])


# --- create and read ------------------------------------------------------------------------------


def test_create_stores_input_snapshot_and_result(client: TestClient) -> None:
    response = client.post("/v1/analyses", json=body())
    assert response.status_code == 201, response.text
    saved = response.json()
    assert response.headers["location"] == f"/v1/analyses/{saved['id']}"
    assert saved["name"] == "Support bot"
    assert saved["tags"] == ["support", "q3"]
    assert saved["input"]["workload"]["requests_per_day"] == 50000
    assert saved["api_models"] == ["openai--gpt-4o", "openai--gpt-4o-mini"]
    assert saved["open_models"] == ["llama-3.1-8b"]
    assert saved["created_at"] == saved["updated_at"]
    assert saved["parent_id"] is None

    # The stored result is the estimate the service computes for the same input.
    direct = client.post("/v1/estimates", json=REQUEST).json()
    assert saved["result"] == direct
    assert saved["catalog_version"] == direct["assumptions"]["catalog_version"]
    assert saved["estimator_version"] == direct["assumptions"]["estimator_version"]
    assert saved["cheapest_option"] == direct["options"][0]["label"]
    assert saved["cheapest_monthly_cost_usd"] == direct["options"][0]["monthly_cost_usd"]

    # The snapshot holds the exact catalog prices used, with their sources.
    price = client.get("/v1/api-models/openai--gpt-4o").json()
    used = {m["slug"]: m for m in saved["catalog_snapshot"]["api_models"]}["openai--gpt-4o"]
    assert used["usd_per_mtok_input"] == price["usd_per_mtok_input"]
    assert used["source"] == price["source"]
    assert {g["slug"] for g in saved["catalog_snapshot"]["gpus"]} == {"h100-sxm-80gb", "l4-24gb"}

    fetched = client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == saved


def test_failed_estimate_stores_nothing(client: TestClient) -> None:
    before = total(client)
    bad = body(input={**REQUEST, "api_models": ["no-such-model"]})
    response = client.post("/v1/analyses", json=bad)
    assert response.status_code in {404, 422}, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert total(client) == before


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"tags": ["Not A Tag"]},
        {"tags": ["t"] * 21},
        {"unknown": 1},
        {"input": {"workload": {"input_tokens": 10}}},
    ],
)
def test_invalid_create_bodies_are_problems(client: TestClient, change: dict[str, Any]) -> None:
    problem = assert_problem(client.post("/v1/analyses", json=body(**change)), 422)
    assert problem["errors"]


def test_missing_analysis_is_404(client: TestClient) -> None:
    missing = uuid.uuid4()
    assert_problem(client.get(f"/v1/analyses/{missing}"), 404)
    assert_problem(client.patch(f"/v1/analyses/{missing}", json={"name": "x"}), 404)
    assert_problem(client.delete(f"/v1/analyses/{missing}"), 404)
    assert_problem(client.post(f"/v1/analyses/{missing}/rerun", headers=JSON), 404)
    assert_problem(client.get(f"/v1/analyses/{missing}/report"), 404)
    assert_problem(client.get("/v1/analyses/not-a-uuid"), 422)


# --- idempotency ----------------------------------------------------------------------------------


def test_idempotent_retry_returns_the_first_analysis(client: TestClient) -> None:
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    first = client.post("/v1/analyses", json=body(), headers=key)
    assert first.status_code == 201
    count = total(client)
    retry = client.post("/v1/analyses", json=body(), headers=key)
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["location"] == first.headers["location"]
    assert total(client) == count

    other = assert_problem(client.post("/v1/analyses", json=body(name="Other"), headers=key), 409)
    assert other["analysis_id"] == first.json()["id"]
    assert total(client) == count


# --- list -----------------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(client: TestClient) -> None:
    before = total(client)
    a = create(client, name="Alpha chat", tags=["chat"])
    b = create(
        client,
        name="Beta summariser",
        description="batch summaries",
        tags=["batch", "q3"],
        input={**REQUEST, "api_models": ["openai--gpt-4o-mini"]},
    )
    c = create(
        client,
        name="Gamma mistral",
        tags=["chat", "q3"],
        input={
            **REQUEST,
            "self_hosting": {"open_models": ["mistral-7b"], "gpus": ["l4-24gb"]},
        },
    )
    assert total(client) == before + 3

    def names(**params: Any) -> list[str]:
        page = client.get("/v1/analyses", params=params)
        assert page.status_code == 200, page.text
        return [item["name"] for item in page.json()["items"]]

    assert names(q="summar") == ["Beta summariser"]
    assert names(q="BATCH SUM") == ["Beta summariser"]  # description, any case
    assert set(names(tag="chat")) == {"Alpha chat", "Gamma mistral"}
    assert names(tag=["chat", "q3"]) == ["Gamma mistral"]
    assert set(names(api_model="openai--gpt-4o")) == {"Alpha chat", "Gamma mistral"}
    assert names(open_model="mistral-7b") == ["Gamma mistral"]
    assert names(open_model="llama-3.1-8b", tag="batch") == ["Beta summariser"]
    assert names(q="mistral", sort="name", limit=1) == ["Gamma mistral"]

    ours = {a["id"], b["id"], c["id"]}
    newest_first = [i for i in client.get("/v1/analyses").json()["items"] if i["id"] in ours]
    assert [i["name"] for i in newest_first] == ["Gamma mistral", "Beta summariser", "Alpha chat"]
    assert "result" not in newest_first[0]
    assert newest_first[0]["links"]["report"] == f"/v1/analyses/{c['id']}/report"

    by_name = names(tag="q3", sort="-name")
    assert by_name == sorted(by_name, reverse=True)
    costs = [
        i["cheapest_monthly_cost_usd"]
        for i in client.get("/v1/analyses", params={"sort": "cheapest_monthly_cost_usd"}).json()[
            "items"
        ]
    ]
    assert costs == sorted(costs)

    first = client.get("/v1/analyses", params={"tag": "q3", "limit": 1}).json()
    second = client.get("/v1/analyses", params={"tag": "q3", "limit": 1, "offset": 1}).json()
    assert first["total"] == second["total"] == 2
    assert first["items"][0]["id"] != second["items"][0]["id"]

    created = c["created_at"]
    assert "Gamma mistral" in names(created_after=created)
    assert "Gamma mistral" not in names(created_before=created)
    assert "Alpha chat" in names(created_before=created)
    assert_problem(client.get("/v1/analyses", params={"sort": "result"}), 422)
    # A bare number is not an instant (lax parsing would read it as seconds since 1970).
    assert_problem(client.get("/v1/analyses", params={"created_before": "0.5"}), 422)


def test_every_link_resolves(client: TestClient) -> None:
    saved = create(client)
    for name, path in saved["links"].items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.text)


# --- update and delete ----------------------------------------------------------------------------


def test_patch_changes_labels_only(client: TestClient) -> None:
    saved = create(client)
    response = client.patch(
        f"/v1/analyses/{saved['id']}",
        json={"name": "Renamed", "tags": ["final", "final", "q4"]},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["name"] == "Renamed"
    assert patched["tags"] == ["final", "q4"]
    assert patched["description"] == saved["description"]
    assert patched["updated_at"] > saved["updated_at"]
    assert patched["created_at"] == saved["created_at"]
    assert patched["result"] == saved["result"]
    assert client.get(f"/v1/analyses/{saved['id']}").json()["name"] == "Renamed"

    assert_problem(client.patch(f"/v1/analyses/{saved['id']}", json={"name": None}), 422)
    assert_problem(client.patch(f"/v1/analyses/{saved['id']}", json={"result": {}}), 422)


def test_delete_is_permanent(client: TestClient) -> None:
    saved = create(client)
    count = total(client)
    response = client.delete(f"/v1/analyses/{saved['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(f"/v1/analyses/{saved['id']}"), 404)
    assert_problem(client.delete(f"/v1/analyses/{saved['id']}"), 404)
    assert total(client) == count - 1


# --- re-run ---------------------------------------------------------------------------------------


def test_rerun_with_the_same_catalog_changes_nothing(client: TestClient) -> None:
    saved = create(client)
    count = total(client)
    response = client.post(f"/v1/analyses/{saved['id']}/rerun", headers=JSON)
    assert response.status_code == 200, response.text
    rerun = response.json()
    assert rerun["diff"]["unchanged"] is True
    assert rerun["diff"]["catalog_changes"] == []
    assert rerun["result"] == saved["result"]
    assert all(o["change_usd"] == 0 for o in rerun["diff"]["options"])
    assert rerun["revision"] is None
    assert total(client) == count


def test_rerun_after_a_price_change_shows_what_moved(
    client: TestClient, admin: dict[str, str]
) -> None:
    saved = create(client)
    slug = "openai--gpt-4o-mini"
    old_price = client.get(f"/v1/api-models/{slug}").json()["usd_per_mtok_input"]
    changed = client.patch(
        f"/v1/api-models/{slug}", json={"usd_per_mtok_input": old_price * 2}, headers=admin
    )
    assert changed.status_code == 200, changed.text

    response = client.post(f"/v1/analyses/{saved['id']}/rerun", headers=JSON)
    assert response.status_code == 200, response.text
    diff = response.json()["diff"]
    assert diff["unchanged"] is False
    assert diff["catalog_version_after"] > diff["catalog_version_before"]
    assert diff["catalog_version_before"] == saved["catalog_version"]
    price_moves = [c for c in diff["catalog_changes"] if c["field"] == "usd_per_mtok_input"]
    assert price_moves == [
        {
            "kind": "api_model",
            "slug": slug,
            "status": "changed",
            "field": "usd_per_mtok_input",
            "before": old_price,
            "after": old_price * 2,
            "change": pytest.approx(old_price),
            "change_share": pytest.approx(1.0),
        }
    ]

    # Input tokens cost twice as much, so the option's cost grows by its old input component.
    old_option = next(o for o in saved["result"]["options"] if o["api_model"] == slug)
    moved = next(o for o in diff["options"] if o["label"] == old_option["label"])
    assert moved["monthly_cost_usd_before"] == old_option["monthly_cost_usd"]
    assert moved["change_usd"] == pytest.approx(old_option["breakdown"]["api_input"], rel=1e-9)
    untouched = next(o for o in diff["options"] if o["label"] == "openai--gpt-4o")
    assert untouched["change_usd"] == 0

    # The API side got dearer, so self-hosting pays off at a lower volume.
    assert diff["break_even"]["api_model"] == slug
    before, after = (
        diff["break_even"]["requests_per_day_before"],
        diff["break_even"]["requests_per_day_after"],
    )
    assert after < before
    assert diff["break_even"]["change_requests_per_day"] == pytest.approx(after - before)

    # The saved analysis keeps its original numbers.
    assert client.get(f"/v1/analyses/{saved['id']}").json()["result"] == saved["result"]


def test_rerun_saved_as_revision_links_to_the_original(client: TestClient) -> None:
    saved = create(client)
    response = client.post(f"/v1/analyses/{saved['id']}/rerun", params={"save": True}, headers=JSON)
    assert response.status_code == 200, response.text
    revision = response.json()["revision"]
    assert revision["parent_id"] == saved["id"]
    assert revision["id"] != saved["id"]
    assert revision["name"] == saved["name"]
    assert revision["input"] == saved["input"]
    assert response.headers["location"] == f"/v1/analyses/{revision['id']}"
    listed = client.get("/v1/analyses", params={"parent_id": saved["id"]}).json()
    assert [i["id"] for i in listed["items"]] == [revision["id"]]

    # Deleting the original keeps the revision and clears its link.
    assert client.delete(f"/v1/analyses/{saved['id']}").status_code == 204
    orphan = client.get(f"/v1/analyses/{revision['id']}").json()
    assert orphan["parent_id"] is None
    assert orphan["result"] == revision["result"]


def test_rerun_ignores_a_pinned_catalog_version(client: TestClient, admin: dict[str, str]) -> None:
    pinned = create(client, input={**REQUEST, "catalog_version": 1})
    assert pinned["catalog_version"] == 1
    slug = "openai--gpt-4o"
    price = client.get(f"/v1/api-models/{slug}").json()["usd_per_mtok_output"]
    client.patch(f"/v1/api-models/{slug}", json={"usd_per_mtok_output": price + 1}, headers=admin)
    diff = client.post(f"/v1/analyses/{pinned['id']}/rerun", headers=JSON).json()["diff"]
    assert diff["catalog_version_after"] > 1
    assert any(c["slug"] == slug for c in diff["catalog_changes"])


# --- compare and export ---------------------------------------------------------------------------


def test_compare_puts_analyses_side_by_side(client: TestClient) -> None:
    a = create(client, name="Today")
    b = create(
        client,
        name="Double traffic",
        input={**REQUEST, "workload": {**REQUEST["workload"], "requests_per_day": 100000}},
    )
    response = client.get("/v1/analysis-comparisons", params={"ids": [a["id"], b["id"]]})
    assert response.status_code == 200, response.text
    comparison = response.json()
    assert [x["name"] for x in comparison["analyses"]] == ["Today", "Double traffic"]
    assert [x["requests_per_day"] for x in comparison["analyses"]] == [50000, 100000]
    row = next(r for r in comparison["rows"] if r["label"] == "openai--gpt-4o")
    cost_a = next(o for o in a["result"]["options"] if o["label"] == "openai--gpt-4o")
    cost_b = next(o for o in b["result"]["options"] if o["label"] == "openai--gpt-4o")
    assert row["monthly_cost_usd"] == [cost_a["monthly_cost_usd"], cost_b["monthly_cost_usd"]]
    # Token prices are linear in volume: twice the requests, twice the API bill.
    assert cost_b["monthly_cost_usd"] == pytest.approx(2 * cost_a["monthly_cost_usd"])

    assert_problem(client.get("/v1/analysis-comparisons", params={"ids": [a["id"]]}), 422)
    assert_problem(
        client.get("/v1/analysis-comparisons", params={"ids": [a["id"], str(uuid.uuid4())]}), 404
    )


def test_export_json_and_csv(client: TestClient) -> None:
    saved = create(client)
    as_json = client.get(f"/v1/analyses/{saved['id']}/export")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert "attachment" in as_json.headers["content-disposition"]
    assert as_json.json() == saved

    as_csv = client.get(f"/v1/analyses/{saved['id']}/export", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    options = saved["result"]["options"]
    assert len(rows) == len(options)
    for row, option in zip(rows, options, strict=True):
        assert row["label"] == option["label"]
        # Money is exported in cents (half a cent either way) and the parts add up to the cent.
        half_cent = 0.005 + 1e-9
        assert abs(float(row["monthly_cost_usd"]) - option["monthly_cost_usd"]) <= half_cent
        parts = [float(row[k]) for k in row if k.startswith("breakdown_") and row[k]]
        assert abs(sum(parts) - option["monthly_cost_usd"]) <= half_cent * len(parts)
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert_problem(client.get(f"/v1/analyses/{saved['id']}/export", params={"format": "xml"}), 422)


# --- charts and report ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chart", "text"),
    [
        ("cost-vs-volume", "break-even vs openai--gpt-4o-mini"),
        ("breakdown", "Monthly cost by component"),
        ("projection", "Monthly cost over the projection horizon"),
    ],
)
def test_charts_as_svg_and_png(client: TestClient, chart: str, text: str) -> None:
    saved = create(client)
    url = f"/v1/analyses/{saved['id']}/charts/{chart}"
    svg = client.get(url)
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "<svg" in svg.text
    assert text in svg.text  # text stays text (svg.fonttype none)
    assert client.get(url).content == svg.content  # deterministic

    png = client.get(url, params={"format": "png"})
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")

    assert_problem(client.get(url, params={"format": "gif"}), 422)


def test_unknown_chart_is_a_problem(client: TestClient) -> None:
    saved = create(client)
    assert_problem(client.get(f"/v1/analyses/{saved['id']}/charts/pie"), 422)


class _Resources(HTMLParser):
    """Collects every URL the page would load by itself (not links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name in ("src", "srcset", "data", "poster", "background"):
            if name in values:
                self.loads.append(values[name])
        if tag == "link" and "href" in values:
            self.loads.append(values["href"])
        if tag in {"image", "use", "feimage"}:
            self.loads.extend(values[k] for k in ("href", "xlink:href") if k in values)
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        if "style" in values:
            self.styles.append(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def test_report_is_self_contained_and_escaped(client: TestClient) -> None:
    saved = create(client, name="Bot <script>alert(1)</script>", description="a & b")
    response = client.get(f"/v1/analyses/{saved['id']}/report")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<script>alert(1)</script>" not in html
    assert "Bot &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html

    result = saved["result"]
    assert result["options"][0]["label"].replace("&", "&amp;") in html
    assert html.count("<svg") == 3
    assert "@media print" in html
    for entry in saved["catalog_snapshot"]["api_models"]:
        assert entry["source"].replace("&", "&amp;") in html
    for default in result["assumptions"]["defaults_applied"]:
        assert default.replace("&", "&amp;").replace(">", "&gt;") in html

    parser = _Resources()
    parser.feed(html)
    # No images, scripts, stylesheets or fonts by URL; the inline SVGs only point into the page.
    assert parser.loads
    assert all(url.startswith("#") for url in parser.loads), {
        url for url in parser.loads if not url.startswith("#")
    }
    for style in parser.styles:
        assert "url(" not in style
        assert "@import" not in style
    assert "<script" not in html
    assert all(link.startswith("/v1/analyses/") for link in parser.links)


def test_operation_ids_read_naturally(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    ids = {op["operationId"] for item in paths.values() for op in item.values()}
    assert {
        "create_analysis",
        "list_analyses",
        "get_analysis",
        "update_analysis",
        "delete_analysis",
        "rerun_analysis",
        "compare_analyses",
        "export_analysis",
        "get_analysis_chart",
        "get_analysis_report",
    } <= ids


def test_rerun_matches_options_by_key_when_their_labels_change(
    client: TestClient, admin: dict[str, str]
) -> None:
    # A cheaper on-demand H100 offering changes the label of the H100 on-demand options (their
    # offering is part of the label), not their identity.
    saved = create(client)
    before = next(
        o
        for o in saved["result"]["options"]
        if o["key"]["gpu"] == "h100-sxm-80gb" and o["key"]["purchase_mode"] == "on_demand"
    )
    offering = {
        "slug": "test-cheap-h100",
        "provider": "testcloud",
        "instance_type": "cheap.h100",
        "gpu_slug": "h100-sxm-80gb",
        "gpu_count": 1,
        "usd_per_hour_on_demand": 0.5,
        "source": "test fixture",
        "as_of": "2026-11-30",
    }
    created = client.post("/v1/gpu-offerings", json=offering, headers=admin)
    assert created.status_code == 201, created.text

    diff = client.post(f"/v1/analyses/{saved['id']}/rerun", headers=JSON).json()["diff"]
    (moved,) = [o for o in diff["options"] if o["option_id_before"] == before["id"]]
    assert moved["status"] == "both"
    assert moved["key"]["offering"] == "test-cheap-h100"
    assert "test-cheap-h100" in moved["label"]
    assert before["label"] != moved["label"]
    assert moved["option_id_after"] == before["id"]
    assert moved["change_usd"] < 0
    assert not [o for o in diff["options"] if o["label"] == before["label"]]
