"""LLM Cost Estimator: hosted API versus self-hosted GPU cost."""

__version__ = "0.1.0"
