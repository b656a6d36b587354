"""LLM Cost Estimator: hosted API versus self-hosted GPU cost."""

#: The one version of the service and its estimation formulas: the OpenAPI document, the
#: `estimator_version` of every estimate, saved analyses and the report footer all read it
#: (pyproject.toml reads it too).
__version__ = "1.0.0"
