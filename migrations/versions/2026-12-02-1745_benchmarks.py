"""benchmarks: stored measurements with provenance (issue 10)

Revision ID: 0004_benchmarks
Revises: 0003_procurement_plans
Create Date: 2026-12-02 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_benchmarks"
down_revision: str | None = "0003_procurement_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benchmarks",
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("engine_version", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=32), nullable=False),
        sa.Column("gpu_slug", sa.String(length=200), nullable=False),
        sa.Column("open_model_slug", sa.String(length=200), nullable=False),
        sa.Column("tensor_parallel", sa.Integer(), nullable=False),
        sa.Column("precision", sa.String(length=8), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=True),
        sa.Column("request_rate_per_s", sa.Float(), nullable=True),
        sa.Column("output_tokens_per_s", sa.Float(), nullable=False),
        sa.Column("requests_per_s", sa.Float(), nullable=True),
        sa.Column("ttft_s", sa.Float(), nullable=True),
        sa.Column("tpot_s", sa.Float(), nullable=True),
        sa.Column("ttft_p95_s", sa.Float(), nullable=True),
        sa.Column("tpot_p95_s", sa.Float(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("valid_from_version", sa.Integer(), nullable=False),
        sa.Column("valid_to_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["valid_from_version"],
            ["catalog_versions.id"],
            name=op.f("fk_benchmarks_valid_from_version_catalog_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["valid_to_version"],
            ["catalog_versions.id"],
            name=op.f("fk_benchmarks_valid_to_version_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarks")),
    )
    with op.batch_alter_table("benchmarks", schema=None) as batch_op:
        batch_op.create_index("ix_benchmarks_slug", ["slug"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_benchmarks_valid_from_version"), ["valid_from_version"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_benchmarks_valid_to_version"), ["valid_to_version"], unique=False
        )
        batch_op.create_index(
            "uq_benchmarks_current_slug",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("valid_to_version IS NULL"),
            postgresql_where=sa.text("valid_to_version IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("benchmarks", schema=None) as batch_op:
        batch_op.drop_index("uq_benchmarks_current_slug")
        batch_op.drop_index(batch_op.f("ix_benchmarks_valid_to_version"))
        batch_op.drop_index(batch_op.f("ix_benchmarks_valid_from_version"))
        batch_op.drop_index("ix_benchmarks_slug")
    op.drop_table("benchmarks")
