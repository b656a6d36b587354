"""The team model: worked examples for a 2-GPU and a 500-GPU fleet, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidEstimateInputError
from app.core.team import Role, TeamSpec, api_team, self_hosted_team, team_cost_rates

# Loaded cost = BLS OEWS May 2022 mean wage / 0.683 (ECEC wage share, Sep 2018).
IE = 155_880 / 0.683  # $228,228.40 per inference engineer-year
SWE = 132_930 / 0.683  # $194,626.65 per SRE / MLOps / integration engineer-year
DC = 76_060 / 0.683  # $111,361.64 per data-centre technician-year


def fte(team: object, role: Role) -> float:
    lines = {line.role: line for line in team.lines}  # type: ignore[attr-defined]
    return lines[role].fte if role in lines else 0.0


def test_two_gpu_cloud_fleet_needs_a_full_on_call_rotation() -> None:
    # Core team for one model: inference engineers 1 + 0.5 x 1 = 1.5, MLOps 0.25 x 1 = 0.25,
    # SRE base 0.5: 2.25 FTE. A 24/7 rotation with one person on call, each at most 25% of
    # the time, needs 1 / 0.25 = 4 people, so SREs are topped up by 4 - 2.25 = 1.75.
    # Per GPU: 4 SREs per 1,000 GPUs x 2 GPUs = 0.008. SRE total = 0.5 + 1.75 + 0.008 = 2.258.
    team = self_hosted_team(TeamSpec(), 2.0, owned=False)
    assert fte(team, Role.INFERENCE_ENGINEER) == pytest.approx(1.5)
    assert fte(team, Role.MLOPS) == pytest.approx(0.25)
    assert fte(team, Role.SRE) == pytest.approx(2.258)
    assert fte(team, Role.DATACENTER_OPS) == 0.0
    assert team.fte == pytest.approx(4.008)
    # (1.5 x 228,228.40 + 0.25 x 194,626.65 + 2.258 x 194,626.65) / 12
    # = (342,342.61 + 48,656.66 + 439,466.97) / 12 = $69,205.52 per month.
    assert team.usd_per_month == pytest.approx((1.5 * IE + (0.25 + 2.258) * SWE) / 12)
    assert team.usd_per_month == pytest.approx(69_205.52, abs=0.01)


def test_five_hundred_owned_gpus_add_sres_and_data_centre_staff() -> None:
    # Same core of 4 FTE; SREs 4 per 1,000 GPUs x 500 = 2.0 more (4.25 in all); owned
    # hardware adds 1.25 technicians per 1,000 GPUs x 500 = 0.625. Team: 6.625 FTE.
    team = self_hosted_team(TeamSpec(), 500.0, owned=True)
    assert fte(team, Role.SRE) == pytest.approx(4.25)
    assert fte(team, Role.DATACENTER_OPS) == pytest.approx(0.625)
    assert team.fte == pytest.approx(6.625)
    # (1.5 x 228,228.40 + (0.25 + 4.25) x 194,626.65 + 0.625 x 111,361.64) / 12
    # = (342,342.61 + 875,819.91 + 69,601.03) / 12 = $107,313.63 per month.
    expected = (1.5 * IE + 4.5 * SWE + 0.625 * DC) / 12
    assert team.usd_per_month == pytest.approx(expected)
    assert team.usd_per_month == pytest.approx(107_313.63, abs=0.01)


def test_a_support_contract_replaces_the_rotation_minimum() -> None:
    # No top-up: SREs = 0.5 base + 0.008; the contract's $120,000/year is $10,000/month.
    spec = TeamSpec(on_call_support_usd_per_year=120_000.0)
    team = self_hosted_team(spec, 2.0, owned=False)
    assert fte(team, Role.SRE) == pytest.approx(0.508)
    assert team.support_contract_usd_per_month == pytest.approx(10_000.0)


def test_location_factor_scales_every_cost_and_api_team_is_small() -> None:
    spec = TeamSpec(location_cost_factor=0.5)
    base = self_hosted_team(TeamSpec(), 10.0, owned=False).usd_per_month
    assert self_hosted_team(spec, 10.0, owned=False).usd_per_month == pytest.approx(base / 2)
    # 0.25 integration engineer: 0.25 x 194,626.65 / 12 = $4,054.72 per month.
    assert api_team(TeamSpec()).usd_per_month == pytest.approx(0.25 * SWE / 12)
    assert api_team(TeamSpec(api_integration_fte=0.0)).lines == ()


def test_linear_rates_match_the_team() -> None:
    for owned in (False, True):
        fixed, per_gpu = team_cost_rates(TeamSpec(), owned=owned)
        for gpus in (0.0, 8.0, 640.0):
            team = self_hosted_team(TeamSpec(), gpus, owned=owned)
            assert fixed + per_gpu * gpus == pytest.approx(team.usd_per_month)


@pytest.mark.parametrize(
    "kwargs",
    [{"sre_usd_per_year": -1.0}, {"on_call_max_share": 0.0}, {"models_served": 0}],
)
def test_bad_team_inputs_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidEstimateInputError):
        TeamSpec(**kwargs)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    small=st.floats(0, 50_000),
    extra=st.floats(0, 50_000),
    owned=st.booleans(),
    models=st.integers(1, 20),
    support=st.one_of(st.none(), st.floats(0, 1e6)),
    per_1000=st.floats(0, 50),
)
def test_a_bigger_fleet_never_needs_fewer_people(
    small: float, extra: float, owned: bool, models: int, support: float | None, per_1000: float
) -> None:
    spec = TeamSpec(
        models_served=models, on_call_support_usd_per_year=support, sre_per_1000_gpus=per_1000
    )
    smaller = self_hosted_team(spec, small, owned=owned)
    bigger = self_hosted_team(spec, small + extra, owned=owned)
    assert bigger.fte >= smaller.fte - 1e-9
    assert bigger.usd_per_month >= smaller.usd_per_month - 1e-6
    for role in Role:
        assert fte(bigger, role) >= fte(smaller, role) - 1e-9
