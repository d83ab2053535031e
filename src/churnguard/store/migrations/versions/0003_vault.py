"""vault encryption and identity delegation

Account data moves from plaintext columns into one encrypted ``sealed`` column per table;
addresses the engine searches by get a keyed blind index instead. Adds the wrapped data
keys and the signed audit checkpoints.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from churnguard.store.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> plaintext columns that move into ``sealed``
SEALED = {
    "accounts": ("name", "plan", "mrr_cents", "currency", "renewal_date", "attributes"),
    "contacts": ("email", "name", "title"),
    "signals": ("summary", "evidence"),
    "sequences": ("subject",),
    "touches": ("to_addr", "subject", "raw", "draft"),
    "replies": ("reply_text", "raw"),
}


def _refuse_plaintext_rows() -> None:
    """Stop before dropping columns that still hold data this migration cannot encrypt."""
    connection = op.get_bind()
    for table in SEALED:
        if connection.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
            raise RuntimeError(
                f"table {table} holds plaintext account data from an earlier version; export it, "
                "build a new workspace with 'churnguard init' and import it again, so it is encrypted"
            )


def _create_tables() -> None:
    op.create_table(
        "data_keys",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("master_key_id", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("upto_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("upto_hash", sa.String(64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def upgrade() -> None:
    _refuse_plaintext_rows()
    _create_tables()

    with op.batch_alter_table("touches") as batch:
        batch.drop_index("ix_touches_to_sent")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_email")

    for table, columns in SEALED.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
            batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=False))

    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("email_index", sa.String(68), nullable=False))
        batch.create_index("ix_contacts_email_index", ["email_index"])
        batch.create_unique_constraint("uq_contacts_account_email_index", ["account_id", "email_index"])
    with op.batch_alter_table("touches") as batch:
        batch.add_column(sa.Column("to_index", sa.String(68), nullable=False))
        batch.create_index("ix_touches_to_sent", ["to_index", "sent_at"])


def downgrade() -> None:
    raise NotImplementedError("the vault migration cannot be undone: plaintext is never written back")
