"""The Kubernetes manifests: every resource the kustomization lists is valid against the
Kubernetes API schema (offline, from the kubernetes-validate package), and the pieces fit
together (selectors, probes, the autoscaler's target, one worker per CPU)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

BASE = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "base"
#: The oldest Kubernetes release the manifests support (the preStop `sleep` action is 1.30+).
KUBERNETES_VERSION = "1.30.0"


def _resources() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    loaded = {}
    for name in kustomization["resources"]:
        document = yaml.safe_load((BASE / name).read_text())
        loaded[document["kind"]] = document
    return loaded


RESOURCES = _resources()


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_each_resource_is_valid(kind: str) -> None:
    kubernetes_validate.validate(RESOURCES[kind], KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_misspelt_field() -> None:
    broken = copy.deepcopy(RESOURCES["Deployment"])
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_pieces_fit_together() -> None:
    deployment = RESOURCES["Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert RESOURCES["Service"]["spec"]["selector"].items() <= pod_labels.items()
    assert (
        RESOURCES["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
        == (deployment["spec"]["selector"]["matchLabels"])
    )
    target = RESOURCES["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])

    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"requests", "limits"} <= container["resources"].keys()
    config = RESOURCES["ConfigMap"]["data"]
    assert int(config["WORKERS"]) == int(container["resources"]["limits"]["cpu"])
    assert config["AUTO_MIGRATE"] == "false"  # the Job migrates, once
    job = RESOURCES["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["llm-cost-estimator", "migrate"]
    secret_keys = RESOURCES["Secret"]["stringData"].keys()
    assert {"DATABASE_URL", "ADMIN_API_KEYS"} <= secret_keys
