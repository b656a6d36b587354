"""quality scores catalog

Public quality measures (arena rating, MMLU-Pro, GPQA Diamond, LiveCodeBench) per API or open
model, versioned like the other catalogs. Existing databases get the bundled rows on the next
`catalog refresh` of `quality-scores` (a seed only fills an empty catalog).

Revision ID: 0005_quality_scores
Revises: 0004_benchmarks
Create Date: 2026-12-02 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_quality_scores"
down_revision: str | None = "0004_benchmarks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_scores",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model_kind", sa.String(length=16), nullable=False),
        sa.Column("arena_score", sa.Float(), nullable=True),
        sa.Column("mmlu_pro", sa.Float(), nullable=True),
        sa.Column("gpqa_diamond", sa.Float(), nullable=True),
        sa.Column("livecodebench", sa.Float(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("valid_from_version", sa.Integer(), nullable=False),
        sa.Column("valid_to_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["valid_from_version"],
            ["catalog_versions.id"],
            name=op.f("fk_quality_scores_valid_from_version_catalog_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["valid_to_version"],
            ["catalog_versions.id"],
            name=op.f("fk_quality_scores_valid_to_version_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_scores")),
    )
    with op.batch_alter_table("quality_scores", schema=None) as batch_op:
        batch_op.create_index("ix_quality_scores_slug", ["slug"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quality_scores_valid_from_version"), ["valid_from_version"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_scores_valid_to_version"), ["valid_to_version"], unique=False
        )
        batch_op.create_index(
            "uq_quality_scores_current_slug",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("valid_to_version IS NULL"),
            postgresql_where=sa.text("valid_to_version IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("quality_scores", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_quality_scores_current_slug",
            sqlite_where=sa.text("valid_to_version IS NULL"),
            postgresql_where=sa.text("valid_to_version IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_quality_scores_valid_to_version"))
        batch_op.drop_index(batch_op.f("ix_quality_scores_valid_from_version"))
        batch_op.drop_index("ix_quality_scores_slug")
    op.drop_table("quality_scores")
