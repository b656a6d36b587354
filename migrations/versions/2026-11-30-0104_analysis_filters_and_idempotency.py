"""analysis filters and idempotency

Columns copied out of each saved analysis so lists can filter by the models involved and sort
by the cheapest option, and the hash of the create body so an idempotent retry with a different
body is refused.

Revision ID: 0002_analysis_filters
Revises: 0001_initial
Create Date: 2026-11-30 01:04:12.685233
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_analysis_filters"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("request_sha256", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("api_models", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("open_models", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("cheapest_option", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cheapest_monthly_cost_usd", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_column("cheapest_monthly_cost_usd")
        batch_op.drop_column("cheapest_option")
        batch_op.drop_column("open_models")
        batch_op.drop_column("api_models")
        batch_op.drop_column("request_sha256")
