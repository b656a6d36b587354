"""gpu offering available quantity

How many instances of an offering can be held at once (a region's capacity or a quota); NULL
means unlimited. The procurement planner (/v1/plans) reads it.

Revision ID: 0003_offering_availability
Revises: 0002_analysis_filters
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_offering_availability"
down_revision: str | None = "0002_analysis_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gpu_offerings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("available_quantity", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gpu_offerings", schema=None) as batch_op:
        batch_op.drop_column("available_quantity")
