"""The defaults behind the whole cost of building: people, adaptation, serving infrastructure,
owned servers and time to production, each with its source and as-of date.

These are placeholders to override, like every default in docs/economics.md. A value marked
"Assumption" has no public source; its reasoning is given instead. Services list every default
a request did not set under `assumptions`, with the source from this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourcedDefault:
    """One default value, its unit, where it comes from and the date of that source."""

    value: float
    unit: str
    source: str
    as_of: str


#: Employer cost per dollar of wages: BLS Employer Costs for Employee Compensation, September
#: 2018 (USDL-18-1941): wages and salaries were 68.3% of civilian compensation costs
#: (68.4% Dec 2016, 68.6% Sep 2015), so loaded cost = wage / 0.683 = wage x 1.464.
WAGE_SHARE_OF_COMPENSATION = 0.683
_ECEC = "BLS Employer Costs for Employee Compensation, Sep 2018 (USDL-18-1941): wages 68.3% of cost"
_OEWS = (
    "BLS Occupational Employment and Wages, May 2022 (news release 2023-04-25, "
    "bls.gov/oes): annual mean wage of "
)


def _loaded(wage_usd: float) -> float:
    return wage_usd / WAGE_SHARE_OF_COMPENSATION


BUILD_DEFAULTS: dict[str, SourcedDefault] = {
    # --- people: loaded cost per FTE-year (US national means, wage / 0.683) ---------------
    "team.inference_engineer_usd_per_year": SourcedDefault(
        _loaded(155_880.0),
        "USD/FTE-year",
        _OEWS + "computer and information research scientists $155,880; " + _ECEC,
        "2022-05-01",
    ),
    "team.sre_usd_per_year": SourcedDefault(
        _loaded(132_930.0),
        "USD/FTE-year",
        _OEWS + "software developers $132,930; " + _ECEC,
        "2022-05-01",
    ),
    "team.mlops_usd_per_year": SourcedDefault(
        _loaded(132_930.0),
        "USD/FTE-year",
        _OEWS + "software developers $132,930; " + _ECEC,
        "2022-05-01",
    ),
    "team.datacenter_ops_usd_per_year": SourcedDefault(
        _loaded(76_060.0),
        "USD/FTE-year",
        _OEWS + "computer network support specialists $76,060; " + _ECEC,
        "2022-05-01",
    ),
    "team.integration_engineer_usd_per_year": SourcedDefault(
        _loaded(132_930.0),
        "USD/FTE-year",
        _OEWS + "software developers $132,930; " + _ECEC,
        "2022-05-01",
    ),
    # --- people: headcount rules ---------------------------------------------------------
    "team.on_call_max_share": SourcedDefault(
        0.25,
        "share of an engineer's time",
        "Google, Site Reliability Engineering (O'Reilly 2016), ch. 11 'Being On-Call': at most "
        "25% of an SRE's time on call; 8 engineers for a primary+secondary single-site "
        "rotation. One on-call position / 0.25 = a rotation of 4 people",
        "2016-04-01",
    ),
    "team.on_call_positions": SourcedDefault(
        1.0,
        "people on call at once",
        "Assumption: one engineer on call 24/7 (the SRE book's 8 is for primary + secondary)",
        "2026-12-02",
    ),
    "team.inference_engineers_base": SourcedDefault(
        1.0,
        "FTE",
        "Assumption: one engineer owns the serving stack (engine upgrades, tuning, capacity)",
        "2026-12-02",
    ),
    "team.inference_engineers_per_model": SourcedDefault(
        0.5,
        "FTE per model served",
        "Assumption: evaluation, quantisation and release work per served model",
        "2026-12-02",
    ),
    "team.mlops_per_model": SourcedDefault(
        0.25,
        "FTE per model served",
        "Assumption: training/eval pipelines and model registry per served model",
        "2026-12-02",
    ),
    "team.sre_base": SourcedDefault(
        0.5, "FTE", "Assumption: monitoring, alerting and deployment of one fleet", "2026-12-02"
    ),
    "team.sre_per_1000_gpus": SourcedDefault(
        4.0,
        "FTE per 1,000 GPUs",
        "Assumption: one SRE per 250 GPUs for node failures, drivers and capacity changes",
        "2026-12-02",
    ),
    "team.datacenter_ops_per_1000_gpus": SourcedDefault(
        1.25,
        "FTE per 1,000 owned GPUs",
        "Assumption: one technician per ~100 eight-GPU servers (hardware swaps, cabling, "
        "RMAs), on top of the colocation provider's remote hands",
        "2026-12-02",
    ),
    "team.api_integration_fte": SourcedDefault(
        0.25,
        "FTE",
        "Assumption: an API option still needs prompt, client, quota and cost monitoring work; "
        "the provider runs on-call for the model",
        "2026-12-02",
    ),
    # --- time to production --------------------------------------------------------------
    "time_to_production.hiring_lead_months": SourcedDefault(
        1.9,
        "months",
        "Workable (via Stack Overflow Business, 'The truth about time-to-hire in developer "
        "hiring', 2017-08-22): average time to fill an engineering role in the US, UK and "
        "Ireland is 58 days = 1.9 months",
        "2017-08-22",
    ),
    "time_to_production.build_out_months": SourcedDefault(
        3.0,
        "months",
        "Assumption: serving stack, load tests, evaluation and rollout before production traffic",
        "2026-12-02",
    ),
    # --- adaptation ----------------------------------------------------------------------
    "adaptation.model_flops_utilisation": SourcedDefault(
        0.40,
        "share of dense BF16 peak",
        "Meta, 'The Llama 3 Herd of Models' (arXiv 2407.21783), Table 4: 38-43% BF16 MFU "
        "training Llama 3 405B on 8,192-16,384 H100s; 0.40 is the middle",
        "2024-07-31",
    ),
    "adaptation.lora_compute_share": SourcedDefault(
        0.8,
        "share of full fine-tuning compute",
        "Hu et al., 'LoRA: Low-Rank Adaptation of Large Language Models' (arXiv 2106.09685, "
        "ICLR 2022), sec. 4.2: 25% training speed-up on GPT-3 175B over full fine-tuning, "
        "so time = 1/1.25 = 0.8 of full fine-tuning",
        "2021-10-16",
    ),
    "adaptation.training_flops_per_param_token": SourcedDefault(
        6.0,
        "FLOP per parameter per token",
        "Kaplan et al., 'Scaling Laws for Neural Language Models' (arXiv 2001.08361), sec. 2.1: "
        "C = 6 N D (2 forward + 4 backward)",
        "2020-01-23",
    ),
    # --- serving infrastructure ----------------------------------------------------------
    "infrastructure.gateway_usd_per_month": SourcedDefault(
        0.0225 * 730.5,
        "USD/month per fleet",
        "AWS Elastic Load Balancing pricing (aws.amazon.com/elasticloadbalancing/pricing): "
        "Application Load Balancer $0.0225 per hour, us-east-1, x 730.5 h",
        "2026-11-30",
    ),
    "infrastructure.gateway_usd_per_million_requests": SourcedDefault(
        0.008 / (25.0 * 3600.0) * 1e6,
        "USD per million requests",
        "AWS ELB pricing: $0.008 per LCU-hour, one LCU = 25 new connections/s; one request per "
        "connection: 0.008 / (25 x 3600) per request",
        "2026-11-30",
    ),
    "infrastructure.observability_usd_per_host_month": SourcedDefault(
        15.0,
        "USD per instance-month",
        "Datadog pricing (datadoghq.com/pricing): Infrastructure Pro $15 per host per month, "
        "billed annually",
        "2026-11-30",
    ),
    "infrastructure.storage_usd_per_gb_month": SourcedDefault(
        0.023,
        "USD per GB-month",
        "Amazon S3 pricing (aws.amazon.com/s3/pricing): S3 Standard, first 50 TB, us-east-1",
        "2026-11-30",
    ),
    "infrastructure.checkpoints_kept": SourcedDefault(
        3.0,
        "copies of the weights",
        "Assumption: the serving version, the previous one for rollback, and one candidate",
        "2026-12-02",
    ),
    "infrastructure.log_bytes_per_token": SourcedDefault(
        4.0,
        "bytes per token",
        "Assumption: prompts and completions logged as text, ~4 bytes per token (OpenAI "
        "tokenizer guide: one token is ~4 characters of English)",
        "2026-12-02",
    ),
    "infrastructure.log_retention_months": SourcedDefault(
        1.0, "months", "Assumption: 30 days of request logs", "2026-12-02"
    ),
    "infrastructure.egress_usd_per_gb": SourcedDefault(
        0.09,
        "USD per GB",
        "Amazon EC2 on-demand pricing, data transfer out to the internet, first 10 TB/month",
        "2026-11-30",
    ),
    "infrastructure.egress_bytes_per_output_token": SourcedDefault(
        100.0,
        "bytes per output token",
        "Assumption: streamed responses send one server-sent event of ~100 bytes (JSON envelope) "
        "per token",
        "2026-12-02",
    ),
    # --- owned servers -------------------------------------------------------------------
    "owned.server_usd_per_gpu": SourcedDefault(
        (300_000.0 - 8 * 27_500.0) / 8,
        "USD per GPU",
        "An 8-GPU HGX H100 server lists at $300,000 (ITCT Shop, 'GPU Cluster Design Guide', "
        "2025-12-28) against 8 x $27,500 per H100 (gpus.csv): the rest of the system (CPUs, "
        "memory, NICs, chassis, storage) is $80,000, $10,000 per GPU",
        "2025-12-28",
    ),
    "owned.networking_share": SourcedDefault(
        0.20,
        "share of cluster capital cost",
        "AM Compute, 'GPU Cluster Networking 101': networking runs ~20% of total cluster cost "
        "(bills of materials for 16 to 24,576 GPUs); an upper bound for inference fleets",
        "2026-11-30",
    ),
    "owned.support_usd_per_gpu_year": SourcedDefault(
        39_800.0 / 8,
        "USD per GPU-year",
        "supercluster.blog, '4/20 AI Supercluster: NVIDIA DGX H100': one year of support "
        "~$39,800 (20% of the $199,000 base price) per 8-GPU system",
        "2026-11-30",
    ),
    "owned.cost_of_capital_per_year": SourcedDefault(
        0.075,
        "per year",
        "Federal Reserve H.15 bank prime loan rate, 7.50% from 2024-12-19 to 2025-09-17: "
        "roughly what a creditworthy company pays to borrow for equipment",
        "2025-09-17",
    ),
    "owned.residual_value_share": SourcedDefault(
        0.10,
        "share of purchase price",
        "Assumption: a GPU server keeps about 10% of its price after 4 years of service",
        "2026-12-02",
    ),
}


def default(name: str) -> float:
    """The value of a named default (its unit is in BUILD_DEFAULTS[name].unit)."""
    return BUILD_DEFAULTS[name].value
