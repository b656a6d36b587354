"""fine-tuning prices

Hosted fine-tuning of API models (training price per 10^6 tokens and the fine-tuned model's
inference prices), a versioned catalog table like the others.

Revision ID: 0006_fine_tuning_prices
Revises: 0005_quality_scores
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0006_fine_tuning_prices"
down_revision: str | None = "0005_quality_scores"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fine_tuning_prices",
        sa.Column("api_model_slug", sa.String(length=200), nullable=False),
        sa.Column("usd_per_mtok_training", app.db.types.Money(), nullable=False),
        sa.Column("usd_per_mtok_input", app.db.types.Money(), nullable=False),
        sa.Column("usd_per_mtok_output", app.db.types.Money(), nullable=False),
        sa.Column("usd_per_mtok_cached_input", app.db.types.Money(), nullable=True),
        sa.Column("usd_per_hour_hosting", app.db.types.Money(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("valid_from_version", sa.Integer(), nullable=False),
        sa.Column("valid_to_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["valid_from_version"],
            ["catalog_versions.id"],
            name=op.f("fk_fine_tuning_prices_valid_from_version_catalog_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["valid_to_version"],
            ["catalog_versions.id"],
            name=op.f("fk_fine_tuning_prices_valid_to_version_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fine_tuning_prices")),
    )
    with op.batch_alter_table("fine_tuning_prices", schema=None) as batch_op:
        batch_op.create_index("ix_fine_tuning_prices_slug", ["slug"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fine_tuning_prices_valid_from_version"),
            ["valid_from_version"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_fine_tuning_prices_valid_to_version"),
            ["valid_to_version"],
            unique=False,
        )
        batch_op.create_index(
            "uq_fine_tuning_prices_current_slug",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("valid_to_version IS NULL"),
            postgresql_where=sa.text("valid_to_version IS NULL"),
        )


def downgrade() -> None:
    op.drop_table("fine_tuning_prices")
