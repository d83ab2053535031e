"""sequence engine: touch leases, approval drafts, pacing index

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from churnguard.store.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("touches") as batch:
        batch.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("approved_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_touches_identity_sent", ["identity_id", "sent_at"])
        batch.create_index("ix_touches_to_sent", ["to_addr", "sent_at"])
    with op.batch_alter_table("sequences") as batch:
        batch.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch.create_index("ix_sequences_due", ["state", "due_at"])


def downgrade() -> None:
    with op.batch_alter_table("sequences") as batch:
        batch.drop_index("ix_sequences_due")
        batch.drop_column("context")
    with op.batch_alter_table("touches") as batch:
        batch.drop_index("ix_touches_to_sent")
        batch.drop_index("ix_touches_identity_sent")
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("draft")
        batch.drop_column("lease_until")
