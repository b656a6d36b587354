"""Options written out with each team validated once equal one `model_validate` per option."""

from __future__ import annotations

from app.core.economics import BuildCostsSpec
from app.core.estimate import estimate
from app.core.estimate_types import EstimateSpec
from app.core.infrastructure import InfrastructureSpec
from app.core.team import TeamSpec
from app.core.whole_cost import WholeCostSpec
from app.schemas.estimates import OptionOut
from app.services.estimate_response import options_out
from tests.core.test_estimate_properties import APIS, CANDIDATES, workload


def test_options_out_equals_one_validation_per_option() -> None:
    build = BuildCostsSpec(team=TeamSpec(), infrastructure=InfrastructureSpec())
    spec = EstimateSpec(
        workload(), APIS, CANDIDATES, hybrid_api_slugs=("mid",), whole=WholeCostSpec(build=build)
    )
    result = estimate(spec)
    feasible = [o for o in result.options if o.feasible]
    teams = [o.whole_cost.team for o in feasible if o.whole_cost and o.whole_cost.team]
    assert len({id(t) for t in teams}) < len(teams)  # some options share a team
    returned = options_out(result, len(feasible)).returned
    expected = [OptionOut.model_validate(o) for o in feasible]
    assert [o.model_dump_json() for o in returned] == [o.model_dump_json() for o in expected]
    assert returned == expected
