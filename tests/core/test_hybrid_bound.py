"""The hybrid MILP is skipped only where it could only have answered "no fleet" (n = 0)."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import hybrid_bound
from app.core.economics import CostAssumptionsSpec
from app.core.fleet import SizingPolicySpec
from app.core.hybrid import HybridSolverError, solve_hybrid_replicas
from app.core.option_table import OptionTable, build_option_table
from tests.core.test_estimate_properties import CANDIDATES, workload


def _solve_without_shortcut(
    table: OptionTable, i: int, p: float, volume: float
) -> tuple[int, bool]:
    """The MILP's answer (0 when it finds none), and whether the bound would have skipped it."""
    verdicts: list[bool] = []

    def spy(*args: object) -> bool:
        verdicts.append(hybrid_bound.fleet_cannot_pay(*args))  # type: ignore[arg-type]
        return False

    with patch("app.core.hybrid.fleet_cannot_pay", spy):
        try:
            n = solve_hybrid_replicas(table, i, p, p * 0.5, volume)
        except HybridSolverError:
            n = 0
    return n, verdicts[0]


@settings(max_examples=60, deadline=None)
@given(
    volume=st.floats(10.0, 1e8),
    api_usd_per_request=st.floats(1e-6, 0.05),
    staff_fte=st.floats(0.0, 6.0),
    option=st.integers(0, 9),
)
def test_a_skipped_solve_would_have_found_no_fleet(
    volume: float, api_usd_per_request: float, staff_fte: float, option: int
) -> None:
    w = workload(requests_per_day=volume)
    a = CostAssumptionsSpec(staff_fte=staff_fte)
    table = build_option_table(CANDIDATES[:2], w, a, SizingPolicySpec())
    if table.autoscaled[option] or not table.feasible[option]:
        return
    n, skipped = _solve_without_shortcut(table, option, api_usd_per_request, volume)
    if skipped:
        assert n == 0
        assert (
            solve_hybrid_replicas(
                table, option, api_usd_per_request, api_usd_per_request * 0.5, volume
            )
            == 0
        )


def test_the_bound_skips_a_team_the_api_bill_cannot_pay_and_not_a_busy_fleet() -> None:
    a = CostAssumptionsSpec(staff_fte=3.0)
    small = build_option_table(
        CANDIDATES[:1], workload(requests_per_day=1_000), a, SizingPolicySpec()
    )
    i = int(next(r for r in range(small.size) if small.feasible[r] and not small.autoscaled[r]))
    assert _solve_without_shortcut(small, i, 0.001, 1_000) == (0, True)
    busy = build_option_table(CANDIDATES[:1], workload(requests_per_day=2e6), a, SizingPolicySpec())
    n, skipped = _solve_without_shortcut(busy, i, 0.002, 2e6)
    assert not skipped
    assert n > 0
