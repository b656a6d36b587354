"""The options an estimate compares: their identity (a structured key), fleets and costs.

A label is for people; the key is for code. Every option id is derived from its key here and
nowhere else, and nothing parses an id or a label back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.whole_cost import OptionWholeCost


class OptionKind(StrEnum):
    API = "api"
    SELF_HOSTED = "self_hosted"
    HYBRID = "hybrid"


#: Id prefix per kind (kept short and stable for URLs and CSV exports).
_ID_PREFIX = {OptionKind.API: "api", OptionKind.SELF_HOSTED: "self", OptionKind.HYBRID: "hybrid"}


@dataclass(frozen=True, slots=True)
class OptionKey:
    """What identifies an option across runs: the API model, or the open model, GPU, replica
    size (tensor-parallel GPUs per server, and servers), precision and purchase mode of a
    fleet (plus the API model of a hybrid). The offering priced is carried for information; it
    does not distinguish options."""

    kind: OptionKind
    api_model: str | None = None
    open_model: str | None = None
    gpu: str | None = None
    tensor_parallel: int | None = None
    precision: str | None = None
    purchase_mode: str | None = None
    offering: str | None = field(default=None, compare=False)
    pipeline_parallel: int = 1  # servers (pipeline stages) per replica
    # The id, derived once: an estimate reads each option's id many times (sorting, lookups,
    # whole cost, the response), and joining the parts each time was a measurable share.
    _id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_id", self._derive_id())

    @property
    def id(self) -> str:
        """The option's id: `api:<model>`, `self:<model>:<gpu>:tp<n>:<precision>:<mode>`, or
        `hybrid:` followed by the self-hosted part and the API model. A replica spanning
        servers says so in the replica-size part (`tp8pp2`); one-server ids have no `pp`."""
        return self._id

    def _derive_id(self) -> str:
        parts = [_ID_PREFIX[self.kind]]
        if self.kind is not OptionKind.API:
            parts += [
                str(self.open_model),
                str(self.gpu),
                f"tp{self.tensor_parallel}"
                + (f"pp{self.pipeline_parallel}" if self.pipeline_parallel > 1 else ""),
                str(self.precision),
                str(self.purchase_mode),
            ]
        if self.api_model is not None:
            parts.append(self.api_model)
        return ":".join(parts)

    def with_api_model(self, kind: OptionKind, api_model: str) -> OptionKey:
        return OptionKey(
            kind,
            api_model,
            self.open_model,
            self.gpu,
            self.tensor_parallel,
            self.precision,
            self.purchase_mode,
            self.offering,
            self.pipeline_parallel,
        )


@dataclass(slots=True)
class FleetPlan:
    """A self-hosted fleet at the workload's volume (peak figures for autoscaled fleets).

    Treated as immutable but not declared frozen: every estimate builds one per self-hosted
    option (about a hundred), and a frozen dataclass's `__init__` sets each of its 21 fields
    through `object.__setattr__`, ten times the cost of a plain one. Copy with `replace`."""

    open_model: str
    gpu: str
    tensor_parallel: int
    precision: str
    purchase_mode: str
    offering: str | None
    serving_replicas: int
    replicas: int
    instances: int
    gpus: int
    gpus_per_replica: int
    gpus_per_instance: int
    average_gpus: float
    average_utilisation: float  # busy replica-time over held replica-time
    gpu_utilisation: float  # busy GPU-time over bought GPU-time
    unused_gpus: int  # GPUs bought at peak that hold no replica (instance or server packing)
    replica_requests_per_s: float  # usable interactive capacity of one replica
    operating_concurrency: float
    ttft_s: float
    tpot_s: float
    pipeline_parallel: int = 1  # servers (pipeline stages) per replica


@dataclass(frozen=True, slots=True)
class OptionAlternative:
    """Another option with the same fleet size and monthly cost (to the cent), folded into
    the one shown: it differs only in precision, replica size or offering."""

    id: str
    label: str
    precision: str | None
    tensor_parallel: int | None
    offering: str | None


@dataclass(slots=True)
class CostOption:
    """One way to serve the workload, with its monthly cost or the reason it cannot.

    Treated as immutable but not declared frozen, like FleetPlan: an estimate builds and
    copies a few hundred, and a frozen `__init__` costs several times a plain one."""

    key: OptionKey
    label: str
    feasible: bool
    reason: str | None
    monthly_cost_usd: float | None
    usd_per_million_tokens: float | None
    breakdown: dict[str, float]
    fleet: FleetPlan | None = None
    self_hosted_request_share: float = 0.0
    alternatives: tuple[OptionAlternative, ...] = ()
    # Team, cost shares, drivers and cash up front (app/core/whole_cost.py), when estimated.
    whole_cost: OptionWholeCost | None = None

    @property
    def id(self) -> str:
        return self.key.id

    def with_whole_cost(self, whole: OptionWholeCost) -> CostOption:
        """This option with `whole` attached (done for every option, every time)."""
        return self._copy(self.alternatives, whole)

    def with_alternatives(self, alternatives: tuple[OptionAlternative, ...]) -> CostOption:
        """This option listing `alternatives` (the equivalents folded into it)."""
        return self._copy(alternatives, self.whole_cost)

    def _copy(
        self, alternatives: tuple[OptionAlternative, ...], whole_cost: OptionWholeCost | None
    ) -> CostOption:
        """`dataclasses.replace` with the fields written out, which costs a fraction of the
        generic copy."""
        return CostOption(
            key=self.key,
            label=self.label,
            feasible=self.feasible,
            reason=self.reason,
            monthly_cost_usd=self.monthly_cost_usd,
            usd_per_million_tokens=self.usd_per_million_tokens,
            breakdown=self.breakdown,
            fleet=self.fleet,
            self_hosted_request_share=self.self_hosted_request_share,
            alternatives=alternatives,
            whole_cost=whole_cost,
        )

    @property
    def kind(self) -> OptionKind:
        return self.key.kind

    @property
    def api_model(self) -> str | None:
        return self.key.api_model


def _equivalence(option: CostOption) -> tuple[object, ...] | None:
    """Options that agree on this are the same answer to a user; None: never folded."""
    fleet = option.fleet
    if (
        option.kind is not OptionKind.SELF_HOSTED
        or fleet is None
        or option.monthly_cost_usd is None
    ):
        return None
    return (
        fleet.open_model,
        fleet.gpu,
        fleet.purchase_mode,
        fleet.gpus,
        fleet.instances,
        round(option.monthly_cost_usd, 2),
    )


def fold_equivalent(ranked: list[CostOption]) -> list[CostOption]:
    """Ranked options with equivalents folded into the first of each group (the cheapest, then
    by id), which lists the others as alternatives."""
    first: dict[tuple[object, ...], int] = {}
    kept: list[CostOption] = []
    extra: dict[int, list[OptionAlternative]] = {}
    for option in ranked:
        group = _equivalence(option)
        if group is not None and group in first:
            fleet = option.fleet
            assert fleet is not None  # self-hosted options carry a fleet
            extra.setdefault(first[group], []).append(
                OptionAlternative(
                    option.id, option.label, fleet.precision, fleet.tensor_parallel, fleet.offering
                )
            )
            continue
        if group is not None:
            first[group] = len(kept)
        kept.append(option)
    return [
        option.with_alternatives(tuple(extra[index])) if index in extra else option
        for index, option in enumerate(kept)
    ]
