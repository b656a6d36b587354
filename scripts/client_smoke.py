"""Use the Python client generated from the live OpenAPI schema against a running server.

Run by scripts/client-check.sh with the generated `llm_cost_estimator_client` on PYTHONPATH:
create, list, fetch, re-run, chart and delete an analysis, asserting on the typed results.
Usage: python scripts/client_smoke.py BASE_URL
"""

from __future__ import annotations

import sys
import uuid

from llm_cost_estimator_client import Client
from llm_cost_estimator_client.api.analyses import (
    create_analysis,
    delete_analysis,
    get_analysis,
    get_analysis_chart,
    list_analyses,
    rerun_analysis,
)
from llm_cost_estimator_client.models import (
    AnalysisCreate,
    AnalysisPage,
    AnalysisRead,
    AnalysisRerun,
    GetAnalysisChartChart,
    GetAnalysisChartFormat,
    Problem,
)

REQUEST = {
    "workload": {"requests_per_day": 50000, "input_tokens": 800, "output_tokens": 300},
    "api_models": ["openai--gpt-4o", "openai--gpt-4o-mini"],
    "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["l4-24gb"]},
}


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"client smoke test failed: {message}")


def main(base_url: str) -> int:
    marker = f"client-smoke-{uuid.uuid4().hex[:8]}"
    # A POST without a body (the re-run) must still declare JSON: the service refuses
    # state-changing requests that a cross-site HTML form could have sent.
    json_type = {"Content-Type": "application/json"}
    with Client(
        base_url=base_url, raise_on_unexpected_status=True, timeout=120, headers=json_type
    ) as client:
        body = AnalysisCreate.from_dict(
            {"name": marker, "tags": ["client-smoke"], "input": REQUEST}
        )
        key = f"{marker}-key"
        created = create_analysis.sync(client=client, body=body, idempotency_key=key)
        check(isinstance(created, AnalysisRead), f"create returned {created!r}")
        assert isinstance(created, AnalysisRead)
        check(created.name == marker, "create kept the name")
        check(len(created.result.options) > 0, "the estimate has options")
        cheapest = created.result.options[0]
        print(f"created {created.id}: cheapest {cheapest.label} ${cheapest.monthly_cost_usd:,.0f}")

        retried = create_analysis.sync(client=client, body=body, idempotency_key=key)
        check(isinstance(retried, AnalysisRead) and retried.id == created.id, "idempotent retry")

        page = list_analyses.sync(client=client, q=marker)
        check(isinstance(page, AnalysisPage), f"list returned {page!r}")
        assert isinstance(page, AnalysisPage)
        check([item.id for item in page.items] == [created.id], "list finds it once")
        check(page.total == 1, "list total")

        fetched = get_analysis.sync(created.id, client=client)
        check(isinstance(fetched, AnalysisRead), f"get returned {fetched!r}")
        assert isinstance(fetched, AnalysisRead)
        check(
            fetched.result.options[0].monthly_cost_usd == cheapest.monthly_cost_usd,
            "get returns the stored numbers",
        )
        check(fetched.catalog_snapshot.catalog_version == created.catalog_version, "snapshot")

        rerun = rerun_analysis.sync(created.id, client=client, save=True)
        check(isinstance(rerun, AnalysisRerun), f"rerun returned {rerun!r}")
        assert isinstance(rerun, AnalysisRerun)
        check(rerun.diff.unchanged is True, "same catalog, nothing moved")
        check(rerun.revision is not None, "saved as a revision")
        assert rerun.revision is not None
        check(rerun.revision.parent_id == created.id, "revision links to the original")
        print(f"re-ran as revision {rerun.revision.id}")

        chart = get_analysis_chart.sync_detailed(
            created.id,
            GetAnalysisChartChart.COST_VS_VOLUME,
            client=client,
            format_=GetAnalysisChartFormat.PNG,
        )
        check(chart.status_code == 200, f"chart status {chart.status_code}")
        check(chart.content.startswith(b"\x89PNG"), "chart is a PNG")

        for analysis_id in (rerun.revision.id, created.id):
            deleted = delete_analysis.sync_detailed(analysis_id, client=client)
            check(deleted.status_code == 204, f"delete status {deleted.status_code}")
        gone = get_analysis.sync(created.id, client=client)
        check(isinstance(gone, Problem) and gone.status == 404, f"deleted, got {gone!r}")
        check(list_analyses.sync(client=client, q=marker).total == 0, "list after delete")  # type: ignore[union-attr]
    print("generated client: create, list, get, rerun, chart and delete all worked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
