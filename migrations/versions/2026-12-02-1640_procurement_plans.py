"""procurement plans

GPU offerings get `available_quantity`: how many instances of the offering can be held at once
(a region's capacity or a quota); NULL means unlimited. Saved analyses may keep a procurement
plan: its settings (`plan_input`) and result (`plan_result`), NULL when none was asked for.

Revision ID: 0003_procurement_plans
Revises: 0002_analysis_filters
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_procurement_plans"
down_revision: str | None = "0002_analysis_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gpu_offerings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("available_quantity", sa.Integer(), nullable=True))
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_input", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("plan_result", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_column("plan_result")
        batch_op.drop_column("plan_input")
    with op.batch_alter_table("gpu_offerings", schema=None) as batch_op:
        batch_op.drop_column("available_quantity")
