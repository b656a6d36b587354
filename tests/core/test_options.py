"""Option keys, ids and copies (app/core/options.py)."""

from __future__ import annotations

from dataclasses import fields, replace

from app.core.options import CostOption, FleetPlan, OptionAlternative, OptionKey, OptionKind
from app.core.team import Team
from app.core.whole_cost import OptionWholeCost


def test_ids_are_derived_from_the_key_and_follow_copies() -> None:
    fleet = OptionKey(OptionKind.SELF_HOSTED, None, "m", "g", 2, "fp8", "on_demand", "o", 1)
    assert fleet.id == "self:m:g:tp2:fp8:on_demand"
    assert OptionKey(OptionKind.API, api_model="a").id == "api:a"
    assert replace(fleet, pipeline_parallel=2).id == "self:m:g:tp2pp2:fp8:on_demand"
    hybrid = fleet.with_api_model(OptionKind.HYBRID, "a")
    assert hybrid.id == "hybrid:m:g:tp2:fp8:on_demand:a"
    # The stored id is not part of identity, nor of the repr.
    assert replace(fleet, offering="other") == fleet
    assert "_id" not in repr(fleet)


def test_with_whole_cost_copies_every_field() -> None:
    # Every field set away from its default, so a field the copy forgot would show.
    key = OptionKey(OptionKind.SELF_HOSTED, None, "m", "g", 2, "fp8", "on_demand", "o", 1)
    fleet = FleetPlan(
        *("m", "g", 2, "fp8", "on_demand", "o"),
        *(1, 2, 2, 4, 2, 2, 3.5, 0.4, 0.3, 0),
        *(1.0, 8.0, 0.2, 0.02, 2),
    )
    option = CostOption(
        key,
        "label",
        True,
        "why",
        100.0,
        2.0,
        {"compute": 100.0},
        fleet,
        0.5,
        (OptionAlternative("id", "label", "bf16", 4, None),),
        OptionWholeCost({"compute": 1.0}, "old", 1.0),
    )
    whole = OptionWholeCost({"people": 1.0}, "People are 100%.", 5.0, Team(()), 1200.0)
    assert {f.name for f in fields(CostOption)} == {
        "key",
        "label",
        "feasible",
        "reason",
        "monthly_cost_usd",
        "usd_per_million_tokens",
        "breakdown",
        "fleet",
        "self_hosted_request_share",
        "alternatives",
        "whole_cost",
    }, "a new CostOption field must be copied by CostOption._copy"
    assert option.with_whole_cost(whole) == replace(option, whole_cost=whole)
    alternatives = (OptionAlternative("other", "other label", "fp8", 2, "o2"),)
    assert option.with_alternatives(alternatives) == replace(option, alternatives=alternatives)
