#!/usr/bin/env bash
# Validate every Kubernetes manifest against the API schema of Kubernetes 1.30, offline: the
# schemas ship inside the kubernetes-validate package (installed with the dev extras).
set -euo pipefail
cd "$(dirname "$0")/.."
kubernetes-validate --kubernetes-version 1.30.0 --strict --quiet \
  deploy/kubernetes/base/{configmap,secret,migrate-job,deployment,service,hpa,pdb}.yaml
echo "kubernetes manifests: valid"
