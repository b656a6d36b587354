"""Charts a reader can read: nothing drawn outside the image (legends, labels), and series that
lie on top of each other still tell apart."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from app.schemas.estimates import EstimateResponse
from app.services import charts

# Several self-hosted options cost the same (bf16 and fp8 fleets, two owned sizes), all five
# cost components appear, and traffic grows, so lines cross and overlap.
REQUEST: dict[str, Any] = {
    "workload": {
        "requests_per_day": 50_000,
        "input_tokens": 800,
        "output_tokens": 300,
        "latency": {"ttft_p95_s": 2, "tpot_p95_s": 0.1},
        "growth_per_month": 0.05,
        "horizon_months": 24,
    },
    "api_models": ["openai--gpt-4o", "openai--gpt-4o-mini"],
    "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["h100-sxm-80gb", "l4-24gb"]},
}


@pytest.fixture
def result(client: TestClient) -> EstimateResponse:
    response = client.post("/v1/estimates", json=REQUEST)
    assert response.status_code == 200, response.text
    return EstimateResponse.model_validate(response.json())


def _overflow_px(figure: Figure) -> list[float]:
    """How far what is drawn (legends, tick and axis labels, titles) reaches past each edge of
    the image (left, bottom, right, top), in pixels; 0 where it stays inside."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    drawn = figure.get_tightbbox(renderer)
    assert drawn is not None
    # The tight box is in inches; the image spans 0..width, 0..height.
    width, height = figure.get_size_inches()
    dpi = figure.dpi
    return [
        round(max(0.0, -drawn.x0) * dpi, 1),
        round(max(0.0, -drawn.y0) * dpi, 1),
        round(max(0.0, drawn.x1 - width) * dpi, 1),
        round(max(0.0, drawn.y1 - height) * dpi, 1),
    ]


@pytest.mark.parametrize("chart", ["breakdown", "projection", "cost-vs-volume"])
def test_nothing_is_clipped(result: EstimateResponse, chart: str) -> None:
    with charts.chart_style():
        figure = charts.draw_chart(result, chart)  # type: ignore[arg-type]
        assert _overflow_px(figure) == [0.0, 0.0, 0.0, 0.0]


def test_overlapping_projection_series_stay_distinguishable(result: EstimateResponse) -> None:
    with charts.chart_style():
        figure = charts.draw_chart(result, "projection")
    (ax,) = [a for a in figure.axes if a.get_lines()]
    lines: list[Line2D] = [line for line in ax.get_lines() if line.get_label()[:1] != "_"]
    assert len(lines) >= 6
    styles = [(line.get_color(), line.get_linestyle(), line.get_marker()) for line in lines]
    assert len(set(styles)) == len(styles)
    overlapping = [
        (a, b)
        for a, b in itertools.combinations(lines, 2)
        if list(a.get_ydata()) == list(b.get_ydata())
    ]
    assert overlapping  # the request above has options of equal cost
    for below, above in overlapping:
        assert below.get_zorder() < above.get_zorder()
        # The line underneath is wider, so it shows on both sides of the one on top, and
        # their markers sit on different months.
        assert below.get_linewidth() > above.get_linewidth()
        assert (below.get_linestyle(), below.get_marker()) != (
            above.get_linestyle(),
            above.get_marker(),
        )
        assert below.get_markevery() != above.get_markevery()


def test_charts_stay_byte_deterministic(result: EstimateResponse) -> None:
    for chart in ("breakdown", "projection", "cost-vs-volume"):
        for fmt in ("svg", "png"):
            first = charts.render_chart(result, chart, fmt)  # type: ignore[arg-type]
            assert charts.render_chart(result, chart, fmt) == first  # type: ignore[arg-type]
