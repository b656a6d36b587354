"""The people an option needs: roles x FTE x loaded cost, following the work.

A self-hosted service needs a fleet-independent core (inference engineers and MLOps per model
served, a base of SRE) that is topped up to a 24/7 on-call rotation, or replaced by a paid
support contract, plus SREs per GPU operated and, for owned hardware, data-centre technicians
per GPU. An API option needs a small integration and operations share. Defaults and their
sources: app/core/build_defaults.py.

Headcount is linear in the fleet's GPUs above the fixed core, so between two step edges of a
fleet (see breakeven.py) the people cost is constant and the break-even search stays exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from app.core.build_defaults import default
from app.core.errors import InvalidEstimateInputError

MONTHS_PER_YEAR = 12.0
GPUS_PER_THOUSAND = 1000.0


class Role(StrEnum):
    INFERENCE_ENGINEER = "inference_engineer"
    SRE = "sre"
    MLOPS = "mlops"
    DATACENTER_OPS = "datacenter_ops"
    INTEGRATION_ENGINEER = "integration_engineer"


@dataclass(frozen=True, slots=True)
class TeamSpec:
    """Loaded yearly cost per role (USD/FTE-year) and the rules that size the team."""

    inference_engineer_usd_per_year: float = default("team.inference_engineer_usd_per_year")
    sre_usd_per_year: float = default("team.sre_usd_per_year")
    mlops_usd_per_year: float = default("team.mlops_usd_per_year")
    datacenter_ops_usd_per_year: float = default("team.datacenter_ops_usd_per_year")
    integration_engineer_usd_per_year: float = default("team.integration_engineer_usd_per_year")
    # Multiplies every cost above: 1 = US national mean; set your region's ratio.
    location_cost_factor: float = 1.0
    # 24/7 coverage: `on_call_positions` people on call at once, each at most
    # `on_call_max_share` of the time, or a paid support contract instead of a rotation.
    on_call_positions: float = default("team.on_call_positions")
    on_call_max_share: float = default("team.on_call_max_share")
    on_call_support_usd_per_year: float | None = None
    inference_engineers_base: float = default("team.inference_engineers_base")
    inference_engineers_per_model: float = default("team.inference_engineers_per_model")
    mlops_per_model: float = default("team.mlops_per_model")
    sre_base: float = default("team.sre_base")
    sre_per_1000_gpus: float = default("team.sre_per_1000_gpus")
    datacenter_ops_per_1000_gpus: float = default("team.datacenter_ops_per_1000_gpus")
    api_integration_fte: float = default("team.api_integration_fte")
    models_served: int = 1

    def __post_init__(self) -> None:
        for name in (
            "inference_engineer_usd_per_year",
            "sre_usd_per_year",
            "mlops_usd_per_year",
            "datacenter_ops_usd_per_year",
            "integration_engineer_usd_per_year",
            "location_cost_factor",
            "on_call_positions",
            "inference_engineers_base",
            "inference_engineers_per_model",
            "mlops_per_model",
            "sre_base",
            "sre_per_1000_gpus",
            "datacenter_ops_per_1000_gpus",
            "api_integration_fte",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"team.{name} must be >= 0", value=value)
        if not (0 < self.on_call_max_share <= 1):
            raise InvalidEstimateInputError(
                "team.on_call_max_share must be within (0, 1]", value=self.on_call_max_share
            )
        support = self.on_call_support_usd_per_year
        if support is not None and not (math.isfinite(support) and support >= 0):
            raise InvalidEstimateInputError(
                "team.on_call_support_usd_per_year must be >= 0", value=support
            )
        if self.models_served < 1:
            raise InvalidEstimateInputError(
                "team.models_served must be >= 1", value=self.models_served
            )

    def usd_per_year(self, role: Role) -> float:
        """Loaded cost of one FTE in `role` after the location factor (USD/FTE-year)."""
        base = {
            Role.INFERENCE_ENGINEER: self.inference_engineer_usd_per_year,
            Role.SRE: self.sre_usd_per_year,
            Role.MLOPS: self.mlops_usd_per_year,
            Role.DATACENTER_OPS: self.datacenter_ops_usd_per_year,
            Role.INTEGRATION_ENGINEER: self.integration_engineer_usd_per_year,
        }[role]
        return base * self.location_cost_factor

    @property
    def on_call_rotation_fte(self) -> float:
        """People a 24/7 rotation needs (FTE): positions / the largest on-call share each."""
        return self.on_call_positions / self.on_call_max_share


@dataclass(frozen=True, slots=True)
class TeamLine:
    role: Role
    fte: float
    usd_per_fte_year: float

    @property
    def usd_per_month(self) -> float:
        return self.fte * self.usd_per_fte_year / MONTHS_PER_YEAR


@dataclass(frozen=True, slots=True)
class Team:
    """The team an option assumes: roles x FTE x cost, and any support contract (USD/month)."""

    lines: tuple[TeamLine, ...]
    support_contract_usd_per_month: float = 0.0

    @property
    def fte(self) -> float:
        return sum(line.fte for line in self.lines)

    @property
    def usd_per_month(self) -> float:
        people = sum(line.usd_per_month for line in self.lines)
        return people + self.support_contract_usd_per_month


def _fixed_fte(spec: TeamSpec) -> dict[Role, float]:
    """Fleet-independent FTE by role, SREs topped up to the on-call rotation minimum."""
    models = float(spec.models_served)
    fte = {
        Role.INFERENCE_ENGINEER: spec.inference_engineers_base
        + spec.inference_engineers_per_model * models,
        Role.MLOPS: spec.mlops_per_model * models,
        Role.SRE: spec.sre_base,
    }
    if spec.on_call_support_usd_per_year is None:
        # Everyone on the core team carries the pager; SREs fill the rotation's gap.
        gap = spec.on_call_rotation_fte - sum(fte.values())
        fte[Role.SRE] += max(gap, 0.0)
    return fte


def self_hosted_team(spec: TeamSpec, gpus: float, *, owned: bool) -> Team:
    """The team that runs a self-hosted fleet of `gpus` GPUs (peak), owned or rented."""
    if not (math.isfinite(gpus) and gpus >= 0):
        raise InvalidEstimateInputError("gpus must be >= 0", gpus=gpus)
    fte = _fixed_fte(spec)
    fte[Role.SRE] += spec.sre_per_1000_gpus * gpus / GPUS_PER_THOUSAND
    if owned:
        fte[Role.DATACENTER_OPS] = spec.datacenter_ops_per_1000_gpus * gpus / GPUS_PER_THOUSAND
    lines = tuple(
        TeamLine(role, value, spec.usd_per_year(role)) for role, value in fte.items() if value > 0
    )
    support = spec.on_call_support_usd_per_year or 0.0
    return Team(lines, support * spec.location_cost_factor / MONTHS_PER_YEAR)


def api_team(spec: TeamSpec) -> Team:
    """The integration and operations share an API option still needs."""
    if spec.api_integration_fte == 0:
        return Team(())
    role = Role.INTEGRATION_ENGINEER
    return Team((TeamLine(role, spec.api_integration_fte, spec.usd_per_year(role)),))


def team_cost_rates(spec: TeamSpec, *, owned: bool) -> tuple[float, float]:
    """The self-hosted team's monthly cost as fixed + per-GPU (USD/month, USD/GPU-month)."""
    fixed = self_hosted_team(spec, 0.0, owned=owned).usd_per_month
    per_gpu = (
        spec.sre_per_1000_gpus * spec.usd_per_year(Role.SRE)
        + (
            spec.datacenter_ops_per_1000_gpus * spec.usd_per_year(Role.DATACENTER_OPS)
            if owned
            else 0
        )
    ) / (GPUS_PER_THOUSAND * MONTHS_PER_YEAR)
    return fixed, per_gpu
