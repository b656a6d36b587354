"""Purchase options without a database: modes, offering choice, owned-price precedence."""

from __future__ import annotations

import pytest

from app.core.purchasing import (
    CLOUD_MODES,
    GpuPriceOverrideSpec,
    GpuPurchaseSpec,
    OfferingPriceSpec,
    OwnedTermsSpec,
    PurchaseMode,
    choose_purchase_options,
    owned_purchase_price,
)

H100 = GpuPurchaseSpec("h100", list_price_usd=27_500.0)
L4 = GpuPurchaseSpec("l4", list_price_usd=None)
OFFERINGS = (
    OfferingPriceSpec(
        "big-8x", "h100", 8, {PurchaseMode.ON_DEMAND: 55.04, PurchaseMode.SPOT: 13.2}
    ),
    OfferingPriceSpec("small-1x", "h100", 1, {PurchaseMode.ON_DEMAND: 6.0}),
    OfferingPriceSpec("tied-1x", "h100", 1, {PurchaseMode.SPOT: 1.65}),
    OfferingPriceSpec("other-gpu", "l4", 1, {PurchaseMode.ON_DEMAND: 0.8}),
)


def test_cloud_modes_are_every_mode_but_owned() -> None:
    assert set(CLOUD_MODES) == set(PurchaseMode) - {PurchaseMode.OWNED}


def test_cheapest_offering_per_gpu_hour_that_holds_the_replica() -> None:
    choice = choose_purchase_options(H100, 1, [PurchaseMode.ON_DEMAND], OFFERINGS, OwnedTermsSpec())
    # 55.04 / 8 = 6.88 per GPU-hour on the 8-GPU instance; 6.00 on the 1-GPU one.
    (option,) = choice.options
    assert option.offering_slug == "small-1x"
    assert option.usd_per_instance_hour == 6.0
    assert option.gpus_per_instance == 1
    # A 2-GPU replica does not fit the 1-GPU instance, so only the 8-GPU one counts.
    (wide,) = choose_purchase_options(
        H100, 2, [PurchaseMode.ON_DEMAND], OFFERINGS, OwnedTermsSpec()
    ).options
    assert wide.offering_slug == "big-8x"


def test_ties_in_price_per_gpu_hour_go_to_the_first_slug() -> None:
    # Spot: 13.2 / 8 = 1.65 on big-8x and 1.65 on tied-1x; "big-8x" sorts first.
    (option,) = choose_purchase_options(
        H100, 1, [PurchaseMode.SPOT], OFFERINGS, OwnedTermsSpec()
    ).options
    assert option.offering_slug == "big-8x"


def test_missing_modes_say_why() -> None:
    choice = choose_purchase_options(
        H100, 2, [PurchaseMode.COMMITTED_1Y, PurchaseMode.OWNED], OFFERINGS, OwnedTermsSpec()
    )
    assert [o.mode for o in choice.options] == [PurchaseMode.OWNED]
    assert choice.missing == (
        (
            PurchaseMode.COMMITTED_1Y,
            "no committed 1y price for h100 with 2+ GPUs per instance in the catalog",
        ),
    )
    no_price = choose_purchase_options(L4, 1, [PurchaseMode.OWNED], OFFERINGS, OwnedTermsSpec())
    assert no_price.options == ()
    assert "no purchase price for l4" in no_price.missing[0][1]
    small_servers = choose_purchase_options(
        H100, 8, [PurchaseMode.OWNED], OFFERINGS, OwnedTermsSpec(gpus_per_server=4)
    )
    assert small_servers.missing[0][1] == "servers of 4 GPUs cannot hold a replica of 8 GPUs"


def test_owned_price_precedence_override_then_terms_then_list_price() -> None:
    terms = OwnedTermsSpec(usd_per_gpu=1000.0)
    override = GpuPriceOverrideSpec("h100", owned_usd_per_gpu=500.0)
    assert owned_purchase_price(H100, terms, override) == (500.0, "your price")
    assert owned_purchase_price(H100, terms, None) == (1000.0, "your price")
    assert owned_purchase_price(H100, OwnedTermsSpec(), None) == (27_500.0, "catalog list price")
    assert owned_purchase_price(L4, OwnedTermsSpec(), None) is None
    # The terms' price also prices GPUs that have no list price.
    (option,) = choose_purchase_options(L4, 1, [PurchaseMode.OWNED], OFFERINGS, terms).options
    assert option.purchase_usd_per_gpu == 1000.0


def test_a_negotiated_hourly_rate_rents_whole_replicas() -> None:
    override = GpuPriceOverrideSpec("h100", usd_per_gpu_hour={PurchaseMode.COMMITTED_3Y: 1.9})
    (option,) = choose_purchase_options(
        H100, 4, [PurchaseMode.COMMITTED_3Y], OFFERINGS, OwnedTermsSpec(), override
    ).options
    assert option.usd_per_gpu_hour == 1.9
    assert option.gpus_per_instance == 4
    assert option.offering_slug is None
    assert option.cloud_usd_per_instance_hour == pytest.approx(7.6)


def test_duplicate_modes_are_priced_once() -> None:
    modes = [PurchaseMode.ON_DEMAND, PurchaseMode.ON_DEMAND]
    choice = choose_purchase_options(H100, 1, modes, OFFERINGS, OwnedTermsSpec())
    assert len(choice.options) == 1
    assert choice.offering_slugs == ("small-1x",)
